"""The two locks the rules of access are decided under (SPEC §4 rule 5).

- `member(guild, user)`: a Redis lock held by the worker across one action's decision,
  Discord call and record, so two actions on one person in one server never interleave
  (one revoking while the other gives). It expires with the job's timeout if its worker
  dies.
- `customer_row(id)`: inside a database transaction, the customer's row locked
  (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's write transactions are serial already),
  so an event, a link and a worker recording a grant see each other's commits.
"""

import peewee
from redis.exceptions import LockError

from webapp.db import db
from webapp.jobs import RUN_ACTION
from webapp.models import Customer
from webapp.services import get_redis

MEMBER_LOCK_TTL = RUN_ACTION.timeout + 30


def member(guild_id, user_id):
    """The (not yet acquired) lock of one Discord account in one server."""
    return get_redis().lock(
        f"rolegate:lock:member:{guild_id}:{user_id}", timeout=MEMBER_LOCK_TTL, thread_local=False
    )


def member_token(action_id):
    """The member lock's value while `action_id` holds it (so the sweeper can break it)."""
    return f"action-{action_id}"


def break_member_lock(guild_id, user_id, action_id):
    """A dead worker's action held the lock: release it, only if that action still holds it."""
    lock = member(guild_id, user_id)
    lock.local.token = member_token(action_id).encode()
    try:
        lock.release()
    except LockError:
        return False
    return True


def customer_row(customer_id):
    """Lock the customer's row until the current transaction ends."""
    if customer_id is None or isinstance(db.obj, peewee.SqliteDatabase):
        return
    list(Customer.select(Customer.id).where(Customer.id == customer_id).for_update())


def token_refresh(customer_id):
    """The lock under which one customer's OAuth token is refreshed (Discord rotates it)."""
    return get_redis().lock(
        f"rolegate:lock:token:{customer_id}", timeout=30, blocking_timeout=15, thread_local=False
    )
