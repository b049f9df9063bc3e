"""What a change to a purchase automation means for orders with live access (SPEC §11):
nothing is applied to them without the seller's choice, made after a preview.

- Adding one: "Also give it to the N members with live access" runs as a job
  (`give_to_live`) in batches, with its progress in Redis; each order gets the same action
  (and dedupe key) its payment would have planned, so running it twice, or a renewal
  meanwhile, never gives twice.
- Deleting one: the members who hold its role or membership through it (`holders`; not
  those another enabled automation of the product still gives it to) lose it **now**
  (withdrawn: no longer needed by the order, revoked under rules 4 and 5, released from the
  brake because the seller confirmed the count), **when their access ends** (undone with the
  end of access even without an expiry automation), or **never** (kept, with the membership
  Rolegate gave the same orders — a role needs its member: Rolegate no longer takes them,
  also not after a refund).
"""

import peewee

from webapp import jobs
from webapp.access import grants, planner
from webapp.db import utcnow, write_transaction
from webapp.models import Automation, Customer, Grant, Order
from webapp.services import get_redis

GIVES = ("add_to_server", "assign_role")
BATCH = 500
PREVIEW = 20
PROGRESS = "rolegate:live:{automation}"
WHEN = {"now": "now", "at_end": "when their access ends", "never": "never"}


def applies(automation):
    """True for automations whose change concerns live orders (purchase gives)."""
    return automation.event == "purchase" and automation.action in GIVES


def _scope(query, automation):
    query = query.where((Order.seller == automation.seller_id) & (Order.status == "active"))
    if automation.product_id:
        query = query.where(Order.product == automation.product_id)
    return query


def live_orders(automation):
    """Orders with live access the automation would have served had it existed."""
    return _scope(Order.select(Order, Customer).join(Customer), automation)


def preview(automation):
    """{total, linked, rows}: how many orders, how many of their buyers linked Discord (the
    others get it when they link), and the first few."""
    total = live_orders(automation).count()
    linked = live_orders(automation).where(Customer.discord_user_id.is_null(False)).count()
    rows = list(live_orders(automation).order_by(Order.id).limit(PREVIEW))
    return {"total": total, "linked": linked, "rows": rows}


def give_to_live(automation_id):
    """The job: plan the automation's action for every live order, in batches; how many new."""
    automation = Automation.get_or_none(Automation.id == automation_id)
    if automation is None or not automation.enabled:
        return 0
    key = PROGRESS.format(automation=automation_id)
    conn = get_redis()
    app = automation.app
    after, queued = 0, 0
    while True:
        with write_transaction():
            batch = list(
                live_orders(automation).where(Order.id > after).order_by(Order.id).limit(BATCH)
            )
            ids = [
                i for order in batch
                if (i := planner.give_for_automation(order, order.customer, automation, app))
            ]  # fmt: skip
            jobs.enqueue_actions(ids)
        queued += len(ids)
        if not batch:
            break
        after = batch[-1].id
        conn.hincrby(key, "done", len(batch))
    conn.hset(key, "finished", utcnow().isoformat())
    return queued


def progress(automation_id):
    """{total, done, running} of the give-to-live job, or None when none ran."""
    raw = {k.decode(): v.decode() for k, v in get_redis().hgetall(
        PROGRESS.format(automation=automation_id)).items()}  # fmt: skip
    if not raw:
        return None
    total, done = int(raw["total"]), int(raw["done"])
    return {"total": total, "done": min(done, total), "running": not raw.get("finished")}


def start_giving(automation):
    """Queue the job (progress starts at zero, so a reload shows it at once)."""
    conn = get_redis()
    key = PROGRESS.format(automation=automation.id)
    conn.hset(key, mapping={"total": live_orders(automation).count(), "done": 0, "finished": ""})
    conn.expire(key, 86_400)
    jobs.enqueue_give_to_live(automation.id)


def holders(automation):
    """Live purchase grants of what the automation gives, in its app and product scope —
    without those another enabled purchase automation of the order's product still gives."""
    kind = grants.GIVES[automation.action]
    same = (
        (Automation.seller == automation.seller_id) & (Automation.id != automation.id)
        & (Automation.app == automation.app_id) & (Automation.event == "purchase")
        & (Automation.action == automation.action) & Automation.enabled
        & ((Automation.product == Order.product) | Automation.product.is_null())
    )  # fmt: skip
    if automation.role_id:
        same &= Automation.role_id == automation.role_id
    others = Automation.select(Automation.id).where(same)
    query = (
        Grant.select(Grant, Order)
        .join(Order)
        .where(
            (Grant.app == automation.app_id) & (Grant.kind == kind)
            & (Grant.role_id == (automation.role_id or "")) & (Grant.state == "active")
            & (Grant.via == "purchase") & ~peewee.fn.EXISTS(others)
        )
    )  # fmt: skip
    return _scope(query, automation)


def withdraw(automation, when):
    """Apply the seller's choice for the holders; how many grants it concerned."""
    if when not in WHEN:
        raise ValueError(when)
    with write_transaction():
        held = list(holders(automation))
        ids = [g.id for g in held]
        if when == "never":
            # A role needs its member: the membership Rolegate gave these orders stays too.
            orders = [g.order_id for g in held]
            Grant.update(state="kept").where(
                Grant.id.in_(ids) | (Grant.order.in_(orders) & (Grant.app == automation.app_id)
                                     & (Grant.kind == "membership") & (Grant.state == "active"))
            ).execute()  # fmt: skip
        elif when == "at_end":
            Grant.update(ends_with_access=True).where(Grant.id.in_(ids)).execute()
        else:
            Grant.update(via="withdrawn").where(Grant.id.in_(ids)).execute()
            queued = [
                i for g in held
                if (i := planner.undo_grant(g.order, g, "manual", released=True))
            ]  # fmt: skip
            jobs.enqueue_actions(queued)
    return len(ids)
