"""An order's story: webhook events, Discord actions and grants, in time order."""

import json

from webapp.models import AccountSwitch, Action, App, BuyerMessage, Grant, WebhookEvent

END_REASONS = {
    "time_limit": "the product's time limit",
    "subscription": "the subscription ended",
    "subscription_grace": "the subscription's paid period (plus grace) unless it renews",
    "refund": "a refund",
    "manual": "set by you",
}


def role_names(order):
    """Role id → name across the seller's apps, as last seen."""
    names = {}
    for app in App.select().where(App.seller == order.seller_id):
        names.update({r["id"]: r["name"] for r in app.roles})
    return names


def entries(order):
    """Timeline entries, oldest first: dicts with at, kind and the row."""
    items = []
    for event in WebhookEvent.select().where(WebhookEvent.order == order.id):
        items.append({"at": event.received_at, "kind": "event", "row": event,
                      "payload": json.loads(event.payload)})  # fmt: skip
    for action in Action.select().where(Action.order == order.id):
        items.append({"at": action.created_at, "kind": "action", "row": action})
    for grant in Grant.select().where(Grant.order == order.id):
        if grant.granted_at:
            items.append({"at": grant.granted_at, "kind": "grant", "row": grant})
        if grant.revoked_at:
            items.append({"at": grant.revoked_at, "kind": "release", "row": grant})
    for message in BuyerMessage.select().where(BuyerMessage.order == order.id):
        items.append({"at": message.sent_at or message.created_at, "kind": "message",
                      "row": message})  # fmt: skip
    if order.customer_id is not None:
        for switch in AccountSwitch.select().where(AccountSwitch.customer == order.customer_id):
            items.append({"at": switch.at, "kind": "switch", "row": switch})
    return sorted(items, key=lambda e: (e["at"], e["kind"] != "event"))


def working(order):
    """True while some action of the order is queued or running (the page keeps polling)."""
    return (
        Action.select()
        .where((Action.order == order.id) & Action.status.in_(("queued", "running")))
        .exists()
    )
