"""The Whop adapter through its endpoint: Standard Webhooks signatures with Whop's literal
`ws_…` key, memberships as orders, replays, unused events, bad input (SPEC §5.1)."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from webapp import crypto
from webapp.db import db
from webapp.models import Checkout, Order, WebhookEvent

SECRET = "ws_" + "a1b2c3d4" * 6


class Whop:
    def __init__(self, client, checkout):
        self.client, self.path = client, f"/hooks/{checkout.endpoint_id}"

    def post(self, kind, data, secret=SECRET, when=None, msg_id=None, body=None):
        msg_id = msg_id or f"msg_{uuid.uuid4().hex[:24]}"
        when = when or datetime.now(UTC)
        body = body if body is not None else json.dumps({
            "id": msg_id, "api_version": "v1", "timestamp": when.isoformat().replace("+00:00", "Z"),
            "type": kind, "company_id": "biz_1", "data": data})  # fmt: skip
        headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())),
                   "webhook-signature": Webhook(secret.encode()).sign(msg_id, when, body),
                   "content-type": "application/json"}  # fmt: skip
        return self.client.post(self.path, data=body, headers=headers)


def membership(email="ann@example.com", product="prod_whop", mem="mem_1"):
    return {"id": mem, "status": "active", "joined_at": "2026-12-01T05:00:00.401Z",
            "user": {"id": "user_1", "username": "ann", "name": "Ann", "email": email},
            "product": {"id": product, "title": "Pickaxe Pro"}, "plan": {"id": "plan_1"},
            "renewal_period_end": "2026-12-31T05:00:00.401Z"}  # fmt: skip


@pytest.fixture
def whop(client, seller):
    with db.connection_context():
        checkout = Checkout.create(seller=seller.id, name="Whop", provider="whop",
                                   secret=crypto.encrypt(SECRET))  # fmt: skip
    return Whop(client, checkout)


def order():
    with db.connection_context():
        return Order.get(Order.external_id == "mem_1")


def test_an_activated_membership_is_an_order_that_lasts_until_deactivated(whop):
    assert whop.post("membership.activated", membership()).status_code == 200
    paid = order()
    assert paid.status == "active" and paid.access_ends_at is None
    with db.connection_context():
        assert paid.product.external_id == "prod_whop" and paid.customer.email == "ann@example.com"
    assert whop.post("payment.succeeded", {"id": "pay_1", "membership": {"id": "mem_1"},
                     "user": {"email": "ann@example.com"}, "product": {"id": "prod_whop"}}).status_code == 200  # fmt: skip
    with db.connection_context():
        assert Order.select().count() == 1
    assert (
        whop.post("membership.deactivated", {**membership(), "status": "expired"}).status_code
        == 200
    )
    assert order().status == "expired"


def test_a_payment_before_activation_starts_the_membership(whop):
    whop.post("payment.succeeded", {"id": "pay_1", "membership": {"id": "mem_1"},
              "paid_at": "2026-12-01T05:00:00Z", "user": {"email": "ann@example.com"},
              "product": {"id": "prod_whop", "title": "Pickaxe"}})  # fmt: skip
    assert order().status == "active"
    whop.post("membership.activated", membership())
    with db.connection_context():
        assert Order.select().count() == 1


@pytest.mark.parametrize("tamper", ["wrong secret", "stale", "no headers", "base64 key"])
def test_a_bad_signature_is_400_and_records_nothing(whop, tamper):
    if tamper == "wrong secret":
        response = whop.post("membership.activated", membership(), secret="ws_other")
    elif tamper == "stale":
        response = whop.post("membership.activated", membership(),
                             when=datetime.now(UTC) - timedelta(minutes=6))  # fmt: skip
    elif tamper == "no headers":
        response = whop.client.post(whop.path, data="{}")
    else:  # signed by a sender that base64-decodes the secret: not Whop's scheme
        msg, when = "msg_x", datetime.now(UTC)
        body = json.dumps({"type": "membership.activated", "data": membership()})
        wrong = Webhook(SECRET).sign(msg, when, body)
        response = whop.client.post(whop.path, data=body, headers={
            "webhook-id": msg, "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": wrong})  # fmt: skip
    assert response.status_code == 400
    with db.connection_context():
        assert WebhookEvent.select().count() == 0 and Order.select().count() == 0


def test_replays_answer_the_same_and_unused_events_are_ignored(whop):
    first = whop.post("membership.activated", membership(), msg_id="msg_same")
    again = whop.post("membership.activated", membership(), msg_id="msg_same")
    assert first.get_json() == again.get_json() and again.status_code == 200
    assert whop.post("membership.went_valid", membership()).status_code == 200
    with db.connection_context():
        assert [e.status for e in WebhookEvent.select().order_by(WebhookEvent.id)] == [
            "applied",
            "ignored",
        ]


@pytest.mark.parametrize("body", ["nope", "[]", '{"type": "membership.activated"}'])
def test_a_malformed_body_is_400(whop, body):
    assert whop.post("x", None, body=body).status_code == 400


def test_no_email_or_product_needs_attention_with_the_fix_in_words(whop):
    whop.post("membership.activated", membership(email=None))
    whop.post("membership.activated", {**membership(mem="mem_2"), "product": None})
    with db.connection_context():
        reasons = [e.reason for e in WebhookEvent.select().order_by(WebhookEvent.id)]
        assert Order.select().count() == 0
    assert "member:email:read" in reasons[0] and "data.product.id" in reasons[1]
