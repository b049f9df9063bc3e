"""Turn order state into outbox Actions; creating the same action twice is a no-op."""

from webapp.db import utcnow
from webapp.models import Action, App, Automation, Grant, Order

UNDO = {"membership": "remove_from_server", "role": "revoke_role"}
PENDING = ("waiting_for_link", "queued")


def automations(order, event):
    """Enabled automations of `event` for the order's product (or any product)."""
    return (
        Automation.select(Automation, App)
        .join(App)
        .where(
            (Automation.seller == order.seller_id)
            & (Automation.event == event)
            & Automation.enabled
            & ((Automation.product == order.product_id) | Automation.product.is_null())
            & App.guild_id.is_null(False)
        )
        .order_by(Automation.id)
    )


def _insert(order, **fields):
    """Insert one action unless its dedupe key exists; return it when it is new."""
    now = utcnow()
    inserted = (
        Action.insert(
            seller=order.seller_id, order=order.id, created_at=now, updated_at=now, **fields
        )
        .on_conflict_ignore()
        .execute()
    )
    if not inserted:
        return None
    return Action.get(
        (Action.seller == order.seller_id) & (Action.dedupe_key == fields["dedupe_key"])
    )


def _create(order, *, app_id, guild_id, kind, role_id, trigger, key, automation_id=None):
    """A new action of an automation; its id when it is ready to run."""
    customer = order.customer
    linked = customer.discord_user_id is not None
    action = _insert(
        order, customer=customer.id, app=app_id, automation=automation_id, trigger=trigger,
        kind=kind, guild_id=guild_id, role_id=role_id or "",
        discord_user_id=customer.discord_user_id, dedupe_key=key,
        status="queued" if linked else "waiting_for_link",
        next_attempt_at=utcnow() if linked else None,
    )  # fmt: skip
    return action.id if action is not None and action.status == "queued" else None


def _from_automations(order, event):
    ids = []
    who = order.customer.discord_user_id or "unlinked"
    for automation in automations(order, event):
        if event == "expiry" and automation.action == "add_to_server":
            continue  # refused when saved; never run even if stored by hand
        key = f"o{order.id}:g{order.generation}:{event}:a{automation.id}:u{who}"
        new = _create(
            order,
            app_id=automation.app_id,
            guild_id=automation.app.guild_id,
            kind=automation.action,
            role_id=automation.role_id,
            trigger=event,
            key=key,
            automation_id=automation.id,
        )
        if new:
            ids.append(new)
    return ids


def plan_purchase(order):
    """Actions of the order's `purchase` automations; ids of those ready to run."""
    return _from_automations(order, "purchase")


def plan_expiry(order):
    """Actions of the order's `expiry` automations (remove, revoke, alumni role)."""
    cancel_pending(order)
    return _from_automations(order, "expiry")


def plan_undo(order, trigger, user_id=None):
    """Undo every live grant of the order (on `user_id` only, when given); no alumni role."""
    ids = []
    query = Grant.select().where((Grant.order == order.id) & (Grant.state == "active"))
    if user_id is not None:
        query = query.where(Grant.discord_user_id == user_id)
    for grant in query:
        key = f"o{order.id}:g{order.generation}:{trigger}:grant{grant.id}:u{grant.discord_user_id}"
        action = _insert(
            order, customer=order.customer_id, app=grant.app_id, trigger=trigger,
            kind=UNDO[grant.kind], guild_id=grant.guild_id, role_id=grant.role_id,
            discord_user_id=grant.discord_user_id, dedupe_key=key, status="queued",
            next_attempt_at=utcnow(),
        )  # fmt: skip
        if action is not None:
            ids.append(action.id)
    return ids


def cancel_pending(order, user_id=None, why="Access ended before this ran."):
    """Purchase actions not yet run are skipped (for `user_id` only, when given)."""
    query = Action.update(status="skipped", result=why, updated_at=utcnow()).where(
        (Action.order == order.id) & (Action.trigger == "purchase") & Action.status.in_(PENDING)
    )
    if user_id is not None:
        query = query.where(Action.discord_user_id == user_id)
    query.execute()


def release_waiting(customer):
    """The customer linked Discord: their waiting actions get the account and are queued."""
    now = utcnow()
    waiting = Action.select(Action.id).where(
        (Action.customer == customer.id) & (Action.status == "waiting_for_link")
    )
    ids = [row.id for row in waiting]
    if ids:
        (
            Action.update(
                status="queued",
                discord_user_id=customer.discord_user_id,
                next_attempt_at=now,
                updated_at=now,
                last_error="",
            )
            .where(Action.id.in_(ids))
            .execute()
        )
    return ids


def active_orders(customer):
    """The customer's orders whose access runs."""
    return Order.select().where((Order.customer == customer.id) & (Order.status == "active"))
