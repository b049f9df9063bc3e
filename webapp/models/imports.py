"""Imports of members a seller already has (SPEC §11): one file, its rows, their fate."""

import peewee

from webapp.db import BaseModel, UTCDateTimeField, utcnow
from webapp.models.accounts import Seller
from webapp.models.catalog import PriceVariant, Product

IMPORT_STATES = ("checking", "checked", "importing", "done", "failed")
ROW_STATES = ("ok", "refused", "exists", "imported")


class MemberImport(BaseModel):
    """One uploaded file: checked (a job reads the server's members), then, confirmed,
    imported (a job); the counts are its progress, kept in the database."""

    seller = peewee.ForeignKeyField(Seller, backref="imports", on_delete="CASCADE")
    product = peewee.ForeignKeyField(Product, backref="imports", on_delete="CASCADE")
    filename = peewee.CharField(max_length=255, default="")
    state = peewee.CharField(max_length=16, default="checking")
    error = peewee.TextField(default="")
    rows = peewee.IntegerField(default=0)
    checked = peewee.IntegerField(default=0)
    ok = peewee.IntegerField(default=0)
    refused = peewee.IntegerField(default=0)
    existing = peewee.IntegerField(default=0)
    imported = peewee.IntegerField(default=0)
    created_at = UTCDateTimeField(default=utcnow)
    confirmed_at = UTCDateTimeField(null=True)
    updated_at = UTCDateTimeField(default=utcnow)
    finished_at = UTCDateTimeField(null=True)


class ImportRow(BaseModel):
    """One line of the file, as read, with the decision the check made."""

    member_import = peewee.ForeignKeyField(MemberImport, backref="lines", on_delete="CASCADE")
    line = peewee.IntegerField()
    email = peewee.CharField(max_length=254, default="")
    discord_user_id = peewee.CharField(max_length=32, default="")
    paid_at = UTCDateTimeField(null=True)
    access_ends_at = UTCDateTimeField(null=True)
    days = peewee.IntegerField(null=True)
    order_ref = peewee.CharField(max_length=128, default="")
    variant = peewee.ForeignKeyField(PriceVariant, null=True, on_delete="SET NULL")
    state = peewee.CharField(max_length=16, default="ok")
    reason = peewee.TextField(default="")
    # What the check found on the server: the roles (ids, comma-separated) the member has
    # that the product's purchase automations give (adopted), and those to give.
    adopt = peewee.TextField(default="")
    give = peewee.TextField(default="")

    class Meta:
        indexes = ((("member_import", "line"), True), (("member_import", "state", "line"), False))
