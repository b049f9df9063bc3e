"""What the overview shows: how far the seller is in setting up, and what happened lately."""

from webapp.models import Action, App, Automation, Product


def checklist(seller):
    """The setup steps, each with whether it is done."""
    return [
        {
            "label": "Connect a Discord server",
            "done": App.select()
            .where((App.seller == seller.id) & (App.status == "connected"))
            .exists(),
            "endpoint": "apps.index",
        },
        {
            "label": "Add a product",
            "done": Product.select().where(Product.seller == seller.id).exists(),
            "endpoint": "products.index",
        },
        {
            "label": "Attach an automation",
            "done": Automation.select().where(Automation.seller == seller.id).exists(),
            "endpoint": "apps.index",
        },
        {
            "label": "Send a test order",
            "done": seller.webhook_tested_at is not None,
            "endpoint": "webhooks.settings",
        },
    ]


def latest_activity(seller, limit=10):
    """The most recently updated Discord actions of this seller."""
    return list(
        Action.select()
        .where(Action.seller == seller.id)
        .order_by(Action.updated_at.desc(), Action.id.desc())
        .limit(limit)
    )


def needing_attention(seller):
    """[(connection, count)] of the seller's checkouts with events Rolegate could not place."""
    from webapp.checkouts import waiting

    return [(c, c.waiting) for c in waiting.waiting_checkouts(seller.id)]
