"""Hand work to Redis after the transaction commits.

The database is the source of truth: if Redis is down when we dispatch, the work is only
late — the sweeper finds queued actions and due or unscheduled expiries and dispatches
them again.
"""

import logging

import redis

from webapp.db import db

log = logging.getLogger("rolegate.dispatch")


def enqueue_actions(action_ids):
    """Queue the action jobs once the current transaction has committed."""
    if not action_ids:
        return
    ids = list(action_ids)

    def send():
        from workers import actions

        try:
            actions.enqueue(ids)
        except redis.RedisError as exc:
            log.warning("could not enqueue actions %s (%s); the sweeper will", ids, exc)

    db.after_commit(send)


def schedule_expiry(order):
    """(Re)schedule the order's expiry job at `access_ends_at`, or cancel it when there is none."""
    order_id, when, active = order.id, order.access_ends_at, order.status == "active"

    def send():
        from workers import expiry

        try:
            if when is not None and active:
                expiry.schedule(order_id, when)
            else:
                expiry.cancel(order_id)
        except redis.RedisError as exc:
            log.warning(
                "could not schedule expiry of order %s (%s); the sweeper will", order_id, exc
            )

    db.after_commit(send)


def mail_claim_link(order):
    """Mail the buyer their claim link once the order is committed."""
    order_id = order.id

    def send():
        from workers import mail

        try:
            mail.enqueue_claim_link(order_id)
        except redis.RedisError as exc:
            log.warning("could not queue the claim mail of order %s (%s)", order_id, exc)

    db.after_commit(send)
