"""The Stripe adapter through its endpoint (SPEC §5.1): signatures checked by the `stripe`
library, every mapped event, replays, unused events, bad bodies — each answered as Stripe
expects (it retries any non-2xx for days) and nothing lost."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from webapp.db import db
from webapp.models import Order, Product, WebhookEvent


def order(external_id="cs_test_1"):
    with db.connection_context():
        return Order.get(Order.external_id == external_id)


def events():
    with db.connection_context():
        return list(WebhookEvent.select().order_by(WebhookEvent.id))


def test_a_completed_checkout_session_becomes_a_paid_order_of_the_stripe_product(stripe_account):
    response = stripe_account.session_completed(product="prod_course", price="price_monthly")
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "status": "applied"}
    paid = order()
    assert paid.status == "active" and paid.payment_ref == "pi_1"
    with db.connection_context():
        assert paid.customer.email == "ann@example.com"
        assert Product.get_by_id(paid.product_id).external_id == "prod_course"
        assert paid.variant.external_id == "price_monthly"
    (event,) = events()
    assert event.status == "applied" and event.checkout_id == stripe_account.checkout.id
    assert event.order_id == paid.id and event.webhook_id.startswith("stripe:evt_")


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "changed body", "stale timestamp", "no header", "garbage header"],
)
def test_a_bad_signature_is_refused_with_400_and_records_nothing(stripe_account, tamper):
    import stripe

    event = stripe_account.event("checkout.session.completed", {
        "id": "cs_x", "payment_status": "paid", "customer_details": {"email": "a@example.com"},
        "metadata": {"product_id": "prod_a"}})  # fmt: skip
    body = json.dumps(event)
    post = stripe_account.client.post
    if tamper == "wrong secret":
        response = stripe_account.post(event, secret="whsec_other")
    elif tamper == "changed body":
        header = stripe.WebhookSignature.generate_signature_header(body, stripe_account.secret)
        response = post(stripe_account.path, data=body.replace("cs_x", "cs_y"),
                        headers={"Stripe-Signature": header})  # fmt: skip
    elif tamper == "stale timestamp":
        response = stripe_account.post(event, timestamp=int(time.time()) - 301)
    elif tamper == "no header":
        response = post(stripe_account.path, data=body)
    else:
        response = post(stripe_account.path, data=body, headers={"Stripe-Signature": "t=abc,v1="})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]
    assert events() == []
    with db.connection_context():
        assert Order.select().count() == 0
    assert stripe_account.post(event).status_code == 200, "the untampered event is accepted"


def test_a_replayed_event_answers_the_same_and_does_no_new_work(stripe_account):
    event = stripe_account.event("checkout.session.completed", {
        "id": "cs_test_1", "payment_status": "paid", "payment_intent": "pi_1",
        "customer_details": {"email": "ann@example.com"}, "metadata": {"product_id": "prod_a"}})  # fmt: skip
    first = stripe_account.post(event)
    again = stripe_account.post(event)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert len(events()) == 1
    with db.connection_context():
        assert Order.select().count() == 1


def test_a_known_event_id_with_a_bad_signature_is_refused_not_answered(stripe_account):
    event = stripe_account.event("checkout.session.completed", {
        "id": "cs_test_1", "payment_status": "paid", "payment_intent": "pi_1",
        "customer_details": {"email": "ann@example.com"}, "metadata": {"product_id": "prod_a"}})  # fmt: skip
    assert stripe_account.post(event).status_code == 200  # the endpoint's provider is now known
    forged = stripe_account.post(event, secret="whsec_forged")
    assert forged.status_code == 400 and "received" not in forged.get_json()
    stripe_account.post(event)  # looked up in the first query now: the same answer
    assert len(events()) == 1


def test_an_unused_event_type_is_answered_200_and_logged_as_ignored(stripe_account):
    response = stripe_account.send("customer.created", {"id": "cus_1", "object": "customer"})
    assert response.status_code == 200
    (event,) = events()
    assert event.status == "ignored" and "customer.created" in event.reason


@pytest.mark.parametrize(
    "body", ["not json", "[]", '{"id": "evt_1"}', '{"id": "evt_1", "type": "x", "data": {}}']
)
def test_a_signed_malformed_body_is_refused_with_400_in_words(stripe_account, body):
    response = stripe_account.post(None, body=body)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert events() == []


def test_a_session_with_a_bad_email_is_refused_naming_the_field(stripe_account):
    response = stripe_account.session_completed(email="not-an-email")
    assert response.status_code == 400
    assert "email" in response.get_json()["error"]


def test_an_unpaid_session_waits_for_its_async_payment(stripe_account):
    assert stripe_account.session_completed(status="unpaid").status_code == 200
    with db.connection_context():
        assert Order.select().count() == 0
    assert events()[0].status == "ignored"
    session = {"id": "cs_test_1", "payment_status": "paid", "payment_intent": "pi_1",
               "customer_details": {"email": "ann@example.com"}, "metadata": {"product_id": "prod_a"}}  # fmt: skip
    assert (
        stripe_account.send("checkout.session.async_payment_succeeded", session).status_code == 200
    )
    assert order().status == "active"


@pytest.mark.parametrize("shape", ["basil", "acacia"])
def test_renewals_move_the_end_of_access_in_both_api_shapes(stripe_account, shape):
    stripe_account.session_completed(subscription="sub_1")
    first_end = int((datetime.now(UTC) + timedelta(days=30)).timestamp())
    stripe_account.invoice_paid("sub_1", first_end, reason="subscription_create", shape=shape)
    assert abs(order().period_end.timestamp() - first_end) < 1
    later = first_end + 30 * 86400
    assert stripe_account.invoice_paid("sub_1", later, shape=shape).status_code == 200
    assert abs(order().period_end.timestamp() - later) < 1
    assert order().access_ends_at > order().period_end  # plus the grace days


def test_a_renewal_before_its_session_is_kept_for_the_order(stripe_account):
    end = int((datetime.now(UTC) + timedelta(days=30)).timestamp())
    stripe_account.invoice_paid("sub_1", end, reason="subscription_create")
    stripe_account.session_completed(subscription="sub_1")
    assert abs(order().period_end.timestamp() - end) < 1


def test_a_deleted_subscription_ends_access(stripe_account):
    stripe_account.session_completed(subscription="sub_1")
    assert stripe_account.subscription_deleted("sub_1").status_code == 200
    assert order().status == "expired"


def test_a_full_refund_ends_access_through_its_payment_intent_and_a_partial_is_noted(
    stripe_account,
):
    stripe_account.session_completed(payment_intent="pi_1")
    stripe_account.charge_refunded("pi_1", amount=5000, refunded=1000)
    assert order().status == "active"
    assert events()[-1].status == "ignored" and events()[-1].order_id == order().id
    stripe_account.charge_refunded("pi_1", amount=5000, refunded=5000)
    assert order().status == "refunded"


def test_a_dispute_takes_access_away_and_winning_it_gives_it_back(stripe_account):
    stripe_account.session_completed(payment_intent="pi_1")
    stripe_account.dispute("charge.dispute.created")
    assert order().status == "disputed"
    stripe_account.dispute("charge.dispute.closed", status="lost")
    assert order().status == "disputed"
    stripe_account.dispute("charge.dispute.closed", status="won")
    assert order().status == "active"


def test_a_refund_before_its_payment_needs_attention_and_is_applied_when_the_payment_arrives(
    stripe_account,
):
    stripe_account.charge_refunded("pi_early")
    (event,) = events()
    assert event.status == "needs_attention" and "pi_early" in event.reason
    stripe_account.session_completed(payment_intent="pi_early")
    assert order().status == "refunded"
    assert events()[0].status == "applied"
    assert events()[0].reason == "Applied as order.refunded, after it needed attention."
    with db.connection_context():
        from webapp.models import Checkout

        assert Checkout.get_by_id(stripe_account.checkout.id).waiting == 0


def test_a_session_naming_no_product_needs_attention_and_says_how_to_fix_it(stripe_account):
    assert stripe_account.session_completed(metadata=False).status_code == 200
    (event,) = events()
    assert event.status == "needs_attention"
    assert "metadata product_id" in event.reason and "restricted API key" in event.reason
    with db.connection_context():
        assert Order.select().count() == 0


@pytest.mark.parametrize("kind", ["invoice.payment_failed", "customer.subscription.updated"])
def test_payment_failed_and_pause_are_noted_on_the_order_and_keep_access(stripe_account, kind):
    stripe_account.session_completed(subscription="sub_1")
    obj = ({"id": "in_1", "object": "invoice", "subscription": "sub_1"} if kind.startswith("invoice")
           else {"id": "sub_1", "object": "subscription", "status": "active",
                 "pause_collection": {"behavior": "void"}})  # fmt: skip
    assert stripe_account.send(kind, obj).status_code == 200
    event = events()[-1]
    assert event.order_id == order().id and "noted" in event.reason
    assert order().status == "active"


def test_an_event_to_another_connections_endpoint_does_not_verify(client, seller, stripe_account):
    from tests.fixtures.stripe_checkout import StripeAccount, stripe_connection

    other = StripeAccount(client, stripe_connection(seller, secret="whsec_second", name="Two"),
                          secret=stripe_account.secret)  # fmt: skip
    assert other.session_completed().status_code == 400
