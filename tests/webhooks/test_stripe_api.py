"""Rolegate's few Stripe API calls, through the official `stripe` library against the local
stand-in (sandbox/stripe): a session's line items with the restricted key, and Catch up over
the Events API."""

import json
import time

from tests.fixtures.app import csrf_from
from webapp import crypto
from webapp.checkouts import catchup
from webapp.db import db
from webapp.models import Checkout, Order, WebhookEvent

KEY = "rk_test_rolegate"


def with_key(stripe_account, key=KEY):
    with db.connection_context():
        Checkout.update(api_key=crypto.encrypt(key)).where(
            Checkout.id == stripe_account.checkout.id
        ).execute()
        stripe_account.checkout = Checkout.get_by_id(stripe_account.checkout.id)


def test_a_session_without_metadata_takes_its_product_from_the_line_items(
    stripe_account, stripe_api
):
    stripe_api.state.add_key(KEY, "checkout_sessions_read")
    stripe_api.state.add_line_item("cs_test_1", "prod_course", "price_yearly", nickname="Yearly")
    with_key(stripe_account)
    assert stripe_account.session_completed(metadata=False).status_code == 200
    with db.connection_context():
        order = Order.get(Order.external_id == "cs_test_1")
        assert order.product.external_id == "prod_course"
        assert order.variant.external_id == "price_yearly" and order.variant.name == "Yearly"
    ((method, path, key),) = stripe_api.state.requests
    assert path.startswith("/v1/checkout/sessions/cs_test_1/line_items") and key == KEY


def test_a_key_without_the_permission_leaves_the_event_waiting_with_stripes_words(
    stripe_account, stripe_api
):
    stripe_api.state.add_key(KEY)  # no checkout_sessions_read
    with_key(stripe_account)
    assert stripe_account.session_completed(metadata=False).status_code == 200
    with db.connection_context():
        event = WebhookEvent.get()
    assert event.status == "needs_attention" and "required permissions" in event.reason


def test_saving_a_working_key_applies_the_events_that_waited_for_it(
    client, auth, seller, stripe_account, stripe_api
):
    stripe_account.session_completed(metadata=False)
    stripe_api.state.add_key(KEY, "checkout_sessions_read")
    stripe_api.state.add_line_item("cs_test_1", "prod_course", "price_monthly")
    auth.login()
    url = f"/settings/checkouts/{stripe_account.checkout.id}"
    page = client.get(url).get_data(as_text=True)
    assert "1 event(s) need attention" in page
    assert "need attention" in client.get("/overview").get_data(as_text=True)
    bad = client.post(url + "/key", data={"api_key": "sk_live_nope", "csrf_token": csrf_from(page)})
    assert bad.status_code == 400 and "starts with rk_test_ or rk_live_" in bad.get_data(
        as_text=True
    )
    saved = client.post(url + "/key", data={"api_key": KEY, "csrf_token": csrf_from(page)},
                        follow_redirects=True)  # fmt: skip
    assert "1 waiting event(s) applied" in saved.get_data(as_text=True)
    with db.connection_context():
        assert Order.get(Order.external_id == "cs_test_1").status == "active"
        assert WebhookEvent.get().status == "applied"


def test_catch_up_applies_the_missed_events_oldest_first_and_only_once(stripe_account, stripe_api):
    stripe_api.state.add_key(KEY, "events_read")
    with_key(stripe_account)
    now = int(time.time())
    paid = stripe_account.event("checkout.session.completed", {
        "id": "cs_missed", "payment_status": "paid", "payment_intent": "pi_missed",
        "customer_details": {"email": "bob@example.com"}, "metadata": {"product_id": "prod_a"}},
        created=now - 3600)  # fmt: skip
    refunded = stripe_account.event("charge.refunded", {
        "id": "ch_1", "amount": 100, "amount_refunded": 100, "payment_intent": "pi_missed"},
        created=now - 60)  # fmt: skip
    received = stripe_account.event("checkout.session.completed", {
        "id": "cs_received", "payment_status": "paid", "payment_intent": "pi_r",
        "customer_details": {"email": "ann@example.com"}, "metadata": {"product_id": "prod_a"}},
        created=now - 120)  # fmt: skip
    too_old = stripe_account.event("checkout.session.completed", {
        "id": "cs_old", "payment_status": "paid", "customer_details": {"email": "c@example.com"},
        "metadata": {"product_id": "prod_a"}}, created=now - 31 * 86400)  # fmt: skip
    assert stripe_account.post(received).status_code == 200
    unused = stripe_account.event("customer.created", {"id": "cus_1"}, created=now - 30)
    stripe_api.state.events = [too_old, paid, received, refunded, unused]
    with db.connection_context():
        result = catchup.run(stripe_account.checkout.id)
        assert result == {"listed": 3, "applied": 2, "known": 1, "error": None}
        assert Order.get(Order.external_id == "cs_missed").status == "refunded"
        assert not Order.select().where(Order.external_id == "cs_old").exists()
        assert catchup.run(stripe_account.checkout.id)["applied"] == 0
        (_, path, _), *_ = stripe_api.state.requests
        assert "types" in path and "created" in path
        assert WebhookEvent.select().count() == 3
    body = json.loads(WebhookEvent.get(WebhookEvent.webhook_id == f"stripe:{paid['id']}").payload)
    assert body["data"]["object"]["id"] == "cs_missed"


def test_catch_up_with_a_wrong_key_says_what_stripe_said(stripe_account, stripe_api):
    with_key(stripe_account, "rk_test_unknown")
    with db.connection_context():
        result = catchup.run(stripe_account.checkout.id)
    assert result["applied"] == 0 and "Invalid API Key" in result["error"]
