"""Settings → Checkouts and the after-payment page, through HTTP."""

from tests.fixtures.app import csrf_from
from webapp import crypto, jobs
from webapp.db import db
from webapp.models import Checkout, Order


def test_a_seller_adds_a_stripe_connection_and_errors_are_said_next_to_the_field(client, auth):
    auth.signup()
    page = client.get("/settings/checkouts/").get_data(as_text=True)
    assert "Rolegate webhooks" in page and "+ Add checkout" in page
    form = client.get("/settings/checkouts/new").get_data(as_text=True)
    assert '<label for="provider">Checkout</label>' in form
    empty = client.post("/settings/checkouts/new", data={"name": "", "provider": "stripe",
                                                         "csrf_token": csrf_from(form)})  # fmt: skip
    assert empty.status_code == 400 and "This field is required." in empty.get_data(as_text=True)
    odd = client.post("/settings/checkouts/new", data={"name": "X", "provider": "paypal",
                                                       "csrf_token": csrf_from(form)})  # fmt: skip
    assert odd.status_code == 400 and "Not a valid choice" in odd.get_data(as_text=True)
    made = client.post("/settings/checkouts/new", data={"name": "Stripe", "provider": "stripe",
                                                        "csrf_token": csrf_from(form)})  # fmt: skip
    assert made.status_code == 302
    show = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "After-payment URL" in show and "{CHECKOUT_SESSION_ID}" in show
    blank = client.post(made.headers["Location"] + "/secret",
                        data={"secret": "", "csrf_token": csrf_from(show)})  # fmt: skip
    assert blank.status_code == 400
    assert "Paste the signing secret your checkout shows." in blank.get_data(as_text=True)
    client.post(made.headers["Location"] + "/secret",
                data={"secret": "whsec_abc", "csrf_token": csrf_from(show)})  # fmt: skip
    with db.connection_context():
        stored = Checkout.get(Checkout.provider == "stripe")
    assert stored.secret != "whsec_abc" and crypto.decrypt(stored.secret) == "whsec_abc"
    assert "whsec_abc" not in client.get(made.headers["Location"]).get_data(as_text=True)


def test_the_rolegate_connection_stays_and_a_removed_one_stops_accepting(client, auth, seller):
    from tests.fixtures.stripe_checkout import StripeAccount, stripe_connection

    auth.login()
    with db.connection_context():
        own = Checkout.get(Checkout.provider == "rolegate")
    stripe = StripeAccount(client, stripe_connection(seller))
    token = csrf_from(client.get("/settings/checkouts/").get_data(as_text=True))
    client.post(f"/settings/checkouts/{own.id}/delete", data={"csrf_token": token})
    with db.connection_context():
        assert Checkout.select().where(Checkout.id == own.id).exists()
    client.post(f"/settings/checkouts/{stripe.checkout.id}/delete", data={"csrf_token": token})
    assert stripe.session_completed().status_code == 404


def test_the_after_payment_page_waits_for_the_payment_then_opens_the_claim_page(client, seller):
    from tests.fixtures.stripe_checkout import StripeAccount, stripe_connection

    stripe = StripeAccount(client, stripe_connection(seller))
    url = f"/paid/{stripe.checkout.endpoint_id}?session_id=cs_test_1"
    waiting = client.get(url)
    assert waiting.status_code == 200 and "Confirming your payment…" in waiting.get_data(
        as_text=True
    )
    poll = client.get(f"/paid/{stripe.checkout.endpoint_id}/status?session_id=cs_test_1",
                      headers={"HX-Request": "true"})  # fmt: skip
    assert "HX-Redirect" not in poll.headers and 'hx-trigger="every 1s"' in poll.get_data(
        as_text=True
    )
    stripe.session_completed()
    with db.connection_context():
        token = Order.get(Order.external_id == "cs_test_1").claim_token
    poll = client.get(f"/paid/{stripe.checkout.endpoint_id}/status?session_id=cs_test_1",
                      headers={"HX-Request": "true"})  # fmt: skip
    assert poll.headers["HX-Redirect"].endswith(f"/claim/{token}")
    assert client.get(url).headers["Location"].endswith(f"/claim/{token}")
    assert client.get("/paid/nope?session_id=cs_test_1").status_code == 404
    assert client.get(f"/paid/{seller.webhook_endpoint_id}?session_id=1").status_code == 404


def test_catch_up_is_a_job_and_needs_a_key(client, auth, seller, redis_conn):
    from rq import Queue

    from tests.fixtures.stripe_checkout import stripe_connection

    auth.login()
    checkout = stripe_connection(seller)
    url = f"/settings/checkouts/{checkout.id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    refused = client.post(url + "/catch-up", data={"csrf_token": token}, follow_redirects=True)
    assert "Catch up needs a restricted API key" in refused.get_data(as_text=True)
    with db.connection_context():
        Checkout.update(api_key=crypto.encrypt("rk_test_1")).where(
            Checkout.id == checkout.id
        ).execute()
    client.post(url + "/catch-up", data={"csrf_token": token})
    queued = Queue(jobs.CATCH_UP.queue, connection=redis_conn).job_ids
    assert f"catch-up-{checkout.id}" in queued
