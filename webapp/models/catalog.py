"""Products and price variants, named by the checkout's ids."""

import peewee

from webapp.db import BaseModel, UTCDateTimeField, utcnow
from webapp.models.accounts import Seller


class Product(BaseModel):
    """A product of the seller's checkout; `access_days` empty means no time limit."""

    seller = peewee.ForeignKeyField(Seller, backref="products", on_delete="CASCADE")
    external_id = peewee.CharField(max_length=128)
    name = peewee.CharField(max_length=200)
    access_days = peewee.IntegerField(null=True)
    # Messages to buyers (SPEC §12): where to renew, the reminder before access ends (how
    # many days before, by DM / mail / both, its text), the welcome DM, the payment-failed
    # message. Empty texts: the defaults of `webapp.messages`; no welcome text: no welcome.
    renewal_url = peewee.CharField(max_length=500, default="")
    reminder_days = peewee.IntegerField(null=True)
    reminder_by = peewee.CharField(max_length=8, default="dm")
    reminder_text = peewee.TextField(default="")
    welcome_text = peewee.TextField(default="")
    payment_failed_text = peewee.TextField(default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("seller", "external_id"), True),)


class PriceVariant(BaseModel):
    """A price of a product; its `access_days` wins over the product's."""

    product = peewee.ForeignKeyField(Product, backref="variants", on_delete="CASCADE")
    external_id = peewee.CharField(max_length=128)
    name = peewee.CharField(max_length=200)
    access_days = peewee.IntegerField(null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("product", "external_id"), True),)
