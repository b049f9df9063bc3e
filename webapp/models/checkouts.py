"""Checkout connections (SPEC §5.1): where a seller's orders come from."""

import peewee

from webapp.db import BaseModel, UTCDateTimeField, utcnow
from webapp.models.accounts import Seller, new_token

# The checkouts a connection can be, as the "Checkout" field lists them.
PROVIDERS = {
    "rolegate": "Rolegate webhooks",
    "stripe": "Stripe",
    "lemonsqueezy": "Lemon Squeezy",
    "whop": "Whop",
    "paddle": "Paddle",
    "gumroad": "Gumroad",
}


class Checkout(BaseModel):
    """One checkout connection: its own endpoint, secret and event log.

    The "Rolegate webhooks" connection shares its endpoint id with the seller row and keeps
    its secret there (rotation with 24 h of overlap, SPEC §5); the others hold their
    provider-issued secret here.
    """

    seller = peewee.ForeignKeyField(Seller, backref="checkouts", on_delete="CASCADE")
    name = peewee.CharField(max_length=100)
    provider = peewee.CharField(max_length=16)
    endpoint_id = peewee.CharField(max_length=64, unique=True, default=new_token)
    # Fernet-encrypted (webapp.crypto); never stored or shown in plain text once saved.
    secret = peewee.TextField(default="")
    # Stripe's optional restricted key `rk_…`, Paddle's optional API key `pdl_…_apikey_…`
    api_key = peewee.TextField(default="")
    account_id = peewee.CharField(max_length=100, default="")  # Gumroad's seller ID
    # How many of its events need attention (kept with them; recounted by each retry), so a
    # paid event looks for waiting ones only when there are some.
    waiting = peewee.IntegerField(default=0)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("seller", "created_at"), False),)


class CheckoutCustomer(BaseModel):
    """A buyer as a checkout names them, for providers whose payments carry only a customer
    id (Paddle's `ctm_…`): noted from the provider's customer events or read with the
    connection's API key, so a payment finds its email."""

    checkout = peewee.ForeignKeyField(Checkout, backref="customers", on_delete="CASCADE")
    ref = peewee.CharField(max_length=128)
    email = peewee.CharField(max_length=254)
    name = peewee.CharField(max_length=200, default="")
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("checkout", "ref"), True),)
