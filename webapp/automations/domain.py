"""Automations: which exist, which are allowed, and the undo of purchase automations."""

import peewee

from webapp.apps import connection
from webapp.db import db
from webapp.discord.errors import DiscordError
from webapp.models import App, Automation, Product

LABELS = {
    "purchase": "Order paid",
    "expiry": "Access ended",
    "add_to_server": "Add to server",
    "remove_from_server": "Remove from server",
    "assign_role": "Assign role",
    "revoke_role": "Revoke role",
}
UNDO = {"add_to_server": "remove_from_server", "assign_role": "revoke_role"}
ROLE_ACTIONS = ("assign_role", "revoke_role")


class AutomationError(ValueError):
    """An automation that cannot be saved; `field` names the input at fault."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def for_app(app):
    """The app's automations, purchase first."""
    return list(
        Automation.select(Automation, Product)
        .join(Product, join_type=peewee.JOIN.LEFT_OUTER)
        .where(Automation.app == app.id)
        .order_by(Automation.event.desc(), Automation.id)
    )


def for_product(product):
    """Automations that run for the product: its own and the "any product" ones."""
    return list(
        Automation.select(Automation, App)
        .join(App)
        .where(
            (Automation.seller == product.seller_id)
            & ((Automation.product == product.id) | Automation.product.is_null())
        )
        .order_by(Automation.event.desc(), Automation.id)
    )


def missing_undo(product):
    """Purchase automations whose effect nothing undoes when access ends.

    Every product's access can end (a time limit, a subscription, the seller), so a gap
    is always worth flagging.
    """
    automations = [a for a in for_product(product) if a.enabled]
    undone = {(a.app_id, a.action, a.role_id) for a in automations if a.event == "expiry"}
    return [
        a
        for a in automations
        if a.event == "purchase"
        and a.action in UNDO
        and (a.app_id, UNDO[a.action], a.role_id if a.action == "assign_role" else None)
        not in undone
    ]


def add_undo(product):
    """Create the expiry automations that undo the product's purchase automations."""
    created = []
    with db.atomic():
        for a in missing_undo(product):
            created.append(
                Automation.create(
                    seller=a.seller_id,
                    app=a.app_id,
                    product=a.product_id,
                    event="expiry",
                    action=UNDO[a.action],
                    role_id=a.role_id if a.action == "assign_role" else None,
                    role_name=a.role_name if a.action == "assign_role" else "",
                    enabled=True,
                )  # fmt: skip
            )
    return created


def validate(app, event, action, role_id):
    """Refuse what cannot work, with a sentence saying why and how to fix it."""
    if event == "expiry" and action == "add_to_server":
        raise AutomationError(
            "action",
            "“Add to server” cannot run when access ends. Choose “Remove from server”, "
            "“Revoke role”, or “Assign role” for an alumni role.",
        )
    if action not in ROLE_ACTIONS:
        return None
    if not role_id:
        raise AutomationError("role", "Choose the role to give or take.")
    role = next((r for r in app.roles if r["id"] == role_id), None)
    if role is None:
        raise AutomationError("role", "That role is not on the server any more. Check again.")
    if not connection.manageable(app, role):
        raise AutomationError(
            "role",
            f"The bot cannot manage “{role['name']}”: it sits above the bot's own role. In "
            "Discord open Server Settings → Roles and drag the Rolegate bot's role above it, "
            "then press Check again.",
        )
    return role


def create_role(app, discord, name):
    """Ask the bot to create a role (it lands below the bot's role, so it is manageable)."""
    try:
        role = discord.create_role(
            app.guild_id, name, reason="Rolegate: role created by the seller"
        )
    except DiscordError as exc:
        raise AutomationError("new_role_name", exc.seller_message) from exc
    connection.refresh(app, discord)
    return role
