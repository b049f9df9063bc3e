"""The checkout webhook receiver of SPEC §5."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from webapp.db import db
from webapp.models import Action, Customer, Order, Product, WebhookEvent


def counts():
    with db.connection_context():
        return {
            "events": WebhookEvent.select().count(),
            "orders": Order.select().count(),
            "customers": Customer.select().count(),
            "products": Product.select().count(),
            "actions": Action.select().count(),
        }


NOTHING = {"events": 0, "orders": 0, "customers": 0, "products": 0, "actions": 0}


def test_a_paid_order_is_accepted_with_its_claim_link(checkout):
    response = checkout.paid("ord_1")
    assert response.status_code == 202
    body = response.get_json()
    assert body["order_id"] == "ord_1"
    assert body["claim_url"].startswith("http://localhost/claim/")
    with db.connection_context():
        order = Order.get(Order.external_id == "ord_1")
        assert order.status == "active" and order.customer.email == "buyer@example.com"
        assert order.product.name == "Course Pro"
        assert body["claim_url"].endswith(order.claim_token)


def test_the_same_webhook_id_again_answers_200_with_the_same_body_and_does_nothing(checkout):
    first = checkout.paid("ord_1", webhook_id="msg_same")
    before = counts()
    again = checkout.paid("ord_1", webhook_id="msg_same")
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert counts() == before


def test_twenty_concurrent_replays_create_one_order(app, checkout):
    body = json.dumps(
        {"type": "order.paid", "data": {
            "order_id": "ord_race", "product_id": "p", "customer": {"email": "a@example.com"},
            "paid_at": datetime.now(UTC).isoformat()}}
    )  # fmt: skip
    headers = checkout.sign(body, webhook_id="msg_race")
    statuses = []

    def post():
        statuses.append(
            app.test_client().post(checkout.path, data=body, headers=headers).status_code
        )

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 19 + [202]
    assert counts()["orders"] == 1 and counts()["events"] == 1


def test_a_second_delivery_of_the_same_order_under_a_new_id_creates_nothing_more(checkout):
    checkout.paid("ord_1")
    before = counts()
    assert checkout.paid("ord_1").status_code == 202
    after = counts()
    assert after["orders"] == before["orders"] and after["actions"] == before["actions"]


@pytest.mark.parametrize(
    "tamper",
    ["body", "secret", "stale", "future", "garbage", "missing", "unsigned_v2"],
)
def test_bad_signatures_get_401_and_store_nothing(checkout, tamper):
    body = json.dumps({"type": "order.paid", "data": {"order_id": "x"}})
    headers = checkout.sign(body)
    if tamper == "body":
        body = body.replace('"x"', '"y"')
    elif tamper == "secret":
        headers = checkout.sign(body, secret="whsec_" + "A" * 32)
    elif tamper == "stale":
        headers = checkout.sign(body, timestamp=datetime.now(UTC) - timedelta(minutes=6))
    elif tamper == "future":
        headers = checkout.sign(body, timestamp=datetime.now(UTC) + timedelta(minutes=6))
    elif tamper == "garbage":
        headers["webhook-signature"] = "garbage"
    elif tamper == "missing":
        del headers["webhook-signature"]
    elif tamper == "unsigned_v2":
        headers["webhook-signature"] = "v2,abc"
    response = checkout.post(body, headers)
    assert response.status_code == 401
    assert "error" in response.get_json()
    assert counts() == NOTHING


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"data": {}}', "missing field: type"),
        ('{"type": "order.shipped", "data": {}}', "field type must be one of"),
        ('{"type": "order.paid"}', "missing field: data"),
        (
            '{"type": "order.paid", "data": {"product_id": "p", "customer": {"email": "a@b.co"}, "paid_at": "2026-11-24T10:00:00Z"}}',
            "missing field: data.order_id",
        ),
        (
            '{"type": "order.paid", "data": {"order_id": "o", "product_id": "p", "paid_at": "2026-11-24T10:00:00Z"}}',
            "data.customer",
        ),
        (
            '{"type": "order.paid", "data": {"order_id": "o", "product_id": "p", "customer": {"email": "nope"}, "paid_at": "2026-11-24T10:00:00Z"}}',
            "data.customer.email",
        ),
        (
            '{"type": "order.paid", "data": {"order_id": "o", "product_id": "p", "customer": {"email": "a@b.co"}, "paid_at": "yesterday"}}',
            "data.paid_at must be an ISO 8601",
        ),
        (
            '{"type": "subscription.renewed", "data": {"subscription_id": "s"}}',
            "missing field: data.period_end",
        ),
        (
            '{"type": "subscription.ended", "data": {"ended_at": "2026-11-24T10:00:00Z"}}',
            "missing field: data.subscription_id",
        ),
        (
            '{"type": "order.refunded", "data": {"order_id": ["o"]}}',
            "data.order_id must be a string",
        ),
    ],
)
def test_malformed_bodies_get_400_naming_the_field_and_store_nothing(checkout, body, message):
    response = checkout.post(body, checkout.sign(body))
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert counts() == NOTHING


def test_a_body_over_64_kib_gets_413_and_stores_nothing(checkout):
    body = json.dumps({"type": "order.paid", "data": {"pad": "x" * 1024 * 1024}})
    response = checkout.post(body, checkout.sign(body))
    assert response.status_code == 413
    assert counts() == NOTHING


def test_an_unknown_endpoint_gets_404(client, checkout):
    body = "{}"
    response = client.post("/hooks/nope", data=body, headers=checkout.sign(body))
    assert response.status_code == 404


def test_the_receiver_needs_no_csrf_token_and_answers_json(checkout):
    response = checkout.refunded("ord_unknown")
    assert response.status_code == 202
    assert response.is_json
