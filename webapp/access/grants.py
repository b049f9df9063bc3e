"""What Rolegate granted, and whether another active order still needs it (rules 4 and 5)."""

from webapp.db import utcnow
from webapp.models import Grant, Order


def _same_thing(grant):
    return (
        (Grant.guild_id == grant.guild_id)
        & (Grant.discord_user_id == grant.discord_user_id)
        & (Grant.kind == grant.kind)
        & (Grant.role_id == grant.role_id)
    )


def held_by_another_active_order(grant):
    """True when another active order still grants the same membership or role."""
    return (
        Grant.select()
        .join(Order)
        .where(
            _same_thing(grant),
            Grant.state == "active",
            Grant.order != grant.order_id,
            Order.status == "active",
        )
        .exists()
    )


def _live_grants(guild_id, user_id, kind, role_id=None):
    """Predicate of the live grants of a membership, a role, or (role_id None) every role."""
    match = (
        (Grant.guild_id == guild_id)
        & (Grant.discord_user_id == user_id)
        & (Grant.kind == kind)
        & (Grant.state == "active")
    )
    return match if role_id is None else match & (Grant.role_id == (role_id or ""))


def _live(guild_id, user_id, kind, role_id, preexisting):
    where = _live_grants(guild_id, user_id, kind, role_id) & (Grant.preexisting == preexisting)
    return Grant.select().where(where).exists()


def held_before_rolegate(guild_id, user_id, kind, role_id=""):
    """True when a live grant records that the buyer had this before Rolegate gave it."""
    return _live(guild_id, user_id, kind, role_id, preexisting=True)


def granted_by_rolegate(guild_id, user_id, kind, role_id=""):
    """True when Rolegate itself gave this and some grant of it is still live."""
    return _live(guild_id, user_id, kind, role_id, preexisting=False)


def record(action, kind, role_id="", preexisting=False):
    """Mark what `action` gave (idempotent: one grant per order, app, kind, role and user)."""
    now = utcnow()
    key = (
        (Grant.order == action.order_id)
        & (Grant.app == action.app_id)
        & (Grant.kind == kind)
        & (Grant.role_id == (role_id or ""))
        & (Grant.discord_user_id == action.discord_user_id)
    )
    grant = Grant.get_or_none(key)
    if grant is None:
        return Grant.create(
            order=action.order_id,
            customer=action.customer_id,
            app=action.app_id,
            guild_id=action.guild_id,
            kind=kind,
            role_id=role_id or "",
            discord_user_id=action.discord_user_id,
            state="active",
            preexisting=preexisting,
            granted_at=now,
        )
    if grant.state != "active":
        grant.state, grant.preexisting, grant.granted_at = "active", preexisting, now
        grant.revoked_at = None
        grant.save()
    return grant


def to_undo(action, kind, role_id=""):
    """This order's live grant in the action's guild that the action would undo, or None."""
    return Grant.get_or_none(
        (Grant.order == action.order_id)
        & (Grant.guild_id == action.guild_id)
        & (Grant.discord_user_id == action.discord_user_id)
        & (Grant.kind == kind)
        & (Grant.role_id == (role_id or ""))
        & (Grant.state == "active")
    )


def release(grant, state="revoked"):
    """The order no longer holds this grant."""
    grant.state, grant.revoked_at = state, utcnow()
    grant.save(only=[Grant.state, Grant.revoked_at])


def release_everywhere(guild_id, user_id, kind, role_id=""):
    """After Discord removed it, no grant of it is live for any ended order."""
    ended = Order.select(Order.id).where(Order.status != "active")
    where = _live_grants(guild_id, user_id, kind, role_id) & Grant.order.in_(ended)
    Grant.update(state="revoked", revoked_at=utcnow()).where(where).execute()


def release_everywhere_roles(guild_id, user_id):
    """The buyer left the server: no role grant there is live any more for ended orders."""
    release_everywhere(guild_id, user_id, "role", role_id=None)
