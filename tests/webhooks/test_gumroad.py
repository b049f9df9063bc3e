"""The Gumroad adapter through its endpoint: form-encoded pings with no signature, the URL as
the secret and the seller ID checked; sales, refunds, disputes and subscription ends."""

from urllib.parse import urlencode

import pytest

from webapp.db import db
from webapp.models import Checkout, Order, WebhookEvent

SELLER = "gumroad-seller-1"


class Gumroad:
    def __init__(self, client, checkout):
        self.client, self.path = client, f"/hooks/{checkout.endpoint_id}"

    def ping(self, seller_id=SELLER, **fields):
        body = urlencode({"seller_id": seller_id, **fields})
        return self.client.post(self.path, data=body,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip

    def sale(self, sale_id="sale_1", subscription_id="", **fields):
        return self.ping(sale_id=sale_id, product_id="gum_prod", product_name="Course",
                         email="ann@example.com", full_name="Ann", sale_timestamp="2026-12-01T10:00:00Z",
                         subscription_id=subscription_id, refunded="false", **fields)  # fmt: skip


@pytest.fixture
def gumroad(client, seller):
    with db.connection_context():
        checkout = Checkout.create(seller=seller.id, name="Gumroad", provider="gumroad",
                                   account_id=SELLER)  # fmt: skip
    return Gumroad(client, checkout)


def status(sale_id="sale_1"):
    with db.connection_context():
        return Order.get(Order.external_id == sale_id).status


def test_a_sale_gives_access_and_a_refund_dispute_and_win_follow_it(gumroad):
    assert gumroad.sale().status_code == 200
    assert status() == "active"
    gumroad.ping(resource_name="dispute", sale_id="sale_1")
    assert status() == "disputed"
    gumroad.ping(resource_name="dispute_won", sale_id="sale_1")
    assert status() == "active"
    gumroad.ping(resource_name="refund", sale_id="sale_1")
    assert status() == "refunded"


def test_a_subscription_end_ends_every_charge_of_it_and_a_cancellation_is_noted(gumroad):
    gumroad.sale("sale_1", subscription_id="gsub_1")
    gumroad.sale("sale_2", subscription_id="gsub_1")
    gumroad.ping(
        resource_name="cancellation", subscription_id="gsub_1", cancelled_at="2026-12-02T10:00:00Z"
    )
    assert status("sale_1") == status("sale_2") == "active"
    gumroad.ping(resource_name="subscription_ended", subscription_id="gsub_1",
                 ended_at="2026-12-02T11:00:00Z", ended_reason="cancelled")  # fmt: skip
    assert status("sale_1") == status("sale_2") == "expired"


def test_another_seller_id_or_none_configured_is_refused_with_400(gumroad, client, seller):
    response = gumroad.sale(seller_id="someone-else")
    assert (
        response.status_code == 400 and "seller_id does not match" in response.get_json()["error"]
    )
    with db.connection_context():
        bare = Checkout.create(seller=seller.id, name="G2", provider="gumroad")
    response = Gumroad(client, bare).sale()
    assert response.status_code == 400 and "Gumroad seller ID" in response.get_json()["error"]
    with db.connection_context():
        assert Order.select().count() == 0 and WebhookEvent.select().count() == 0


def test_a_repeated_ping_does_no_new_work_and_an_unused_one_is_ignored(gumroad):
    first, again = gumroad.sale(), gumroad.sale()
    assert first.get_json() == again.get_json()
    gumroad.ping(resource_name="license_key_created", sale_id="sale_9")
    with db.connection_context():
        assert [e.status for e in WebhookEvent.select().order_by(WebhookEvent.id)] == [
            "applied",
            "ignored",
        ]


@pytest.mark.parametrize("fields", [
    {"sale_id": "s", "email": "not-an-email", "product_id": "p", "sale_timestamp": "2026-12-01T10:00:00Z"},
    {"sale_id": "s", "email": "a@example.com", "sale_timestamp": "2026-12-01T10:00:00Z"},
    {"email": "a@example.com"},
])  # fmt: skip
def test_a_bad_ping_is_400_naming_the_field(gumroad, fields):
    response = gumroad.ping(**fields)
    assert response.status_code == 400 and response.get_json()["error"]
    assert "data." not in response.get_json()["error"]


def test_non_utf8_and_empty_bodies_are_400(gumroad):
    assert gumroad.client.post(gumroad.path, data=b"seller_id=\xff\xfe").status_code == 400
    assert gumroad.client.post(gumroad.path, data=b"").status_code == 400
