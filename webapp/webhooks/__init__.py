"""Settings → Webhooks: the checkout's endpoint, its secret, and a test order."""

import json
import uuid

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from standardwebhooks.webhooks import Webhook

from webapp import crypto
from webapp.accounts.domain import new_webhook_secret
from webapp.audit import log as audit
from webapp.db import db, utcnow
from webapp.models import Order, Product, Seller
from webapp.pages import render
from webapp.services import settings as app_settings
from webapp.tenancy import get_owned, owned_query
from webapp.webhooks import secrets

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")


@bp.before_request
@login_required
def _login():
    """Every page here is the seller's."""


def endpoint_url(seller):
    """The URL to paste into the checkout."""
    return f"{app_settings().public_url.rstrip('/')}/hooks/{seller.webhook_endpoint_id}"


def _context(revealed=False):
    seller = current_user
    return {
        "endpoint": endpoint_url(seller),
        "secret": secrets.valid_secrets(seller)[0] if revealed else None,
        "previous_until": secrets.previous_valid_until(seller),
        "products": list(owned_query(Product).order_by(Product.name)),
    }


@bp.route("/")
def settings():
    """The endpoint, the (hidden) secret, rotation and the test order."""
    return render("webhooks/settings.html", **_context())


@bp.route("/grace", methods=["POST"])
def grace():
    """How many days a subscription keeps access after its paid period, unless renewed."""
    days = request.form.get("grace_days", type=int)
    if days is None or not 0 <= days <= 60:
        flash("Grace days: enter a whole number from 0 to 60.", "error")
    else:
        before = Seller.get_by_id(current_user.id).subscription_grace_days
        Seller.update(subscription_grace_days=days).where(Seller.id == current_user.id).execute()
        audit.record("account", "Grace days of subscriptions changed",
                     {"grace days": (before, days)})  # fmt: skip
        flash(f"Subscriptions now keep access {days} day(s) after their paid period.", "success")
    return redirect(url_for("webhooks.settings"))


@bp.route("/secret", methods=["POST"])
def reveal():
    """Show the secret (htmx swaps the secret box; POST so it is never cached)."""
    audit.record("checkout", "Webhook signing secret shown")
    return render("webhooks/settings.html", "partials/_webhook_secret.html", **_context(True))


@bp.route("/rotate", methods=["POST"])
def rotate():
    """New secret; the previous one keeps verifying for 24 hours."""
    with db.atomic():
        seller = Seller.get_by_id(current_user.id)
        secrets.rotate(seller, new_webhook_secret())
        seller.save()
        audit.record("checkout", "Webhook signing secret rotated (the previous one works 24 hours)")
    flash("New secret created. The previous one keeps working for 24 hours.", "success")
    return redirect(url_for("webhooks.settings"))


def test_order_body(product):
    """A realistic `order.paid` for the seller's product, as the checkout would send it."""
    n = uuid.uuid4().hex[:8]
    return json.dumps(
        {
            "type": "order.paid",
            "data": {
                "order_id": f"test_{n}",
                "product_id": product.external_id if product else "test-product",
                "product_name": product.name if product else "Test product",
                "variant_id": None,
                "variant_name": None,
                "customer": {"email": f"test-buyer-{n}@example.com", "name": "Test buyer"},
                "paid_at": utcnow().isoformat(),
                "subscription_id": None,
                "period_end": None,
            },
        }
    )


@bp.route("/test", methods=["POST"])
def send_test():
    """Sign a real `order.paid` and POST it to our own endpoint, like the checkout does."""
    seller = Seller.get_by_id(current_user.id)
    product_id = request.form.get("product")
    product = get_owned(Product, product_id) if product_id else None
    body = test_order_body(product)
    webhook_id = f"msg_test_{uuid.uuid4().hex}"
    now = utcnow()
    signature = Webhook(crypto.decrypt(seller.webhook_secret)).sign(webhook_id, now, body)
    # Through the whole WSGI stack in this process (signature, receiver, transaction), never
    # over the network: the request's Host header is the client's to choose, so posting to
    # it would let anyone make the server post anywhere and show the answer (SSRF).
    path = f"/hooks/{seller.webhook_endpoint_id}"
    headers = {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    response = current_app.test_client().post(path, data=body, headers=headers)
    if response.status_code != 202:
        text = response.get_data(as_text=True)[:200]
        flash(f"The endpoint answered {response.status_code}: {text}", "error")
        return redirect(url_for("webhooks.settings"))
    seller.webhook_tested_at = utcnow()
    audit.record("checkout", "Test order sent",
                 link=url_for("orders.index", q=response.get_json()["order_id"]))  # fmt: skip
    seller.save(only=[Seller.webhook_tested_at])
    answer = response.get_json()
    order = Order.get((Order.seller == seller.id) & (Order.external_id == answer["order_id"]))
    flash(
        f"Test order {answer['order_id']} accepted. Open the claim link as the buyer: "
        f"{answer['claim_url']}",
        "success",
    )
    return redirect(url_for("orders.show", order_id=order.id))
