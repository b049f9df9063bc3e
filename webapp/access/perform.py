"""What performing one outbox Action means (SPEC §4 and §7).

One registry of action kinds (`KINDS`: label, what it gives or undoes, the permission it
needs, its Discord call); one `run(action_id)` that claims the action, takes the member
lock, checks it is still wanted, performs it, records the grant, and decides what a failure
means: retry with backoff, wait for the buyer or the app, or fail for good with a sentence
after a bounded number of attempts — also for an error nobody foresaw.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from redis.exceptions import LockError, RedisError

from webapp import alerts, jobs
from webapp.access import brake, customers, grants, locks, planner
from webapp.db import utcnow, write_transaction
from webapp.discord.errors import (
    DiscordError,
    PermanentError,
    RateLimited,
    RetryableError,
    TokenError,
)
from webapp.messages import outbox as buyer_messages
from webapp.models import Action, App, Customer, Order
from webapp.services import get_discord, settings

log = logging.getLogger("rolegate.actions")

RELINK = "The buyer's Discord authorisation was refused; they must open their claim link again."
WAITING_FOR_APP = (
    "The app is not connected to this server. This runs as soon as the app is connected again."
)
UNFORESEEN = (
    "Rolegate hit an unexpected error doing this ({detail}) and stopped after {n} attempts. "
    "Retry it; if it fails again, contact Rolegate's operator."
)
BUSY_RETRY = 1.0  # seconds: another action on the same member holds the lock
DEFER_RETRY = 2.0  # seconds: an alumni role waits for a purchase that adds the member


class NeedsLink(Exception):
    """The buyer has no usable Discord token: the action waits for them to link again."""


class Deferred(Exception):
    """Not now, soon: run again in `delay` seconds without counting an attempt."""

    def __init__(self, delay, why):
        super().__init__(why)
        self.delay = delay


@dataclass(frozen=True)
class Kind:
    """An action kind: its words, what it gives or undoes, and the permission it needs."""

    name: str
    label: str
    permission: str
    gives: str | None = None
    undoes: str | None = None


KINDS = {
    k.name: k
    for k in (
        Kind("add_to_server", "Add to the server", "Create Invite", gives="membership"),
        Kind("assign_role", "Give the role", "Manage Roles", gives="role"),
        Kind(
            "remove_from_server", "Remove from the server", "Kick Members", undoes="membership"
        ),  # fmt: skip
        Kind("revoke_role", "Take the role", "Manage Roles", undoes="role"),
    )
}


def max_attempts():
    """Attempts before an action fails for good: one, then one per backoff step."""
    return len(settings().backoff) + 1


def via_of(action):
    """Where a give action's grant comes from: the order's access, or its end (alumni)."""
    return "expiry" if action.trigger in ("expiry", "relink_alumni") else "purchase"


def _reason(action):
    order = action.order
    return f"Rolegate: {action.trigger} of order {order.external_id} ({action.kind})"


# Claiming and finishing.


def claim(action_id):
    """Take a queued action that is due (queued → running); None when it is not runnable."""
    now = utcnow()
    claimed = (
        Action.update(
            status="running", attempts=Action.attempts + 1, started_at=now, updated_at=now
        )
        .where(
            (Action.id == action_id) & (Action.status == "queued")
            & (Action.next_attempt_at.is_null()
               | (Action.next_attempt_at <= now + timedelta(seconds=2)))
        )
        .execute()
    )  # fmt: skip
    return Action.get_by_id(action_id) if claimed else None


def finish(action, status, result, **fields):
    """The action ended: done, skipped or failed, with its result in words."""
    now = utcnow()
    Action.update(
        status=status, result=result[:200], finished_at=now, updated_at=now, **fields
    ).where(Action.id == action.id).execute()


def _park(action, status, why, undo_attempt=True):
    fields = {"status": status, "last_error": why, "updated_at": utcnow()}
    if undo_attempt:
        fields["attempts"] = Action.attempts - 1
    Action.update(**fields).where(Action.id == action.id).execute()


def _error_fields(exc):
    return {
        "last_status": getattr(exc, "status", None),
        "last_error_code": getattr(exc, "code", None),
        "last_error": getattr(exc, "seller_message", str(exc))[:2000],
    }


def _retry(action, fields, delay=None, counts=True):
    """Run again after `delay` (or the next backoff step); fail when attempts are used up."""
    backoff = settings().backoff  # SPEC §7: about 1 min, 5 min, 30 min, 2 h, 12 h; then failed
    attempt = action.attempts if counts else action.attempts - 1
    if counts and attempt >= max_attempts():
        finish(action, "failed", "", **fields)
        alerts.review_failures(action.seller_id)
        return "failed"
    delay = delay if delay is not None else backoff[min(attempt, len(backoff)) - 1]
    when = utcnow() + timedelta(seconds=max(float(delay), 0.05))
    tag = f"{attempt}-{int(when.timestamp() * 1000)}"
    Action.update(
        status="queued", attempts=attempt, next_attempt_at=when, updated_at=utcnow(),
        job_id=jobs.action_job_id(action.id, tag), **fields,
    ).where(Action.id == action.id).execute()  # fmt: skip
    try:
        jobs.schedule_action_retry(action.id, when, tag)
    except RedisError as exc:
        log.warning("could not schedule retry of action %s (%s); the sweeper will", action.id, exc)
    return "retry"


# Staleness: is this action still wanted?


def stale(action):
    """Why the action should not run any more, or None."""
    order = Order.get_by_id(action.order_id)
    kind = KINDS[action.kind]
    if kind.gives is None:
        return None  # an undo decides from the grants when it runs
    customer = Customer.get_by_id(action.customer_id)
    if customer.discord_user_id != action.discord_user_id:
        return "The buyer switched Discord account before this ran."
    if not grants.wants(order, via_of(action)):
        if via_of(action) == "expiry":
            return "Access was given back before this ran."
        return "Access ended before this ran."
    return None


# Performing each kind.


def _token(action, discord):
    token = customers.access_token(Customer.get_by_id(action.customer_id), discord)
    if token is None:
        raise NeedsLink
    return token


def _add_member(action, discord, roles=()):
    customer = Customer.get_by_id(action.customer_id)
    token = _token(action, discord)
    try:
        return discord.add_member(
            action.guild_id, action.discord_user_id, token, roles=roles, reason=_reason(action)
        )
    except TokenError:
        # Refresh once (or take the token another worker just got), then ask to link again.
        token = customers.refresh(customer, discord, refused=token)
        if token is None:
            raise NeedsLink from None
        return discord.add_member(
            action.guild_id, action.discord_user_id, token, roles=roles, reason=_reason(action)
        )


def _intend(action, order, kind, role_id, preexisting):
    return grants.intend(
        action, kind, role_id, preexisting=preexisting, via=via_of(action),
        ends_with_access=planner.ends_with_access(order, action.app_id, kind, role_id),
    )  # fmt: skip


def give(action, discord):
    """Give a membership or a role; record the intent before Discord, the grant after."""
    order = Order.get_by_id(action.order_id)
    guild, user, role = action.guild_id, action.discord_user_id, action.role_id
    wants_role = action.kind == "assign_role"
    member = discord.get_member(guild, user)
    intents = []
    with write_transaction():
        if member is None:
            if via_of(action) == "expiry":
                if grants.giving_elsewhere(guild, user, action.order_id):
                    raise Deferred(DEFER_RETRY, "waiting for a purchase that adds the buyer")
                return None, "Not given: the buyer has left the server."
            intents.append(_intend(action, order, "membership", "", preexisting=False))
            if wants_role:
                intents.append(_intend(action, order, "role", role, preexisting=False))
        else:
            if via_of(action) == "purchase":
                pre = not grants.rolegate_holds(guild, user, "membership")
                intents.append(_intend(action, order, "membership", "", preexisting=pre))
            if wants_role:
                has = role in member.get("roles", [])
                pre = has and not grants.rolegate_holds(guild, user, "role", role)
                intents.append(_intend(action, order, "role", role, preexisting=pre))
    if member is None:
        added = _add_member(action, discord, roles=[role] if wants_role else ())
        if not added and wants_role:
            # 204: the member joined meanwhile, and Discord ignores `roles` on a 204.
            discord.add_role(guild, user, role, reason=_reason(action))
        result = "Added to the server" + (" with the role." if wants_role else ".")
    elif wants_role and role not in member.get("roles", []):
        discord.add_role(guild, user, role, reason=_reason(action))
        result = "Role given."
    elif wants_role:
        pre = intents[-1].preexisting
        result = "Already had the role" + (" before buying: it stays theirs." if pre else ".")
    else:
        pre = intents[-1].preexisting
        result = "Already a member" + (" before buying: they stay." if pre else ".")
    return intents, result


def undo(action, discord, app=None):
    """Take back a membership or a role, unless the buyer had it before or another order
    still needs it (rules 4 and 5); decided under the member lock. A removal that would
    really remove something passes the app's brake first (`brake.Held` when it holds it)."""
    kind = KINDS[action.kind].undoes
    what = "membership" if kind == "membership" else "role"
    guild, user, role = action.guild_id, action.discord_user_id, action.role_id
    with write_transaction():
        grant = grants.to_undo(action, kind, role)
        if grant is None:
            return "skipped", f"Rolegate did not give this {what} for this order: nothing to undo."
        if grants.is_needed(grant):
            return "skipped", f"Still this order's: the {what} stays."
        if grant.preexisting:
            grants.release(grant)
            return "skipped", f"The buyer had this {what} before buying: kept."
        if kind == "membership":
            kept = grants.membership_needed_elsewhere(guild, user, action.order_id)
        else:
            kept = grants.role_needed_elsewhere(guild, user, role, action.order_id)
        if kept:
            grants.release(grant)
            return "done", f"Kept: another order still gives this {what}."
    if app is not None and not brake.admits(action, app):
        raise brake.Held
    if kind == "membership":
        gone = discord.remove_member(guild, user, reason=_reason(action))
    else:
        gone = discord.remove_role(guild, user, role, reason=_reason(action))
    with write_transaction():
        grants.gone_from_discord(guild, user, kind, role)
    if kind == "membership":
        return "done", "Removed from the server." if gone else "Had already left the server."
    return "done", "Role removed." if gone else "Had already left the server."


# The job.


def run(action_id):
    """Perform the action once (a second run of the same action does nothing)."""
    action = claim(action_id)
    if action is None:
        return "not runnable"
    lock = locks.member(action.guild_id, action.discord_user_id)
    if not lock.acquire(blocking=True, blocking_timeout=5, token=locks.member_token(action.id)):
        return _retry(action, {}, delay=BUSY_RETRY, counts=False)
    try:
        return _perform(action)
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("member lock of action %s expired while it ran", action.id)


def _perform(action):
    why = stale(action)
    if why:
        finish(action, "skipped", why)
        return "skipped"
    app = App.get_by_id(action.app_id)
    if app.status != "connected" or app.guild_id != action.guild_id:
        _park(action, "waiting_for_app", WAITING_FOR_APP)
        return "waiting for app"
    discord = get_discord()
    try:
        if KINDS[action.kind].gives:
            intents, result = give(action, discord)
            status = "done" if intents is not None else "skipped"
        else:
            status, result = undo(action, discord, app)
            intents = None
    except RateLimited as exc:
        log.info("rate limited, again in %.1f s", exc.retry_after, extra=_ids(action, "queued"))
        return _retry(action, _error_fields(exc), delay=exc.retry_after, counts=False)
    except Deferred as exc:
        return _retry(action, {"last_error": str(exc)}, delay=exc.delay, counts=False)
    except RetryableError as exc:
        log.warning("Discord error, will retry: %s", exc, extra=_ids(action, "queued"))
        return _retry(action, _error_fields(exc))
    except NeedsLink:
        _park(action, "waiting_for_link", RELINK)
        return "waiting for link"
    except brake.Held:
        return brake.hold(action, app)
    except (PermanentError, TokenError, DiscordError) as exc:
        finish(action, "failed", "", **_error_fields(exc))
        alerts.review_failures(action.seller_id)
        log.warning("action failed for good: %s", exc, extra=_ids(action, "failed"))
        return "failed"
    except Exception as exc:
        # Nobody foresaw this: retry with backoff, fail for good after max_attempts, and
        # let RQ record the traceback too.
        detail = f"{type(exc).__name__}: {exc}"[:200]
        fields = {"last_error": UNFORESEEN.format(detail=detail, n=max_attempts())}
        log.exception("action raised", extra=_ids(action, "error"))
        _retry(action, fields)
        raise
    with write_transaction():
        if intents:
            for grant in intents:
                grants.activate(grant)
        finish(action, status, result, last_error="")
        jobs.enqueue_actions(follow_up(action))
        if intents and action.trigger == "purchase":  # the roles were given: welcome them
            buyer_messages.welcome(Order.get_by_id(action.order_id))
    log.info("action %s", status, extra=_ids(action, status))
    return status


def follow_up(action):
    """After a give: what changed while it ran (a refund, an end, a switch) is applied now."""
    if not KINDS[action.kind].gives:
        return []
    locks.customer_row(action.customer_id)
    order = Order.get_by_id(action.order_id)
    customer = Customer.get_by_id(action.customer_id)
    ids = []
    for grant in grants.live_of_order(order.id, action.discord_user_id):
        if grant.app_id != action.app_id or grants.is_needed(grant):
            continue
        moved = customer.discord_user_id != grant.discord_user_id
        if moved and grants.keeps(order, grant.via):
            ids.append(planner.move_grant(order, grant, customer))
        trigger = (
            "relink"
            if moved
            else {"refunded": "refund", "disputed": "dispute"}.get(order.status, "expiry")
        )
        if trigger == "expiry" and (
            not grant.ends_with_access or planner.other_live_order_of_product(order)
        ):
            continue  # an ended order keeps what its expiry automations do not undo
        ids.append(planner.undo_grant(order, grant, trigger, customer))
    return [i for i in ids if i]


def _ids(action, status):
    return {"action_id": action.id, "order_id": action.order_id, "seller_id": action.seller_id,
            "kind": action.kind, "status": status}  # fmt: skip
