"""The Lemon Squeezy adapter through its endpoint: `X-Signature` (hex HMAC of the body), orders
linked to their subscriptions by the subscription's events, renewals, cancellations, refunds,
replays and bad input — bodies shaped as Lemon Squeezy's webhook docs show."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from webapp import crypto
from webapp.db import db
from webapp.models import Checkout, Order, WebhookEvent

SECRET = "lemon-secret-42"


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


NOW = datetime.now(UTC)


class Lemon:
    def __init__(self, client, checkout):
        self.client, self.path = client, f"/hooks/{checkout.endpoint_id}"

    def post(self, name, kind, rid, attributes, secret=SECRET, body=None):
        body = body if body is not None else json.dumps({
            "meta": {"event_name": name, "custom_data": {}},
            "data": {"type": kind, "id": str(rid), "attributes": attributes}})  # fmt: skip
        signature = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
        return self.client.post(self.path, data=body, headers={
            "Content-Type": "application/json", "X-Event-Name": name, "X-Signature": signature})  # fmt: skip

    def order(self, status="paid", name="order_created", updated=None):
        return self.post(name, "orders", 1, {
            "store_id": 1, "identifier": "636f855c", "order_number": 1, "user_name": "Ann",
            "user_email": "ann@example.com", "status": status, "created_at": iso(NOW),
            "updated_at": updated or iso(NOW),
            "first_order_item": {"order_id": 1, "product_id": 7, "variant_id": 70,
                                 "product_name": "Course", "variant_name": "Monthly"}})  # fmt: skip

    def subscription(self, name="subscription_created", status="active", renews=None,
                     ends=None, updated=None):  # fmt: skip
        return self.post(name, "subscriptions", 5, {
            "store_id": 1, "order_id": 1, "product_id": 7, "variant_id": 70,
            "product_name": "Course", "variant_name": "Monthly", "user_name": "Ann",
            "user_email": "ann@example.com", "status": status, "pause": None,
            "renews_at": renews, "ends_at": ends, "created_at": iso(NOW),
            "updated_at": updated or iso(NOW)})  # fmt: skip


@pytest.fixture
def lemon(client, seller):
    with db.connection_context():
        checkout = Checkout.create(seller=seller.id, name="Lemon", provider="lemonsqueezy",
                                   secret=crypto.encrypt(SECRET))  # fmt: skip
    return Lemon(client, checkout)


def order():
    with db.connection_context():
        return Order.get(Order.external_id == "1")


@pytest.mark.parametrize("first", ["order", "subscription"])
def test_an_order_and_its_subscription_link_in_either_order_and_renewals_move_the_end(lemon, first):
    renews = NOW + timedelta(days=30)
    if first == "order":
        assert lemon.order().status_code == 200
        assert lemon.subscription(renews=iso(renews)).status_code == 200
    else:
        assert lemon.subscription(renews=iso(renews)).status_code == 200
        assert lemon.order().status_code == 200
    linked = order()
    assert linked.subscription_id == "5" and linked.status == "active"
    assert abs(linked.period_end.timestamp() - renews.timestamp()) < 1
    with db.connection_context():
        assert linked.product.external_id == "7" and linked.variant.external_id == "70"
    later = renews + timedelta(days=30)
    lemon.subscription(
        "subscription_updated", renews=iso(later), updated=iso(NOW + timedelta(seconds=1))
    )
    assert abs(order().period_end.timestamp() - later.timestamp()) < 1


def test_a_cancellation_ends_access_at_the_end_of_the_paid_period_and_expiry_at_once(lemon):
    lemon.order()
    lemon.subscription(renews=iso(NOW + timedelta(days=30)))
    ends = NOW + timedelta(days=10)
    lemon.subscription("subscription_cancelled", status="cancelled", ends=iso(ends),
                       updated=iso(NOW + timedelta(seconds=2)))  # fmt: skip
    assert order().status == "active"
    assert abs(order().access_ends_at.timestamp() - ends.timestamp()) < 1


def test_an_expired_subscription_ends_access_and_a_refund_takes_it_away(lemon):
    lemon.order()
    lemon.subscription(renews=iso(NOW + timedelta(days=30)))
    lemon.subscription("subscription_expired", status="expired", ends=iso(NOW - timedelta(seconds=5)),
                       updated=iso(NOW + timedelta(seconds=3)))  # fmt: skip
    assert order().status == "expired"
    lemon.order(status="refunded", name="order_refunded", updated=iso(NOW + timedelta(seconds=4)))
    assert order().status == "refunded"


@pytest.mark.parametrize("tamper", ["wrong secret", "changed body", "no header"])
def test_a_bad_signature_is_400_and_records_nothing(lemon, tamper):
    if tamper == "wrong secret":
        response = lemon.post("order_created", "orders", 1, {"status": "paid"}, secret="other")
    elif tamper == "changed body":
        body = json.dumps({"meta": {"event_name": "order_created"}, "data": {"attributes": {}}})
        signature = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
        response = lemon.client.post(
            lemon.path, data=body + " ", headers={"X-Signature": signature}
        )
    else:
        response = lemon.client.post(lemon.path, data="{}")
    assert response.status_code == 400
    with db.connection_context():
        assert WebhookEvent.select().count() == 0 and Order.select().count() == 0


def test_a_resent_event_does_no_new_work_and_unused_or_noted_ones_are_200(lemon):
    first, again = lemon.order(), lemon.order()
    assert first.get_json() == again.get_json()
    assert (
        lemon.post("license_key_created", "license-keys", 3, {"updated_at": iso(NOW)}).status_code
        == 200
    )
    assert lemon.post("subscription_payment_success", "subscription-invoices", 9,
                      {"subscription_id": 5, "updated_at": iso(NOW)}).status_code == 200  # fmt: skip
    with db.connection_context():
        statuses = [e.status for e in WebhookEvent.select().order_by(WebhookEvent.id)]
    assert statuses == ["applied", "ignored", "ignored"]


@pytest.mark.parametrize(
    "body", ["nope", "[]", '{"meta": {}}', '{"meta": {"event_name": "x"}, "data": {}}']
)
def test_a_malformed_body_is_400(lemon, body):
    assert lemon.post("x", "x", 1, {}, body=body).status_code == 400


def test_a_bad_email_is_400_naming_the_field(lemon):
    response = lemon.post("order_created", "orders", 2, {
        "status": "paid", "user_email": "nope", "created_at": iso(NOW),
        "first_order_item": {"product_id": 7}})  # fmt: skip
    assert response.status_code == 400 and "email" in response.get_json()["error"]
