"""The brake on mass removals (SPEC §11): a misconfigured checkout or a burst of refunds
must not empty a server in minutes.

Every removal and role revoke of an app that would really remove something (not one the
buyer had before or another order still needs) is counted, as it is about to run, in a sliding
window (`BRAKE_WINDOW`, 10 minutes) kept in Redis: one atomic script admits it while the
window holds fewer than the limit — `BRAKE_THRESHOLD`, 20 and 10 % of the app's live members
(both must be passed to trip) — and refuses it otherwise. A refused removal is *held*
(`Action.status` "held"), the app is marked braked (`App.brake_held_at`) and from then on
every removal of the app is held, whatever the window says, until the seller decides on the
app's page: **Release** runs the held removals (each once, not counted again), **Cancel
these removals** skips them and leaves the roles in place, their grants marked "kept"
(no longer Rolegate's to take). The orders stay ended either way. The seller is alerted
(banner, mail) when the brake trips.

Gives and alumni roles are never braked, nor are the revokes of an account switch (they
move access, they do not end it). With Redis away the count cannot be kept and removals are
admitted (they cannot be queued without Redis either).
"""

import logging
import math
import time

from redis.exceptions import RedisError

from webapp import alerts, jobs
from webapp.access import grants
from webapp.db import utcnow, write_transaction
from webapp.models import Action, App, Grant
from webapp.services import get_redis, settings

log = logging.getLogger("rolegate.brake")
KEY = "rolegate:brake:{app}"
MEMBERS_KEY = "rolegate:brake:{app}:members"
UNBRAKED_TRIGGERS = ("relink",)


class Held(Exception):
    """The brake holds this removal."""


# Admit `member` when the window holds fewer than ARGV[3]; a member admitted before (the same
# action tried again) stays admitted. 1: admitted, 0: refused.
_ADMIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2] * 2))
return 1
"""


def braked(action):
    """True when this action is a removal the brake watches."""
    return action.kind in grants.UNDOES and action.trigger not in UNBRAKED_TRIGGERS


def admits(action, app, now=None):
    """May this removal run now (`now`: a Unix time, for the benchmark's simulated day)?
    False: hold it (`hold`)."""
    if action.brake_released or not braked(action):
        return True
    if app.brake_held_at is not None:
        return False
    rule = settings().brake
    if rule is None:
        return True
    count, share = rule
    window = settings().brake_window
    try:
        now = time.time() if now is None else now
        if _admit(app.id, action.id, count, window, now):
            return True
        limit = _limit(app, count, share, window)
        return limit > count and _admit(app.id, action.id, limit, window, now)
    except RedisError as exc:
        log.warning("brake of app %s cannot count (%s): admitted", app.id, exc)
        return True


def _admit(app_id, action_id, limit, window, now):
    return bool(get_redis().eval(_ADMIT, 1, KEY.format(app=app_id), now, window, limit, action_id))


def _limit(app, count, share, window):
    """The limit for this app now: `count`, or `share` of its live members when more (the
    members it had before this window's removals: those still live, plus those removed)."""
    conn = get_redis()
    key = MEMBERS_KEY.format(app=app.id)
    members = conn.get(key)
    if members is None:
        members = live_members(app) + conn.zcard(KEY.format(app=app.id))
        conn.set(key, members, ex=60)
    return max(count, math.ceil(share * int(members)))


def live_members(app):
    """How many accounts hold something Rolegate gave in the app's server."""
    return (
        Grant.select(Grant.discord_user_id)
        .where((Grant.app == app.id) & (Grant.state == "active"))
        .distinct()
        .count()
    )


def hold(action, app):
    """Hold the removal and brake the app; the seller is alerted when this trips it."""
    now = utcnow()
    with write_transaction():
        Action.update(status="held", attempts=Action.attempts - 1, updated_at=now,
                      last_error=HELD).where(Action.id == action.id).execute()  # fmt: skip
        tripped = (
            App.update(brake_held_at=now)
            .where((App.id == app.id) & App.brake_held_at.is_null())
            .execute()
        )
    if tripped:
        log.warning("removal brake tripped on app %s", app.id)
        _alert(app)
    return "held"


HELD = (
    "Held by the removal brake: more removals than usual were about to run for this server. "
    "Release or cancel them on the app's page."
)


def _alert(app):
    rule = settings().brake or (0, 0)
    minutes = round(settings().brake_window / 60)
    problem = alerts.Problem(
        f"brake{app.id}",
        f"Removals held on “{app.name}”: more than {rule[0]} removals and role revocations "
        f"(and {rule[1]:.0%} of its members) were about to run within {minutes} minutes. "
        "Nothing more is removed from this server until you release or cancel them.",
        f"/apps/{app.id}",
    )
    alerts.sync(app.seller_id, f"brake{app.id}", [problem])


def held(app, limit=100):
    """(how many removals the app holds, the first `limit` of them)."""
    query = Action.select().where((Action.app == app.id) & (Action.status == "held"))
    return query.count(), list(query.order_by(Action.id).limit(limit))


def release(app):
    """Run the held removals (each once, not counted again) and take the brake off."""
    now = utcnow()
    with write_transaction():
        ids = [
            i
            for (i,) in Action.update(status="queued", brake_released=True, next_attempt_at=now,
                                      updated_at=now, last_error="")
            .where((Action.app == app.id) & (Action.status == "held"))
            .returning(Action.id)
            .tuples()
            .execute()
        ]  # fmt: skip
        App.update(brake_held_at=None).where(App.id == app.id).execute()
        jobs.enqueue_actions(ids)
    _reset(app)
    return len(ids)


def cancel(app):
    """Skip the held removals: the orders stay ended, the roles stay, marked kept."""
    now = utcnow()
    with write_transaction():
        held_actions = list(
            Action.select().where((Action.app == app.id) & (Action.status == "held"))
        )
        for action in held_actions:
            grant = grants.to_undo(action, grants.UNDOES[action.kind], action.role_id)
            if grant is not None:
                grants.release(grant, state="kept")
        if held_actions:
            Action.update(
                status="skipped", finished_at=now, updated_at=now, last_error="",
                result="Cancelled by the seller (removal brake): it stays, no longer Rolegate's "
                "to take.",
            ).where(Action.id.in_([a.id for a in held_actions]) & (Action.status == "held")).execute()  # fmt: skip
        App.update(brake_held_at=None).where(App.id == app.id).execute()
    _reset(app)
    return len(held_actions)


def _reset(app):
    alerts.sync(app.seller_id, f"brake{app.id}", [])
    try:
        get_redis().delete(KEY.format(app=app.id), MEMBERS_KEY.format(app=app.id))
    except RedisError as exc:  # the window runs out by itself
        log.warning("could not reset the brake's window of app %s (%s)", app.id, exc)
