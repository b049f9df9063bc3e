"""What a seller must be told: an app or automation broken (SPEC §10, §12)."""

import peewee

from webapp.db import BaseModel, UTCDateTimeField, utcnow
from webapp.models.accounts import Seller


class Alert(BaseModel):
    """One problem, named by `key` within the seller (raised again after it was fixed, it is
    the same row); shown as a banner while unresolved, mailed in a digest."""

    seller = peewee.ForeignKeyField(Seller, backref="alerts", on_delete="CASCADE")
    # What raises and resolves it together (e.g. "app12": the app and its automations).
    scope = peewee.CharField(max_length=64)
    key = peewee.CharField(max_length=128)
    message = peewee.TextField()
    link = peewee.CharField(max_length=300, default="")
    raised_at = UTCDateTimeField(default=utcnow)
    resolved_at = UTCDateTimeField(null=True)
    # The digest mail: due at (never sooner than an hour after the seller's last one), sent at.
    mail_due_at = UTCDateTimeField(null=True)
    mailed_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = (
            (("seller", "key"), True),
            (("seller", "resolved_at"), False),
            (("mail_due_at",), False),
        )
