"""The outbox worker: perform one Discord action, record what it granted, retry or fail."""

import logging
from datetime import timedelta

from rq import Queue

from webapp.access import customers, dispatch, grants, planner
from webapp.db import db, utcnow
from webapp.discord.errors import (
    DiscordError,
    PermanentError,
    RateLimited,
    RetryableError,
    TokenError,
)
from webapp.models import Action, Customer, Order
from webapp.services import get_discord, get_redis, settings
from workers.jobs import job
from workers.queues import ACTIONS, scheduler

log = logging.getLogger("rolegate.actions")

RELINK = "The buyer's Discord authorisation was refused; they must open their claim link again."


class NeedsLink(Exception):
    """The buyer has no usable Discord token: the action waits for them to link again."""


def job_id(action_id, attempt=0):
    """The RQ job id of an action's run (a retry gets its own)."""
    return f"action-{action_id}" if not attempt else f"action-{action_id}-retry-{attempt}"


def enqueue(action_ids):
    """Queue the jobs of these actions, in one Redis round trip."""
    opts = run_action.rq_options
    queue = Queue(opts["queue"], connection=get_redis())
    queue.enqueue_many(
        [
            Queue.prepare_data(
                run_action,
                args=(action_id,),
                job_id=job_id(action_id),
                timeout=opts["timeout"],
                result_ttl=opts["result_ttl"],
                failure_ttl=opts["failure_ttl"],
            )
            for action_id in action_ids
        ]
    )


def _reason(action):
    order = action.order
    return f"Rolegate: {action.trigger} of order {order.external_id} ({action.kind})"


def _claim(action_id):
    now = utcnow()
    claimed = (
        Action.update(
            status="running", attempts=Action.attempts + 1, started_at=now, updated_at=now
        )
        .where(
            (Action.id == action_id)
            & (Action.status == "queued")
            & (
                Action.next_attempt_at.is_null()
                | (Action.next_attempt_at <= now + timedelta(seconds=2))
            )
        )
        .execute()
    )
    return Action.get_by_id(action_id) if claimed else None


def _finish(action, status, result, **fields):
    now = utcnow()
    Action.update(
        status=status, result=result[:200], finished_at=now, updated_at=now, **fields
    ).where(Action.id == action.id).execute()


def _token(action, discord):
    token = customers.access_token(Customer.get_by_id(action.customer_id), discord)
    if token is None:
        raise NeedsLink
    return token


def add_to_server(action, discord):
    """PUT the member; 204 means they were there already (before Rolegate, or by another order)."""
    added = _add_member(action, discord)
    if added:
        grants.record(action, "membership")
        return "done", "Added to the server."
    pre = not grants.granted_by_rolegate(action.guild_id, action.discord_user_id, "membership")
    grants.record(action, "membership", preexisting=pre)
    return "done", "Already a member of the server."


def _add_member(action, discord, roles=()):
    try:
        return discord.add_member(
            action.guild_id, action.discord_user_id, _token(action, discord),
            roles=roles, reason=_reason(action),
        )  # fmt: skip
    except TokenError:
        # Refresh once, then ask the buyer to link again.
        token = customers.refresh(Customer.get_by_id(action.customer_id), discord)
        if token is None:
            raise NeedsLink from None
        return discord.add_member(
            action.guild_id, action.discord_user_id, token, roles=roles, reason=_reason(action)
        )


def assign_role(action, discord):
    """Give the role; a buyer not on the server is added with it in one call."""
    role, user = action.role_id, action.discord_user_id
    member = discord.get_member(action.guild_id, user)
    if member is None:
        if _add_member(action, discord, roles=[role]):
            grants.record(action, "membership")
            grants.record(action, "role", role)
            return "done", "Added to the server with the role."
    elif role in member.get("roles", []):
        pre = not grants.granted_by_rolegate(action.guild_id, user, "role", role)
        grants.record(action, "role", role, preexisting=pre)
        return "done", "Already had the role" + (" before buying." if pre else ".")
    discord.add_role(action.guild_id, user, role, reason=_reason(action))
    grants.record(action, "role", role)
    return "done", "Role given."


def _undo(action, kind, role_id, call):
    grant = grants.to_undo(action, kind, role_id)
    what = "membership" if kind == "membership" else "role"
    if grant is None:
        return "skipped", f"Rolegate did not give this {what} for this order: nothing to undo."
    if grant.preexisting or grants.held_before_rolegate(
        action.guild_id, action.discord_user_id, kind, role_id
    ):
        grants.release(grant)
        return "skipped", f"The buyer had this {what} before buying: kept."
    if grants.held_by_another_active_order(grant):
        grants.release(grant)
        return "done", f"Kept: another active order still gives this {what}."
    gone = call()
    with db.atomic():
        grants.release(grant)
        grants.release_everywhere(action.guild_id, action.discord_user_id, kind, role_id)
        if kind == "membership":
            # Leaving the server took every role with it.
            grants.release_everywhere_roles(action.guild_id, action.discord_user_id)
    return "done", {("membership", True): "Removed from the server.",
                    ("membership", False): "Had already left the server.",
                    ("role", True): "Role removed.",
                    ("role", False): "Had already left the server."}[(kind, gone)]  # fmt: skip


def remove_from_server(action, discord):
    """Kick the buyer unless they were there before, or another active order keeps them."""
    return _undo(
        action, "membership", "",
        lambda: discord.remove_member(action.guild_id, action.discord_user_id, reason=_reason(action)),
    )  # fmt: skip


def revoke_role(action, discord):
    """Remove the role unless Rolegate never gave it, or another active order keeps it."""
    return _undo(
        action, "role", action.role_id,
        lambda: discord.remove_role(
            action.guild_id, action.discord_user_id, action.role_id, reason=_reason(action)
        ),
    )  # fmt: skip


PERFORM = {
    "add_to_server": add_to_server,
    "assign_role": assign_role,
    "remove_from_server": remove_from_server,
    "revoke_role": revoke_role,
}


def _stale(action):
    """Why the action should not run any more, or None."""
    order = Order.get_by_id(action.order_id)
    if action.trigger == "purchase" and order.status != "active":
        return "Access ended before this ran."
    if action.trigger == "expiry" and order.status == "active":
        return "Access was renewed before this ran."
    return None


@job(ACTIONS, timeout=60, result_ttl=600)
def run_action(action_id):
    """Perform the action once (a second run of the same action does nothing)."""
    action = _claim(action_id)
    if action is None:
        return "not runnable"
    stale = _stale(action)
    if stale:
        _finish(action, "skipped", stale)
        return "skipped"
    discord = get_discord()
    try:
        status, result = PERFORM[action.kind](action, discord)
    except RateLimited as exc:
        _retry(action, exc, delay=exc.retry_after, counts=False)
        log.info("rate limited, again in %.1f s", exc.retry_after, extra=_ids(action, "queued"))
        return "rate limited"
    except RetryableError as exc:
        _retry(action, exc)
        log.warning("Discord error, will retry: %s", exc, extra=_ids(action, "queued"))
        return "retry"
    except NeedsLink:
        Action.update(
            status="waiting_for_link", last_error=RELINK, updated_at=utcnow(),
            attempts=Action.attempts - 1,
        ).where(Action.id == action.id).execute()  # fmt: skip
        return "waiting for link"
    except (PermanentError, TokenError, DiscordError) as exc:
        _finish(action, "failed", "", **_error_fields(exc))
        log.warning("action failed for good: %s", exc, extra=_ids(action, "failed"))
        return "failed"
    _finish(action, status, result, last_error="")
    _after_success(action)
    log.info("action %s", status, extra=_ids(action, status))
    return status


def _ids(action, status):
    return {"action_id": action.id, "order_id": action.order_id, "seller_id": action.seller_id,
            "kind": action.kind, "status": status}  # fmt: skip


def _error_fields(exc):
    return {
        "last_status": getattr(exc, "status", None),
        "last_error_code": getattr(exc, "code", None),
        "last_error": getattr(exc, "seller_message", str(exc)),
    }


def _retry(action, exc, delay=None, counts=True):
    attempt = action.attempts if counts else action.attempts - 1
    backoff = settings().backoff  # SPEC §7: about 1 min, 5 min, 30 min, 2 h, 12 h; then failed
    if counts and attempt > len(backoff):
        _finish(action, "failed", "", **_error_fields(exc))
        return
    delay = delay if delay is not None else backoff[attempt - 1]
    when = utcnow() + timedelta(seconds=max(float(delay), 0.05))
    retry_id = job_id(action.id, f"{attempt}-{int(when.timestamp() * 1000)}")
    Action.update(
        status="queued", attempts=attempt, next_attempt_at=when, updated_at=utcnow(),
        job_id=retry_id, **_error_fields(exc),
    ).where(Action.id == action.id).execute()  # fmt: skip
    opts = run_action.rq_options
    scheduler().enqueue_at(
        when, run_action, action.id, job_id=retry_id,
        queue_name=opts["queue"], timeout=opts["timeout"], job_result_ttl=opts["result_ttl"],
    )  # fmt: skip


def _after_success(action):
    """A purchase that finished after a refund raced it is undone at once."""
    if action.trigger != "purchase":
        return
    order = Order.get_by_id(action.order_id)
    if order.status == "refunded":
        with db.atomic():
            dispatch.enqueue_actions(planner.plan_undo(order, "refund"))
