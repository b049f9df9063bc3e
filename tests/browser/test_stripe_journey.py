"""A seller connects Stripe in the dashboard; Stripe's events, signed with the `stripe`
library's own helper, give and take access (issue 10, must show 1)."""

import json
import time
import uuid

import pytest
import requests
import stripe
from playwright.sync_api import expect

from sandbox.seed import ALUMNI_ROLE_ID, ANN, BOB, CLEO, GUILD_ID, PRO_ROLE_ID
from tests.browser.test_newcomer_journey import add_automation
from tests.browser.test_selling_journey import connect_sandbox_server, create_product, sign_up
from tests.fixtures.processes import wait_until

pytestmark = pytest.mark.browser
SECRET = "whsec_browser_" + uuid.uuid4().hex


def send(endpoint, kind, obj):
    """POST one Stripe event to the endpoint, signed as Stripe signs it."""
    body = json.dumps({"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": kind,
                       "api_version": "2025-03-31.basil", "created": int(time.time()),
                       "data": {"object": obj}, "livemode": False})  # fmt: skip
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    response = requests.post(endpoint, data=body, timeout=10,
                             headers={"Stripe-Signature": header, "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def session(session_id, email, subscription=None, payment_intent=None):
    return {"id": session_id, "object": "checkout.session", "payment_status": "paid",
            "mode": "subscription" if subscription else "payment", "subscription": subscription,
            "payment_intent": payment_intent, "metadata": {},
            "customer_details": {"email": email, "name": email.split("@")[0]}}  # fmt: skip


def claim(chromium, url, username, wait_for_payment=None):
    """A buyer on the after-payment URL (or a claim link): confirming, then the claim page,
    then Discord; the buyer's page."""
    buyer = chromium.new_context().new_page()
    buyer.goto(url)
    if wait_for_payment:
        expect(buyer.get_by_role("heading", name="Confirming your payment…")).to_be_visible()
        wait_for_payment()
    expect(buyer.get_by_role("button", name="Connect Discord")).to_be_visible(timeout=15000)
    buyer.get_by_role("button", name="Connect Discord").click()
    buyer.get_by_label("Discord account").select_option(label=username)
    buyer.get_by_role("button", name="Authorize").click()
    expect(buyer.get_by_role("link", name="Open Sandbox Server in Discord")).to_be_visible(
        timeout=20000
    )
    return buyer


def test_a_stripe_connection_gives_and_takes_access(
    live_server, page, chromium, sandbox, processes
):
    processes.worker()
    sign_up(page, live_server.url)
    connect_sandbox_server(page)
    create_product(page, name="Course", checkout_id="prod_course", days="")
    add_automation(page, "Order paid", "Assign role", "Pro")
    add_automation(page, "Access ended", "Revoke role", "Pro")
    add_automation(page, "Access ended", "Assign role", "Alumni")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Checkouts").click()
    page.get_by_role("link", name="+ Add checkout").click()
    page.get_by_label("Name").fill("Stripe — courses")
    page.get_by_label("Checkout").select_option(label="Stripe")
    page.get_by_role("button", name="Add checkout").click()
    expect(page.get_by_role("heading", name="Stripe connection")).to_be_visible()
    page.get_by_label("Signing secret").fill(SECRET)
    page.get_by_role("button", name="Save signing secret").click()
    expect(page.get_by_text("Signing secret saved.")).to_be_visible()
    endpoint = page.get_by_label("Endpoint URL").input_value()
    after_payment = page.get_by_label("After-payment URL").input_value()
    assert "{CHECKOUT_SESSION_ID}" in after_payment

    # Ann subscribes; she lands on the after-payment URL before Stripe's webhook arrives.
    def ann_pays():
        send(endpoint, "checkout.session.completed", {
            **session("cs_ann", "ann@example.com", subscription="sub_ann"),
            "metadata": {"product_id": "prod_course"}})  # fmt: skip

    claim(chromium, after_payment.replace("{CHECKOUT_SESSION_ID}", "cs_ann"), "ann", ann_pays)
    wait_until(lambda: sandbox.member_roles(GUILD_ID, ANN) == [PRO_ROLE_ID], timeout=15,
               message="Ann to get Pro")  # fmt: skip
    send(endpoint, "customer.subscription.deleted",
         {"id": "sub_ann", "object": "subscription", "status": "canceled", "ended_at": int(time.time())})  # fmt: skip
    wait_until(lambda: sandbox.member_roles(GUILD_ID, ANN) == [ALUMNI_ROLE_ID], timeout=15,
               message="Ann to move to Alumni")  # fmt: skip

    # Bob and Cleo pay once; a refund and a dispute take Pro away, with no alumni role (and,
    # as Rolegate added them to the server, take them off it: nothing else needs them there).
    for user, name, pi in ((BOB, "bob", "pi_bob"), (CLEO, "cleo", "pi_cleo")):
        send(endpoint, "checkout.session.completed", {
            **session(f"cs_{name}", f"{name}@example.com", payment_intent=pi),
            "metadata": {"product_id": "prod_course"}})  # fmt: skip
        claim(chromium, after_payment.replace("{CHECKOUT_SESSION_ID}", f"cs_{name}"), name)
        wait_until(lambda u=user: sandbox.member_roles(GUILD_ID, u) == [PRO_ROLE_ID], timeout=15,
                   message=f"{name} to get Pro")  # fmt: skip
    send(endpoint, "charge.refunded", {"id": "ch_bob", "object": "charge", "amount": 5000,
                                       "amount_refunded": 5000, "payment_intent": "pi_bob"})  # fmt: skip
    send(endpoint, "charge.dispute.created",
         {"id": "dp_cleo", "object": "dispute", "payment_intent": "pi_cleo", "status": "needs_response"})  # fmt: skip
    for user in (BOB, CLEO):
        wait_until(lambda u=user: not sandbox.member_roles(GUILD_ID, u), timeout=15,
                   message="the refund and the dispute to take Pro back")  # fmt: skip

    page.reload()
    log = page.get_by_role("table").filter(has_text="Result")
    expect(log.get_by_role("row", name="charge.dispute.created")).to_contain_text("Applied")
    expect(log.get_by_role("row").filter(has_text="customer.subscription.deleted")).to_be_visible()
