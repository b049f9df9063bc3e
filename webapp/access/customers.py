"""Buyers linking Discord: tokens at rest, waiting actions released, grants moved."""

from datetime import timedelta

from webapp import crypto
from webapp.access import dispatch, planner
from webapp.db import utcnow, write_transaction
from webapp.models import Customer

# Refresh a little before Discord's expiry, so a job never sends a token about to die.
REFRESH_MARGIN = timedelta(minutes=5)


def store_tokens(customer, token):
    """Keep an OAuth token answer, encrypted (never in the session cookie)."""
    customer.access_token = crypto.encrypt(token["access_token"])
    if token.get("refresh_token"):
        customer.refresh_token = crypto.encrypt(token["refresh_token"])
    customer.token_expires_at = utcnow() + timedelta(seconds=int(token.get("expires_in", 604800)))


def forget_tokens(customer):
    """Discord refused the tokens: the buyer must link again."""
    customer.access_token = customer.refresh_token = ""
    customer.token_expires_at = None
    customer.save(only=[Customer.access_token, Customer.refresh_token, Customer.token_expires_at])


def link(customer, user, token):
    """Link the buyer's Discord account; run what waited; move grants from an old account."""
    with write_transaction():
        customer = Customer.get_by_id(customer.id)
        old = customer.discord_user_id
        customer.discord_user_id = str(user["id"])
        customer.discord_username = user.get("global_name") or user.get("username") or ""
        customer.linked_at = utcnow()
        store_tokens(customer, token)
        customer.save()
        ids = planner.release_waiting(customer)
        if old and old != customer.discord_user_id:
            for order in planner.active_orders(customer):
                planner.cancel_pending(
                    order, user_id=old, why="The buyer switched Discord account."
                )
                ids += planner.plan_undo(order, "relink", user_id=old)
                ids += planner.plan_purchase(order)
        dispatch.enqueue_actions(ids)
    return customer


def access_token(customer, discord):
    """A live access token of the customer, refreshed through Discord when it is near expiry."""
    if not customer.access_token:
        return None
    if customer.token_expires_at and customer.token_expires_at - REFRESH_MARGIN > utcnow():
        return crypto.decrypt(customer.access_token)
    return refresh(customer, discord)


def refresh(customer, discord):
    """Trade the refresh token for a new access token; None when Discord refuses it."""
    from webapp.discord.errors import TokenError

    if not customer.refresh_token:
        return None
    try:
        token = discord.refresh_token(crypto.decrypt(customer.refresh_token))
    except TokenError:
        forget_tokens(customer)
        return None
    store_tokens(customer, token)
    customer.save(only=[Customer.access_token, Customer.refresh_token, Customer.token_expires_at])
    return token["access_token"]
