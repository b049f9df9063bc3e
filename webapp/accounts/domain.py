"""Seller accounts: sign-up, authentication, password changes."""

import peewee
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from webapp import crypto
from webapp.db import db
from webapp.models import Checkout, Seller
from webapp.models.accounts import new_token
from webapp.services import settings

hasher = PasswordHasher()
# Verified against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = hasher.hash("not a password")


class AccountError(ValueError):
    """A sign-up or password change that cannot be done; the message says why."""


def new_webhook_secret():
    """A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes."""
    import base64
    import os

    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def create_seller(email, password):
    """A new seller with a webhook endpoint and secret; AccountError if the email is taken."""
    email = email.strip().lower()
    try:
        with db.atomic():
            seller = Seller.create(
                email=email,
                password_hash=hasher.hash(password),
                webhook_secret=crypto.encrypt(new_webhook_secret()),
                subscription_grace_days=settings().subscription_grace_days,
            )
            # Its first checkout connection: Rolegate's own format, on the seller's endpoint.
            Checkout.create(seller=seller.id, name="Rolegate webhooks", provider="rolegate",
                            endpoint_id=seller.webhook_endpoint_id)  # fmt: skip
            return seller
    except peewee.IntegrityError as exc:
        raise AccountError("An account with this email already exists. Log in instead.") from exc


def authenticate(email, password):
    """The seller with this email and password, or None."""
    seller = Seller.get_or_none(Seller.email == email.strip().lower())
    try:
        hasher.verify(seller.password_hash if seller else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if seller is None:
        return None
    if hasher.check_needs_rehash(seller.password_hash):
        seller.password_hash = hasher.hash(password)
        seller.save(only=[Seller.password_hash])
    return seller


def change_password(seller, current, new):
    """Set a new password; every other session of this seller is logged out."""
    if authenticate(seller.email, current) is None:
        raise AccountError("The current password is not right.")
    seller.password_hash = hasher.hash(new)
    seller.session_token = new_token()
    seller.save(only=[Seller.password_hash, Seller.session_token])
    return seller
