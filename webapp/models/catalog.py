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
