"""Sellers: the accounts that own every other row."""

import secrets

import peewee

from webapp.db import BaseModel, UTCDateTimeField, utcnow


def new_catalog_version():
    """A random start for `Seller.catalog_version` (below 2**53: exact in any JSON)."""
    return secrets.randbits(52)


def new_token(nbytes=24):
    """A random URL-safe token."""
    return secrets.token_urlsafe(nbytes)


class Seller(BaseModel):
    """A seller's account (email + password) and their webhook endpoint."""

    email = peewee.CharField(max_length=254, unique=True)
    password_hash = peewee.CharField(max_length=255)
    # Part of the login cookie's id: changing it logs out every other session.
    session_token = peewee.CharField(max_length=64, default=new_token)
    created_at = UTCDateTimeField(default=utcnow)
    webhook_endpoint_id = peewee.CharField(max_length=64, unique=True, default=new_token)
    # Fernet-encrypted `whsec_…` secrets; the previous one stays valid for 24 h.
    webhook_secret = peewee.TextField(default="")
    webhook_previous_secret = peewee.TextField(default="")
    webhook_rotated_at = UTCDateTimeField(null=True)
    webhook_tested_at = UTCDateTimeField(null=True)
    subscription_grace_days = peewee.IntegerField(default=3)
    # Moved by database triggers (m0008) whenever the seller's products, variants, apps or
    # automations change: what a process cached of them is good while it is unchanged.
    # Starts random, so a seller id SQLite reuses never matches an old seller's cache.
    catalog_version = peewee.BigIntegerField(default=new_catalog_version)
    # The address of the seller's "My access" page for buyers (/buyers/<public_id>).
    public_id = peewee.CharField(max_length=32, unique=True, default=lambda: new_token(12))

    def get_id(self):
        """Flask-Login's id: the row id and the session token."""
        return f"{self.id}:{self.session_token}"

    is_authenticated = True
    is_active = True
    is_anonymous = False
