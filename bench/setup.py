"""Build a seller with a connected sandbox server and linked buyers, straight in the database."""

import json

PRO = "310000000000000003"
ANN = "200000000000000001"


def connected_seller(stack, email="bench@example.com"):
    """A seller, an app connected to the sandbox server, and the bot installed there."""
    from webapp.accounts.domain import create_seller
    from webapp.db import db
    from webapp.models import App

    token = stack.install_bot()
    with db.connection_context():
        seller = create_seller(email, "bench password!")
        guild = token["guild"]
        app = App.create(seller=seller.id, name="Bench", guild_id=guild["id"], guild_name=guild["name"],
                         status="connected", roles_json=json.dumps(guild["roles"]),
                         bot_top_position=5, bot_permissions=268435459)  # fmt: skip
    return seller, app


def buyer_token(stack, user_id):
    """A real identify + guilds.join token of a sandbox user (through OAuth)."""
    return stack.oauth_token(user_id, "identify guilds.join")


def linked_buyer_with_pro(stack, seller, app):
    """Ann, linked to Discord and on the sandbox server, and a purchase automation giving
    Pro: the signing secret of the seller's webhooks, to pay her orders with."""
    from sandbox import seed
    from webapp import crypto
    from webapp.access import catalog, customers
    from webapp.db import db
    from webapp.models import Automation

    with db.connection_context():
        Automation.create(seller=seller.id, app=app.id, event="purchase", action="assign_role",
                          role_id=PRO, role_name="Pro")  # fmt: skip
        customer, _ = catalog.customer_for(seller.id, "ann@example.com", "Ann")
        customers.link(customer, {"id": ANN, "username": "ann"}, buyer_token(stack, ANN))
        secret = crypto.decrypt(seller.webhook_secret)
    stack.sandbox.add_member(seed.GUILD_ID, ANN)
    return secret


def pay_for_ann(url, seller, secret, order_id, product_id):
    """POST a signed `order.paid` of Ann's to the seller's endpoint; the moment it was sent."""
    import time
    import uuid
    from datetime import UTC, datetime

    import requests
    from standardwebhooks.webhooks import Webhook

    from bench.harness import signed_headers

    body = json.dumps({"type": "order.paid", "data": {
        "order_id": order_id, "product_id": product_id, "customer": {"email": "ann@example.com"},
        "paid_at": datetime.now(UTC).isoformat()}})  # fmt: skip
    headers = signed_headers(Webhook(secret), f"msg_{uuid.uuid4().hex}", body)
    started = time.perf_counter()
    response = requests.post(f"{url}/hooks/{seller.webhook_endpoint_id}", data=body,
                             headers=headers, timeout=10)  # fmt: skip
    assert response.status_code == 202, response.text
    return started
