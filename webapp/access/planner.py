"""Turn order state into outbox Actions; planning the same action twice is a no-op.

Every dedupe key names the order's generation (a revival plans anew) and the customer's
link count (a switch of Discord account, back to one seen before included, plans anew).
"""

from webapp.access import catalog_cache, grants
from webapp.db import Statement, utcnow
from webapp.models import Action, App, Automation, Order
from webapp.models.outbox import GIVE_TRIGGERS

PENDING = ("waiting_for_link", "waiting_for_app", "queued")


_automations = Statement(
    Automation,
    lambda seller_id, event, product_id: Automation.select(
        Automation.id, Automation.app, Automation.action, Automation.role_id,
        App.guild_id.alias("app_guild_id"),
    )
    .join(App)
    .where(
        (Automation.seller == seller_id) & (Automation.event == event) & Automation.enabled
        & ((Automation.product == product_id) | Automation.product.is_null())
        & App.guild_id.is_null(False)
    )
    .order_by(Automation.id),
)  # fmt: skip


def automations(order, event):
    """Enabled automations of `event` for the order's product (or any product), of apps
    with a server: id, app_id, action, role_id and app_guild_id (shared rows: read only)."""
    return catalog_cache.read(
        "automations", order.seller_id, (event, order.product_id),
        lambda: list(_automations.rows(order.seller_id, event, order.product_id)),
    )  # fmt: skip


def ends_with_access(order, app_id, kind, role_id):
    """True when an expiry automation of the order's product undoes this (rule 11)."""
    undo = grants.UNDO_KIND[kind]
    query = Automation.select(Automation.id).where(
        (Automation.seller == order.seller_id) & (Automation.app == app_id)
        & (Automation.event == "expiry") & (Automation.action == undo) & Automation.enabled
        & ((Automation.product == order.product_id) | Automation.product.is_null())
    )  # fmt: skip
    if kind == "role":
        query = query.where(Automation.role_id == role_id)
    return query.exists()


def _insert(order, **fields):
    """Insert one action unless its dedupe key exists; its id when it is new and queued."""
    now = utcnow()
    inserted = list(
        Action.insert(
            seller=order.seller_id, order=order.id, created_at=now, updated_at=now, **fields
        )
        .on_conflict_ignore()
        .returning(Action.id)
        .tuples()
        .execute()
    )
    if not inserted or fields.get("status") != "queued":
        return None
    return inserted[0][0]


def _key(order, what, customer):
    return f"o{order.id}:g{order.generation}:{what}:l{customer.link_count}"


def _give(order, customer, *, app_id, guild_id, kind, role_id, trigger, what, automation=None):
    linked = customer.discord_user_id is not None
    return _insert(
        order, customer=customer.id, app=app_id, automation=automation, trigger=trigger,
        kind=kind, guild_id=guild_id, role_id=role_id or "",
        discord_user_id=customer.discord_user_id, dedupe_key=_key(order, what, customer),
        status="queued" if linked else "waiting_for_link",
        next_attempt_at=utcnow() if linked else None,
    )  # fmt: skip


def _from_automations(order, event, customer):
    ids = []
    for automation in automations(order, event):
        if event == "expiry" and automation.action not in ("assign_role",):
            continue  # undoing is planned from the order's grants; expiry never adds
        new = _give(
            order, customer, app_id=automation.app_id, guild_id=automation.app_guild_id,
            kind=automation.action, role_id=automation.role_id, trigger=event,
            what=f"{event}:a{automation.id}", automation=automation.id,
        )  # fmt: skip
        if new:
            ids.append(new)
    return ids


def plan_purchase(order):
    """Actions of the order's `purchase` automations; ids of those ready to run."""
    return _from_automations(order, "purchase", order.customer)


def undo_grant(order, grant, trigger, customer=None, released=False):
    """An action that undoes one grant (decided when it runs); its id when new.
    `released`: the seller confirmed it, the removal brake does not count it."""
    customer = customer or order.customer
    return _insert(
        order, customer=grant.customer_id, app=grant.app_id, trigger=trigger,
        kind=grants.UNDO_KIND[grant.kind], guild_id=grant.guild_id, role_id=grant.role_id,
        discord_user_id=grant.discord_user_id,
        dedupe_key=_key(order, f"{trigger}:grant{grant.id}", customer),
        status="queued", next_attempt_at=utcnow(), brake_released=released,
    )  # fmt: skip


def give_for_automation(order, customer, automation, app):
    """The action a live order's payment would have planned for a purchase automation added
    since (the same dedupe key: never twice); its id when new and ready to run."""
    return _give(
        order, customer, app_id=automation.app_id, guild_id=app.guild_id,
        kind=automation.action, role_id=automation.role_id, trigger="purchase",
        what=f"purchase:a{automation.id}", automation=automation.id,
    )  # fmt: skip


def move_grant(order, grant, customer):
    """An action that gives the same thing on the customer's current account (a switch)."""
    kind = "assign_role" if grant.kind == "role" else "add_to_server"
    return _give(
        order, customer, app_id=grant.app_id, guild_id=grant.guild_id, kind=kind,
        role_id=grant.role_id, trigger="relink" if grant.via == "purchase" else "relink_alumni",
        what=f"move:grant{grant.id}",
    )  # fmt: skip


def give_back(order, grant, customer, trigger, stamp):
    """An action that gives a held role or membership again (`rejoin` / `repair`); its id
    when new."""
    return _give(
        order, customer, app_id=grant.app_id, guild_id=grant.guild_id,
        kind="assign_role" if grant.kind == "role" else "add_to_server", role_id=grant.role_id,
        trigger=trigger, what=f"{trigger}:grant{grant.id}:{stamp}",
    )  # fmt: skip


def note_removed(order, grant, stamp):
    """A line in the order's timeline: the role was removed by hand and is left alone."""
    _insert(
        order, customer=grant.customer_id, app=grant.app_id, trigger="repair",
        kind="assign_role", guild_id=grant.guild_id, role_id=grant.role_id,
        discord_user_id=grant.discord_user_id, status="skipped",
        dedupe_key=f"o{order.id}:g{order.generation}:removed:grant{grant.id}:{stamp}",
        result="Removed by hand in Discord; left alone (its automation does not give it back).",
    )  # fmt: skip


def note_left(order, grant, stamp):
    """A line in the order's timeline: the buyer left the server; nothing pulls them back."""
    _insert(
        order, customer=grant.customer_id, app=grant.app_id, trigger="left",
        kind="add_to_server", guild_id=grant.guild_id, discord_user_id=grant.discord_user_id,
        status="skipped", dedupe_key=f"o{order.id}:g{order.generation}:left:{stamp}",
        result="Left the server. Rolegate does not bring them back; if they rejoin while "
        "their access lasts, their roles are given back.",
    )  # fmt: skip


def other_live_order_of_product(order):
    """True when the customer holds another active order of the same product (rule 3)."""
    return (
        Order.select(Order.id)
        .where(
            (Order.customer == order.customer_id) & (Order.product == order.product_id)
            & (Order.status == "active") & (Order.id != order.id)
        )
        .exists()
    )  # fmt: skip


def plan_expiry(order):
    """What the end of access does: undo what the expiry automations and the grants say,
    give the alumni role; nothing while another live order of the product continues."""
    cancel_pending(order)
    if other_live_order_of_product(order):
        return []
    customer = order.customer
    undo = {}
    revoked = {(a.app_id, grants.UNDOES[a.action], a.role_id or "")
               for a in automations(order, "expiry") if a.action in grants.UNDOES}  # fmt: skip
    for grant in grants.live_of_order(order.id, customer.discord_user_id):
        if grant.via != "purchase":
            continue
        if grant.ends_with_access or (grant.app_id, grant.kind, grant.role_id) in revoked:
            undo[grant.id] = grant
    ids = [i for g in undo.values() if (i := undo_grant(order, g, "expiry"))]
    return ids + _from_automations(order, "expiry", customer)


def plan_undo(order, trigger, user_id=None):
    """Undo every live grant of the order (on `user_id` only, when given); no alumni role."""
    return [
        i for g in grants.live_of_order(order.id, user_id) if (i := undo_grant(order, g, trigger))
    ]


def cancel_pending(order, why="Access ended before this ran."):
    """Give actions of the order not yet run are skipped."""
    Action.update(status="skipped", result=why, updated_at=utcnow()).where(
        (Action.order == order.id) & Action.trigger.in_(GIVE_TRIGGERS)
        & Action.status.in_(PENDING)
    ).execute()  # fmt: skip


def release_waiting(customer):
    """The customer linked Discord: their waiting actions get the account and are queued."""
    now = utcnow()
    ids = [
        row.id
        for row in Action.select(Action.id).where(
            (Action.customer == customer.id) & (Action.status == "waiting_for_link")
        )
    ]
    if ids:
        Action.update(
            status="queued", discord_user_id=customer.discord_user_id, next_attempt_at=now,
            updated_at=now, last_error="",
        ).where(Action.id.in_(ids) & (Action.status == "waiting_for_link")).execute()  # fmt: skip
    return ids


def retarget_queued_gives(customer, old_user_id):
    """Queued give actions for the old account go to the new one instead (a switch)."""
    query = Action.select(Action.id).where(
        (Action.customer == customer.id) & (Action.discord_user_id == old_user_id)
        & (Action.status == "queued") & Action.kind.in_(list(grants.GIVES))
    )  # fmt: skip
    ids = [row.id for row in query]
    if ids:
        Action.update(discord_user_id=customer.discord_user_id, updated_at=utcnow()).where(
            Action.id.in_(ids) & (Action.status == "queued")
        ).execute()
    return ids


def release_waiting_for_app(app):
    """The app is connected to its server again: what waited for it runs now."""
    now = utcnow()
    ids = [
        row.id
        for row in Action.select(Action.id).where(
            (Action.app == app.id)
            & (Action.status == "waiting_for_app")
            & (Action.guild_id == app.guild_id)
        )
    ]
    if ids:
        Action.update(status="queued", next_attempt_at=now, updated_at=now).where(
            Action.id.in_(ids) & (Action.status == "waiting_for_app")
        ).execute()
    return ids


def active_orders(customer):
    """The customer's orders whose access runs."""
    return Order.select().where((Order.customer == customer.id) & (Order.status == "active"))
