"""What the claim page shows: each action in the buyer's words, and where to go next."""

from webapp.discord.errors import buyer_message_for
from webapp.models import Action, App, Automation
from webapp.services import settings

WORDS = {
    "add_to_server": "Join the server",
    "assign_role": "Get the role {role}",
    "remove_from_server": "Leave the server",
    "revoke_role": "Remove the role {role}",
}
STATUS = {
    "waiting_for_link": "Waiting for you to connect Discord",
    "queued": "In progress…",
    "running": "In progress…",
    "done": "Done",
    "skipped": "Not needed",
    "failed": "Could not be done",
}
RUNNING = {"queued", "running"}


def _role_names(order):
    names = {}
    for automation in Automation.select().where(Automation.seller == order.seller_id):
        if automation.role_id:
            names[automation.role_id] = automation.role_name
    return names


def steps(order):
    """The order's actions for the buyer, oldest first, in words."""
    names = _role_names(order)
    rows = []
    actions = Action.select().where((Action.order == order.id) & (Action.trigger != "left"))
    for action in actions.order_by(Action.id):
        role = names.get(action.role_id, "")
        problem = ""
        if action.status == "failed":
            problem = buyer_message_for(action.last_error_code, action.last_status)
        elif action.status == "waiting_for_link" and action.last_error:
            problem = "Discord needs you to connect your account again."
        rows.append(
            {
                "what": WORDS.get(action.kind, action.kind).format(
                    role=f"“{role}”" if role else ""
                ),
                "status": action.status,
                "label": STATUS.get(action.status, action.status),
                "problem": problem,
            }
        )
    return rows


def servers(order):
    """The servers this order's automations act in."""
    query = (
        App.select()
        .join(Automation)
        .where(
            (Automation.seller == order.seller_id)
            & ((Automation.product == order.product_id) | Automation.product.is_null())
            & App.guild_id.is_null(False)
        )
        .distinct()
    )
    base = settings().discord_url.rstrip("/")
    return [{"name": app.guild_name, "url": f"{base}/channels/{app.guild_id}"} for app in query]


def context(order):
    """Everything the claim page and its live partial need."""
    rows = steps(order)
    return {
        "order": order,
        "customer": order.customer,
        "steps": rows,
        "servers": servers(order),
        "working": any(r["status"] in RUNNING for r in rows),
        "all_done": bool(rows) and all(r["status"] in ("done", "skipped") for r in rows),
    }
