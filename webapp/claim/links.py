"""Claim links: the buyer's bearer link to their order."""

from webapp.services import settings


def claim_url(order):
    """The buyer's claim link for order."""
    return f"{settings().public_url.rstrip('/')}/claim/{order.claim_token}"
