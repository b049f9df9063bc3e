"""Hand work to Redis after the transaction commits.

The database is the source of truth: if Redis is down when we dispatch, the work is only
late — the sweeper finds queued actions and due or unscheduled expiries and dispatches
them again.
"""

import logging

import redis

from webapp.db import db

log = logging.getLogger("rolegate.dispatch")


def _after_commit(what, send):
    """Run send() once the transaction commits; a Redis failure is logged, not raised."""

    def guarded():
        try:
            send()
        except redis.RedisError as exc:
            # Actions and expiries are found again by the sweeper; the database has them.
            log.warning("could not %s (%s)", what, exc)

    db.after_commit(guarded)


def enqueue_actions(action_ids):
    """Queue the action jobs once the current transaction has committed."""
    if not action_ids:
        return
    from workers import actions

    ids = list(action_ids)
    _after_commit(f"enqueue actions {ids}", lambda: actions.enqueue(ids))


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
    from workers import mail

    order_id = order.id
    _after_commit(
        f"queue the claim mail of order {order_id}", lambda: mail.enqueue_claim_link(order_id)
    )
