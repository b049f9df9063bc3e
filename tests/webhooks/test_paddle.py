"""The Paddle Billing adapter through its endpoint: `Paddle-Signature` (ts + HMAC of `ts:body`,
checked with Paddle's SDK), transactions as orders, buyers' emails from customer events or
the API key (against the stand-in in `sandbox/paddle`), renewals, cancellations, adjustments,
replays and bad input — bodies shaped as Paddle's webhook reference shows."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures.app import csrf_from
from webapp import crypto
from webapp.db import db
from webapp.models import Checkout, CheckoutCustomer, Order, WebhookEvent

SECRET = "pdl_ntfset_01j8example_secretkey"
NOW = datetime.now(UTC)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Paddle:
    """The seller's Paddle account: signs notifications as Paddle does and posts them."""

    def __init__(self, client, checkout):
        self.client, self.checkout = client, checkout
        self.path = f"/hooks/{checkout.endpoint_id}"

    def post(self, kind, data, event_id=None, secret=SECRET, signed_at=None, body=None):
        body = body if body is not None else json.dumps({
            "event_id": event_id or f"evt_{uuid.uuid4().hex[:26]}", "event_type": kind,
            "occurred_at": iso(datetime.now(UTC)), "notification_id": f"ntf_{uuid.uuid4().hex[:26]}",
            "data": data})  # fmt: skip
        ts = int(signed_at if signed_at is not None else time.time())
        h1 = hmac.new(secret.encode(), f"{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        return self.client.post(self.path, data=body, headers={
            "Content-Type": "application/json", "Paddle-Signature": f"ts={ts};h1={h1}"})  # fmt: skip

    def customer(self, ctm="ctm_01ann", email="ann@example.com", kind="customer.created",
                 updated=None):  # fmt: skip
        return self.post(kind, {
            "id": ctm, "name": "Ann", "email": email, "status": "active", "locale": "en",
            "marketing_consent": False, "custom_data": None, "created_at": iso(NOW),
            "updated_at": updated or iso(NOW), "import_meta": None})  # fmt: skip

    def transaction(self, txn="txn_01first", origin="web", subscription=None, period_end=None,
                    ctm="ctm_01ann", status="completed", event_id=None):  # fmt: skip
        period = {"starts_at": iso(NOW), "ends_at": iso(period_end)} if period_end else None
        return self.post("transaction.completed", {
            "id": txn, "status": status, "customer_id": ctm, "address_id": "add_01",
            "business_id": None, "custom_data": None, "currency_code": "USD", "origin": origin,
            "subscription_id": subscription, "invoice_id": None, "invoice_number": None,
            "collection_mode": "automatic", "discount_id": None, "billing_period": period,
            "billed_at": iso(NOW), "created_at": iso(NOW), "updated_at": iso(NOW),
            "items": [{"price_id": "pri_01monthly", "quantity": 1, "price": {
                "id": "pri_01monthly", "product_id": "pro_01course", "name": "Monthly",
                "description": "Course, monthly", "billing_cycle": None, "status": "active",
                "unit_price": {"amount": "1000", "currency_code": "USD"}}}],
            "details": {"line_items": [{"price_id": "pri_01monthly", "quantity": 1,
                                        "product": {"id": "pro_01course", "name": "The Course"}}]},
        }, event_id=event_id)  # fmt: skip

    def subscription(self, kind, status="active", period_end=None, canceled_at=None,
                     scheduled=None, sub="sub_01ann"):  # fmt: skip
        period = {"starts_at": iso(NOW), "ends_at": iso(period_end)} if period_end else None
        return self.post(kind, {
            "id": sub, "status": status, "customer_id": "ctm_01ann", "address_id": "add_01",
            "currency_code": "USD", "created_at": iso(NOW), "updated_at": iso(datetime.now(UTC)),
            "collection_mode": "automatic", "billing_cycle": {"interval": "month", "frequency": 1},
            "items": [], "current_billing_period": period, "canceled_at": canceled_at,
            "scheduled_change": {"action": scheduled, "effective_at": iso(NOW), "resume_at": None}
            if scheduled else None})  # fmt: skip

    def adjustment(self, action="refund", status="approved", kind="full", txn="txn_01first",
                   sub=None, event="adjustment.created"):  # fmt: skip
        return self.post(event, {
            "id": f"adj_{uuid.uuid4().hex[:26]}", "action": action, "type": kind,
            "transaction_id": txn, "subscription_id": sub, "customer_id": "ctm_01ann",
            "reason": "requested by buyer", "currency_code": "USD", "status": status,
            "items": [{"item_id": "txnitm_01", "type": kind or "full", "amount": "1000"}],
            "totals": {"subtotal": "1000", "tax": "0", "total": "1000", "fee": "50",
                       "earnings": "950", "currency_code": "USD"},
            "created_at": iso(NOW), "updated_at": iso(NOW)})  # fmt: skip


def connection(seller, api_key=None):
    with db.connection_context():
        return Checkout.create(seller=seller.id, name="Paddle", provider="paddle",
                               secret=crypto.encrypt(SECRET),
                               api_key=crypto.encrypt(api_key) if api_key else "")  # fmt: skip


@pytest.fixture
def paddle(client, seller):
    return Paddle(client, connection(seller))


@pytest.fixture
def paddle_api():
    """The local stand-in for Paddle's API (sandbox/paddle), with a fresh state."""
    from sandbox.paddle import PaddleStandIn

    with PaddleStandIn() as stand_in:
        yield stand_in


def order(external_id="txn_01first"):
    with db.connection_context():
        return Order.get(Order.external_id == external_id)


def events():
    with db.connection_context():
        return list(WebhookEvent.select().order_by(WebhookEvent.id))


def waiting(checkout):
    with db.connection_context():
        return Checkout.get_by_id(checkout.id).waiting


def test_a_one_time_purchase_gives_access_with_the_customers_email(paddle):
    assert paddle.customer().status_code == 200
    assert paddle.transaction().status_code == 200
    bought = order()
    assert bought.status == "active" and bought.payment_ref == "txn_01first"
    with db.connection_context():
        assert bought.customer.email == "ann@example.com"
        assert bought.product.external_id == "pro_01course"
        assert bought.product.name == "The Course"
        assert bought.variant.external_id == "pri_01monthly"
    assert [e.status for e in events()] == ["ignored", "applied"]


def test_a_payment_before_its_customer_waits_and_the_customer_event_applies_it(paddle):
    assert paddle.transaction().status_code == 200
    first = events()[0]
    assert first.status == "needs_attention" and "customer.created" in first.reason
    assert waiting(paddle.checkout) == 1
    with db.connection_context():
        assert Order.select().count() == 0
    paddle.customer()
    assert order().status == "active" and waiting(paddle.checkout) == 0
    assert events()[0].status == "applied"


def test_a_later_customer_update_changes_the_email_and_an_older_one_does_not(paddle):
    paddle.customer(updated=iso(NOW))
    paddle.customer(kind="customer.updated", email="ann@new.example",
                    updated=iso(NOW + timedelta(seconds=5)))  # fmt: skip
    paddle.customer(kind="customer.updated", email="ann@old.example",
                    updated=iso(NOW - timedelta(seconds=5)))  # fmt: skip
    with db.connection_context():
        assert CheckoutCustomer.get(CheckoutCustomer.ref == "ctm_01ann").email == "ann@new.example"


def test_with_an_api_key_the_email_is_read_from_paddle(client, seller, paddle_api):
    paddle_api.state.add_key("pdl_sdbx_apikey_good", "customer.read")
    paddle_api.state.add_customer("ctm_01ann", "ann@example.com", "Ann")
    account = Paddle(client, connection(seller, api_key="pdl_sdbx_apikey_good"))
    assert account.transaction().status_code == 200
    with db.connection_context():
        assert order().customer.email == "ann@example.com"
        assert CheckoutCustomer.select().count() == 1
    method, path, header = paddle_api.state.requests[-1]
    assert (method, path, header) == ("GET", "/customers/ctm_01ann", "Bearer pdl_sdbx_apikey_good")
    account.transaction(txn="txn_01second")  # known now: no second call
    assert len(paddle_api.state.requests) == 1


def test_events_needing_attention_alert_the_seller_until_they_are_applied(paddle, seller):
    from webapp import alerts

    paddle.transaction()
    with db.connection_context():
        (alert,) = alerts.active(seller.id)
    assert alert.message.startswith("1 event(s) from “") and "need attention" in alert.message
    assert alert.link == f"/settings/checkouts/{paddle.checkout.id}"
    paddle.customer()  # the event is applied: the alert goes by itself
    with db.connection_context():
        assert alerts.active(seller.id) == []


def test_a_key_without_permission_needs_attention_and_a_good_key_applies_it(
    client, auth, seller, paddle_api
):
    paddle_api.state.add_key("pdl_sdbx_apikey_weak")
    paddle_api.state.add_key("pdl_sdbx_apikey_good", "customer.read")
    paddle_api.state.add_customer("ctm_01ann", "ann@example.com")
    account = Paddle(client, connection(seller, api_key="pdl_sdbx_apikey_weak"))
    account.transaction()
    assert "Paddle answered: You aren't permitted" in events()[0].reason
    auth.login()
    page = f"/settings/checkouts/{account.checkout.id}"
    html = client.get(page).get_data(as_text=True)
    assert '<label for="api_key">API key</label>' in html
    bad = client.post(page + "/key", data={"api_key": "sk_nope", "csrf_token": csrf_from(html)})
    assert bad.status_code == 400 and "pdl_live_apikey_" in bad.get_data(as_text=True)
    saved = client.post(page + "/key", data={"api_key": "pdl_sdbx_apikey_good",
                                              "csrf_token": csrf_from(html)})  # fmt: skip
    assert saved.status_code == 302
    assert order().status == "active" and waiting(account.checkout) == 0


def test_an_unreadable_or_missing_customer_from_the_api_needs_attention(client, seller, paddle_api):
    paddle_api.state.add_key("pdl_sdbx_apikey_good", "customer.read")
    paddle_api.state.customers["ctm_01ann"] = {"id": "ctm_01ann"}  # not a whole customer
    account = Paddle(client, connection(seller, api_key="pdl_sdbx_apikey_good"))
    assert account.transaction().status_code == 200
    assert account.transaction(txn="txn_01other", ctm="ctm_01nobody").status_code == 200
    first, second = events()
    assert first.status == second.status == "needs_attention"
    assert (
        "was not a customer" in first.reason and "Customer ctm_01nobody not found" in second.reason
    )


def test_a_subscription_renews_by_its_recurring_transactions_and_ends_when_canceled(paddle):
    paddle.customer()
    first_end = NOW + timedelta(days=30)
    paddle.transaction(subscription="sub_01ann", period_end=first_end)
    bought = order()
    assert bought.subscription_id == "sub_01ann"
    assert abs(bought.period_end.timestamp() - first_end.timestamp()) < 1
    later = first_end + timedelta(days=30)
    paddle.transaction(txn="txn_01renewal", origin="subscription_recurring",
                       subscription="sub_01ann", period_end=later)  # fmt: skip
    assert abs(order().period_end.timestamp() - later.timestamp()) < 1
    with db.connection_context():
        assert Order.select().count() == 1
    paddle.subscription("subscription.updated", period_end=later, scheduled="cancel")
    assert "Set to cancel" in events()[-1].reason
    paddle.subscription("subscription.paused", status="paused")
    paddle.subscription("subscription.past_due", status="past_due")
    assert order().status == "active"
    paddle.subscription("subscription.canceled", status="canceled",
                        canceled_at=iso(datetime.now(UTC) - timedelta(seconds=1)))  # fmt: skip
    assert order().status == "expired"
    shown = [e.order_id for e in events()[2:]]
    assert shown == [order().id] * len(shown)


def test_a_resumed_subscription_renews_to_its_new_billing_period(paddle):
    paddle.customer()
    paddle.transaction(subscription="sub_01ann", period_end=NOW + timedelta(days=30))
    resumed_end = NOW + timedelta(days=45)
    paddle.subscription("subscription.resumed", period_end=resumed_end)
    assert abs(order().period_end.timestamp() - resumed_end.timestamp()) < 1


def test_an_approved_full_refund_revokes_and_pending_or_partial_ones_are_noted(paddle):
    paddle.customer()
    paddle.transaction()
    paddle.adjustment(status="pending_approval")
    paddle.adjustment(kind="partial")
    paddle.adjustment(status="rejected", event="adjustment.updated")
    assert order().status == "active"
    assert [e.status for e in events()[2:]] == ["ignored"] * 3
    assert "approval" in events()[2].reason and "partial" in events()[3].reason
    paddle.adjustment(event="adjustment.updated")
    assert order().status == "refunded"


def test_chargebacks_revoke_and_a_reversed_chargeback_gives_access_back(paddle):
    paddle.customer()
    paddle.transaction()
    paddle.adjustment(action="chargeback_warning")
    assert order().status == "active"
    paddle.adjustment(action="chargeback")
    assert order().status == "disputed"
    paddle.adjustment(action="chargeback_reverse")
    assert order().dispute == "won" and order().status == "active"


def test_a_refund_of_a_renewal_finds_the_subscriptions_order(paddle):
    paddle.customer()
    paddle.transaction(subscription="sub_01ann", period_end=NOW + timedelta(days=30))
    paddle.adjustment(txn="txn_01renewal", sub="sub_01ann")
    assert order().status == "refunded"


def test_a_refund_before_its_payment_waits_and_is_applied_with_it(paddle):
    paddle.customer()
    paddle.adjustment()
    assert events()[-1].status == "needs_attention" and waiting(paddle.checkout) == 1
    paddle.transaction()
    assert order().status == "refunded" and waiting(paddle.checkout) == 0


def test_a_transaction_not_from_checkout_or_not_completed_is_noted(paddle):
    paddle.customer()
    paddle.transaction(status="paid")
    paddle.transaction(txn="txn_01upgrade", origin="subscription_update", subscription="sub_x")
    with db.connection_context():
        assert Order.select().count() == 0
    assert [e.status for e in events()] == ["ignored"] * 3


@pytest.mark.parametrize(
    "tamper", ["wrong secret", "stale", "future", "changed body", "no header", "odd header",
               "not utf-8"],
)  # fmt: skip
def test_a_bad_signature_is_400_and_records_nothing(paddle, tamper):
    data = {"id": "ctm_01ann", "email": "ann@example.com", "updated_at": iso(NOW)}
    if tamper == "wrong secret":
        response = paddle.post("customer.created", data, secret="pdl_ntfset_other")
    elif tamper in ("stale", "future"):
        moved = -360 if tamper == "stale" else 360
        response = paddle.post("customer.created", data, signed_at=time.time() + moved)
    elif tamper == "changed body":
        ts = int(time.time())
        body = json.dumps({"event_id": "evt_1", "event_type": "customer.created", "data": data})
        h1 = hmac.new(SECRET.encode(), f"{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        response = paddle.client.post(paddle.path, data=body.replace("ann@", "eve@"),
                                      headers={"Paddle-Signature": f"ts={ts};h1={h1}"})  # fmt: skip
    elif tamper == "no header":
        response = paddle.client.post(paddle.path, data="{}")
    elif tamper == "odd header":
        response = paddle.client.post(paddle.path, data="{}",
                                      headers={"Paddle-Signature": "ts=soon;h1=x=y"})  # fmt: skip
    else:
        response = paddle.client.post(paddle.path, data=b"\xff\xfe",
                                      headers={"Paddle-Signature": f"ts={int(time.time())};h1=00"})  # fmt: skip
    assert response.status_code == 400 and response.get_json()["error"]
    with db.connection_context():
        assert WebhookEvent.select().count() == 0 and CheckoutCustomer.select().count() == 0


def test_a_retried_notification_answers_the_same_and_does_no_new_work(paddle):
    paddle.customer()
    first = paddle.transaction(event_id="evt_01same")
    again = paddle.transaction(event_id="evt_01same")
    assert again.status_code == 200 and first.get_json() == again.get_json()
    with db.connection_context():
        assert Order.select().count() == 1 and WebhookEvent.select().count() == 2


def test_an_unused_event_is_200_and_recorded_as_ignored(paddle):
    assert paddle.post("product.created", {"id": "pro_01"}).status_code == 200
    assert events()[0].status == "ignored" and "product.created" in events()[0].reason


@pytest.mark.parametrize(
    "body",
    ["nope", "[]", '{"event_id": "evt_1"}', '{"event_id": "evt_1", "event_type": "x"}'],
)
def test_a_malformed_body_is_400(paddle, body):
    assert paddle.post("x", None, body=body).status_code == 400


def test_a_customer_event_with_a_bad_email_is_400_naming_the_field(paddle):
    response = paddle.customer(email="nope")
    assert response.status_code == 400 and "data.email" in response.get_json()["error"]
    with db.connection_context():
        assert WebhookEvent.select().count() == 0
