"""What Rolegate granted, and whether anything still needs it (SPEC §4 rules 4 and 5).

A grant is *needed* while its order wants it and it sits on its customer's current Discord
account: a purchase grant while the order is active, an alumni grant (via expiry) while the
order has not been refunded or disputed. A role is taken away only when no needed grant and
no queued give action of it is left on that account; a membership only when no needed
purchase grant (of the membership or of any role: a role needs its member) is left there.
Callers decide under the member lock (`webapp.access.locks`), so two workers never both keep
or both revoke.
"""

from peewee import JOIN

from webapp.db import utcnow
from webapp.models import Action, Customer, Grant, Order
from webapp.models.orders import REVOKED
from webapp.models.outbox import GIVE_TRIGGERS

GIVES = {"add_to_server": "membership", "assign_role": "role"}
UNDOES = {"remove_from_server": "membership", "revoke_role": "role"}
UNDO_KIND = {"membership": "remove_from_server", "role": "revoke_role"}
PENDING_ACTIONS = ("queued", "running")


def _on(guild_id, user_id):
    return (Grant.guild_id == guild_id) & (Grant.discord_user_id == user_id)


def wants(order, via):
    """True when `order` in its current state wants a grant that came `via` (purchase/expiry)."""
    if via == "expiry":
        return order.status == "expired"
    return order.status == "active"


def keeps(order, via):
    """True when an existing grant `via` is still the order's to hold."""
    if via == "expiry":
        return order.status not in REVOKED
    return order.status == "active"


def _needed_clause():
    """SQL: the grant (joined with its order and customer) is still needed."""
    return (
        Grant.live()
        & (Grant.discord_user_id == Customer.discord_user_id)
        & (
            ((Grant.via == "purchase") & (Order.status == "active"))
            | ((Grant.via == "expiry") & Order.status.not_in(REVOKED))
        )
    )


def _grants_with_owner():
    return Grant.select(Grant.id).join(Order).switch(Grant).join(Customer, JOIN.INNER)


def is_needed(grant):
    """True when this grant is still its order's, on its customer's current account."""
    return _grants_with_owner().where((Grant.id == grant.id) & _needed_clause()).exists()


def giving_elsewhere(guild_id, user_id, exclude_order, kind=None, role_id=None):
    """Give actions of live orders queued or running for this account (not `exclude_order`)."""
    kinds = list(GIVES) if kind is None else [k for k, v in GIVES.items() if v == kind]
    query = (
        Action.select(Action.id)
        .join(Order)
        .where(
            (Action.guild_id == guild_id) & (Action.discord_user_id == user_id)
            & Action.kind.in_(kinds) & Action.status.in_(PENDING_ACTIONS)
            & (Action.order != exclude_order) & (Order.status == "active")
            & Action.trigger.in_(GIVE_TRIGGERS)
        )
    )  # fmt: skip
    if role_id is not None:
        query = query.where(Action.role_id == role_id)
    return query.exists()


def role_needed_elsewhere(guild_id, user_id, role_id, exclude_order):
    """Another order still needs this role on this account (rule 5)."""
    needed = _grants_with_owner().where(
        _on(guild_id, user_id) & (Grant.kind == "role") & (Grant.role_id == role_id)
        & (Grant.order != exclude_order) & _needed_clause()
    )  # fmt: skip
    return needed.exists() or giving_elsewhere(guild_id, user_id, exclude_order, "role", role_id)


def membership_needed_elsewhere(guild_id, user_id, exclude_order):
    """A live order still grants the membership or any role in this server (rule 5)."""
    needed = _grants_with_owner().where(
        _on(guild_id, user_id) & (Grant.via == "purchase") & (Grant.order != exclude_order)
        & _needed_clause()
    )  # fmt: skip
    return needed.exists() or giving_elsewhere(guild_id, user_id, exclude_order)


def rolegate_holds(guild_id, user_id, kind, role_id="", exclude=None):
    """True when a grant of Rolegate's own (not one the buyer had before) explains this."""
    query = Grant.select(Grant.id).where(
        _on(guild_id, user_id) & (Grant.kind == kind) & (Grant.role_id == (role_id or ""))
        & Grant.live() & ~Grant.preexisting
    )  # fmt: skip
    if exclude is not None:
        query = query.where(Grant.id != exclude)
    return query.exists()


def find(order_id, app_id, kind, role_id, user_id):
    """The order's grant of this thing on this account, in any state, or None."""
    return Grant.get_or_none(
        (Grant.order == order_id) & (Grant.app == app_id) & (Grant.kind == kind)
        & (Grant.role_id == (role_id or "")) & (Grant.discord_user_id == user_id)
    )  # fmt: skip


def intend(action, kind, role_id, *, preexisting, via, ends_with_access):
    """Write down what Rolegate is about to give, before asking Discord (rule 4).

    A grant already pending is a previous run's intent: its `preexisting` (decided before
    that run's Discord call) is kept, so a crash after Discord answered can never make
    Rolegate's own grant look like the buyer's.
    """
    grant = find(action.order_id, action.app_id, kind, role_id, action.discord_user_id)
    if grant is None:
        return Grant.create(
            order=action.order_id, customer=action.customer_id, app=action.app_id,
            guild_id=action.guild_id, kind=kind, role_id=role_id or "",
            discord_user_id=action.discord_user_id, state="pending", preexisting=preexisting,
            via=via, ends_with_access=ends_with_access,
        )  # fmt: skip
    if grant.state == "pending":
        return grant
    if grant.state == "active":
        # Held already (the same thing given twice for one order): keep what it knew.
        grant.via = grant.via if grant.via == "purchase" else via
        grant.save(only=[Grant.via])
        return grant
    grant.state, grant.preexisting, grant.via = "pending", preexisting, via
    grant.ends_with_access, grant.revoked_at = ends_with_access, None
    grant.save()
    return grant


def activate(grant):
    """Discord confirmed: the grant is held."""
    grant.state, grant.granted_at, grant.left_at = "active", utcnow(), None
    grant.save(only=[Grant.state, Grant.granted_at, Grant.left_at])


def to_undo(action, kind, role_id=""):
    """This order's live grant of this thing on the action's account, or None."""
    return Grant.get_or_none(
        (Grant.order == action.order_id) & _on(action.guild_id, action.discord_user_id)
        & (Grant.kind == kind) & (Grant.role_id == (role_id or "")) & Grant.live()
    )  # fmt: skip


def release(grant, state="revoked"):
    """The order no longer holds this grant."""
    grant.state, grant.revoked_at = state, utcnow()
    grant.save(only=[Grant.state, Grant.revoked_at])


def gone_from_discord(guild_id, user_id, kind, role_id=""):
    """Discord no longer has it: no grant of it on this account is live any more."""
    where = _on(guild_id, user_id) & Grant.live()
    if kind == "role":
        where &= (Grant.kind == "role") & (Grant.role_id == (role_id or ""))
    # A kick takes the membership and every role with it.
    Grant.update(state="revoked", revoked_at=utcnow()).where(where).execute()


def live_of_order(order_id, user_id=None):
    """The order's live grants (on `user_id` only, when given)."""
    query = Grant.select().where((Grant.order == order_id) & Grant.live())
    if user_id is not None:
        query = query.where(Grant.discord_user_id == user_id)
    return query.order_by(Grant.id)


def live_of_customer(customer_id, user_id):
    """Every live grant of the customer on one account (all orders)."""
    return (
        Grant.select()
        .where((Grant.customer == customer_id) & (Grant.discord_user_id == user_id) & Grant.live())
        .order_by(Grant.id)
    )
