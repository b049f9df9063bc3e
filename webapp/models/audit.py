"""The audit log: every change a seller makes, with its time (SPEC §11)."""

import peewee

from webapp.db import BaseModel, UTCDateTimeField, utcnow
from webapp.models.accounts import Seller


class AuditEntry(BaseModel):
    """One change: what kind of thing, a sentence, the fields before and after (JSON; never
    a secret's value), and a link to the thing when it still exists."""

    seller = peewee.ForeignKeyField(Seller, backref="audit_entries", on_delete="CASCADE")
    at = UTCDateTimeField(default=utcnow)
    actor = peewee.CharField(max_length=254, default="")
    area = peewee.CharField(max_length=32)
    summary = peewee.TextField()
    changes = peewee.TextField(default="")
    link = peewee.CharField(max_length=300, default="")

    class Meta:
        indexes = ((("seller", "id"), False), (("seller", "area", "id"), False))
