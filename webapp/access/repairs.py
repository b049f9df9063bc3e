"""Discord drifted from what Rolegate holds: give back what a buyer with live access lost
(SPEC §10).

`check_member(guild, user, why)` is what every gateway event about a member and the
reconciliation come down to. It reads the member as Discord has them *now* (Get Guild
Member: events may come late, twice or out of order), and for each role Rolegate holds for a
live order that the member lacks:

- after a rejoin (Discord's `joined_at` later than the grant: the member left and came back,
  whichever event told us) the role is given back, always;
- otherwise it was removed by hand: given back when its automation says "Give it back if
  removed" (the default), else the grant is marked "removed" and left alone — it is no
  longer Rolegate's to take at the end of access.

Giving back is an ordinary give action (trigger `rejoin` or `repair`), run by a worker under
the member's lock like every other: if access ended or the buyer switched account before it
runs, it is skipped (`perform.stale`), so a role Rolegate itself just revoked never comes
back. A member who left is left alone until they rejoin: their live orders' timelines say
"left the server" once (`Grant.left_at`), and the end of access never pulls them back (§4
rule 3).
"""

import logging
import time
from datetime import UTC, datetime

from webapp import jobs
from webapp.access import planner
from webapp.db import utcnow, write_transaction
from webapp.models import Action, Automation, Customer, Grant, Order
from webapp.services import get_discord

log = logging.getLogger("rolegate.repairs")
PENDING = ("queued", "running", "waiting_for_link", "waiting_for_app")


def held_roles(guild_id, user_id):
    """The role grants Rolegate holds for this account's live orders in this server."""
    return held_roles_of(guild_id, [user_id]).get(user_id, [])


def held_roles_of(guild_id, user_ids):
    """{user id: role grants Rolegate holds for that account's live orders}, in one query."""
    held = {}
    for grant in (
        Grant.select(Grant, Order, Customer)
        .join(Order)
        .switch(Grant)
        .join(Customer)
        .where(
            (Grant.guild_id == guild_id) & Grant.discord_user_id.in_(list(user_ids))
            & (Grant.kind == "role") & (Grant.state == "active") & (Grant.via == "purchase")
            & (Order.status == "active") & (Customer.discord_user_id == Grant.discord_user_id)
        )
    ):  # fmt: skip
        held.setdefault(grant.discord_user_id, []).append(grant)
    return held


def check_member(guild_id, user_id, why="checked", held=None):
    """Compare the member with what Rolegate holds and repair; the ids of actions queued.
    `why` (joined, updated, checked) is only for the log: the decision is made from the
    member as Discord has them now. `held`: the grants, when the caller read them already."""
    held = held_roles(guild_id, user_id) if held is None else held
    if not held and why != "left":
        return []
    member = get_discord().get_member(guild_id, user_id)
    if member is None:
        mark_left(guild_id, user_id)
        return []  # given back when they rejoin
    if why == "joined" or any(grant.left_at for grant in held):
        _mark_back(guild_id, user_id)
    have = set(member.get("roles", []))
    missing = [grant for grant in held if grant.role_id not in have]
    if not missing:
        return []  # the usual case of a reconciliation: no transaction at all
    joined = _time(member.get("joined_at"))
    queued = []
    with write_transaction():
        for grant in missing:
            if _repair_pending(grant):
                continue
            rejoined = (
                joined is not None and grant.granted_at is not None and (joined > grant.granted_at)
            )
            trigger = "rejoin" if rejoined else "repair"
            if trigger == "repair" and not gives_back(grant.order, grant.role_id):
                _mark_removed(grant)
                continue
            new = planner.give_back(grant.order, grant, grant.customer, trigger, stamp=_stamp())
            if new:
                queued.append(new)
        jobs.enqueue_actions(queued)
    if queued:
        log.info("member %s of %s (%s): %d role(s) to give back", user_id, guild_id, why,
                 len(queued))  # fmt: skip
    return queued


def gives_back(order, role_id):
    """True unless every purchase automation giving this role says not to give it back."""
    flags = [
        a.give_back
        for a in Automation.select(Automation.give_back).where(
            (Automation.seller == order.seller_id) & (Automation.event == "purchase")
            & (Automation.action == "assign_role") & (Automation.role_id == role_id)
            & ((Automation.product == order.product_id) | Automation.product.is_null())
        )
    ]  # fmt: skip
    return not flags or any(flags)


def _repair_pending(grant):
    kind = "assign_role" if grant.kind == "role" else "add_to_server"
    return (
        Action.select(Action.id)
        .where(
            (Action.order == grant.order_id) & (Action.kind == kind)
            & (Action.role_id == grant.role_id) & Action.status.in_(PENDING)
        )
        .exists()
    )  # fmt: skip


def rejoin(customer):
    """The buyer asked to be back on the server (My access): every grant of their live
    orders on their account is given again — one action each, not twice while one waits.
    Adding them back uses their stored `guilds.join` token; without one the actions wait
    for them to connect Discord again. The ids of the actions queued."""
    if not customer.discord_user_id:
        return []
    grants = (
        Grant.select(Grant, Order)
        .join(Order)
        .where(
            (Grant.customer == customer.id) & (Grant.discord_user_id == customer.discord_user_id)
            & (Grant.state == "active") & (Grant.via == "purchase") & (Order.status == "active")
        )
        .order_by(Grant.kind.desc())  # roles first: adding with its roles is one call
    )  # fmt: skip
    queued, stamp, covered = [], _stamp(), set()
    with write_transaction():
        for grant in grants:
            if grant.kind == "membership" and (grant.order_id, grant.app_id) in covered:
                continue  # the role's give adds them to the server with it
            covered.add((grant.order_id, grant.app_id))
            if _repair_pending(grant):
                continue
            if new := planner.give_back(grant.order, grant, customer, "rejoin", stamp):
                queued.append(new)
        jobs.enqueue_actions(queued)
    log.info("customer %s asked to rejoin: %d action(s)", customer.id, len(queued))
    return queued


def _mark_removed(grant):
    """Removed by hand and not given back: no longer Rolegate's; said in the timeline."""
    now = utcnow()
    changed = (
        Grant.update(state="removed", revoked_at=now)
        .where((Grant.id == grant.id) & (Grant.state == "active"))
        .execute()
    )
    if changed:
        planner.note_removed(grant.order, grant, _stamp())


def mark_left(guild_id, user_id):
    """The member is not on the server: note it once in each live order's timeline."""
    now = utcnow()
    with write_transaction():
        ids = [
            grant_id
            for (grant_id,) in Grant.update(left_at=now)
            .where(
                (Grant.guild_id == guild_id) & (Grant.discord_user_id == user_id)
                & (Grant.state == "active") & Grant.left_at.is_null()
                & Grant.order.in_(Order.select(Order.id).where(Order.status == "active"))
            )
            .returning(Grant.id)
            .tuples()
            .execute()
        ]  # fmt: skip
        if not ids:
            return 0
        stamp, noted = _stamp(), set()
        for grant in Grant.select(Grant, Order).join(Order).where(Grant.id.in_(ids)):
            if grant.order_id not in noted:
                noted.add(grant.order_id)
                planner.note_left(grant.order, grant, stamp)
    log.info("member %s left %s: noted on %d order(s)", user_id, guild_id, len(noted))
    return len(noted)


def _mark_back(guild_id, user_id):
    Grant.update(left_at=None).where(
        (Grant.guild_id == guild_id) & (Grant.discord_user_id == user_id)
        & Grant.left_at.is_null(False)
    ).execute()  # fmt: skip


def _time(value):
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _stamp():
    return time.time_ns()
