"""Buyers linking Discord: tokens at rest, waiting actions released, grants moved (rule 9)."""

from datetime import timedelta

from redis.exceptions import LockError

from webapp import crypto, jobs
from webapp.access import grants, locks, planner, switching
from webapp.db import utcnow, write_transaction
from webapp.discord.errors import TokenError
from webapp.models import Customer

# Refresh a little before Discord's expiry, so a job never sends a token about to die.
REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_FIELDS = (Customer.access_token, Customer.refresh_token, Customer.token_expires_at)


def store_tokens(customer, token):
    """Keep an OAuth token answer, encrypted (never in the session cookie)."""
    customer.access_token = crypto.encrypt(token["access_token"])
    if token.get("refresh_token"):
        customer.refresh_token = crypto.encrypt(token["refresh_token"])
    customer.token_expires_at = utcnow() + timedelta(seconds=int(token.get("expires_in", 604800)))


def link(customer, user, token, via_order=None, switched_from=None):
    """Link the buyer's Discord account; run what waited; move every grant from an old one.

    A switch (the account changes) is recorded and mailed to the buyer when `via_order`,
    the order whose claim link was used, is given.
    """
    with write_transaction():
        locks.customer_row(customer.id)
        customer = Customer.get_by_id(customer.id)
        old = customer.discord_user_id
        customer.discord_user_id = str(user["id"])
        customer.discord_username = user.get("global_name") or user.get("username") or ""
        customer.linked_at = utcnow()
        customer.link_count += 1
        store_tokens(customer, token)
        customer.save()
        ids = planner.release_waiting(customer)
        if old and old != customer.discord_user_id:
            ids += move_everything(customer, old)
            if via_order is not None:
                switching.record(customer, via_order, old, (switched_from or ("", ""))[1],
                                 customer.discord_user_id, customer.discord_username)  # fmt: skip
        jobs.enqueue_actions(ids)
    return customer


def link_by_hand(customer, user_id):
    """The seller names the buyer's Discord account (access given by hand, for someone on
    the server): linked without an OAuth token, so roles are given with the bot's; adding
    them to the server waits for their claim link. An account linked already is never
    replaced this way (that is the buyer's switch, with its code and mail)."""
    with write_transaction():
        locks.customer_row(customer.id)
        customer = Customer.get_by_id(customer.id)
        if customer.discord_user_id:
            if customer.discord_user_id != user_id:
                raise ValueError(
                    f"This buyer is linked to Discord account {customer.discord_user_id} "
                    "already; leave the Discord user ID empty to give access to that account."
                )
            return customer
        customer.discord_user_id, customer.linked_at = user_id, utcnow()
        customer.link_count += 1
        customer.save(only=[Customer.discord_user_id, Customer.linked_at, Customer.link_count])
        jobs.enqueue_actions(planner.release_waiting(customer))
    return customer


def move_everything(customer, old):
    """Undo every grant on the old account; give what is still the orders' on the new one."""
    ids = planner.retarget_queued_gives(customer, old)
    orders = {}
    for grant in grants.live_of_customer(customer.id, old):
        order = orders.get(grant.order_id) or orders.setdefault(grant.order_id, grant.order)
        if grants.keeps(order, grant.via):
            # What the order gives moves, also what the old account had before buying.
            if new := planner.move_grant(order, grant, customer):
                ids.append(new)
        if new := planner.undo_grant(order, grant, "relink", customer):
            ids.append(new)
    return ids


def access_token(customer, discord):
    """A live access token of the customer, refreshed through Discord when it is near expiry."""
    if not customer.access_token:
        return None
    if customer.token_expires_at and customer.token_expires_at - REFRESH_MARGIN > utcnow():
        return crypto.decrypt(customer.access_token)
    return refresh(customer, discord)


def refresh(customer, discord, refused=None):
    """Trade the refresh token for a new access token; None when Discord refuses it.

    Discord rotates refresh tokens, so one customer's refreshes take a lock: a second
    worker finds the tokens the first one got and uses them. `refused` is an access token
    Discord just refused: a fresher one stored meanwhile is used instead of refreshing.
    Only the refresh token Discord refused is forgotten, never a newer one.
    """
    lock = locks.token_refresh(customer.id)
    try:
        acquired = lock.acquire()
    except LockError:
        acquired = False
    try:
        fresh = Customer.get_by_id(customer.id)
        if not fresh.refresh_token:
            return None
        if (
            fresh.access_token
            and fresh.access_token != customer.access_token
            and (refused is None or crypto.decrypt(fresh.access_token) != refused)
        ):
            return crypto.decrypt(fresh.access_token)  # another worker refreshed it
        used = fresh.refresh_token
        try:
            token = discord.refresh_token(crypto.decrypt(used))
        except TokenError:
            Customer.update(access_token="", refresh_token="", token_expires_at=None).where(
                (Customer.id == customer.id) & (Customer.refresh_token == used)
            ).execute()
            return None
        store_tokens(fresh, token)
        Customer.update(
            access_token=fresh.access_token, refresh_token=fresh.refresh_token,
            token_expires_at=fresh.token_expires_at,
        ).where((Customer.id == customer.id) & (Customer.refresh_token == used)).execute()  # fmt: skip
        customer.access_token = fresh.access_token
        return token["access_token"]
    finally:
        if acquired:
            try:
                lock.release()
            except LockError:
                pass
