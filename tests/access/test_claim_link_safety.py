"""A claim link is a bearer credential (SPEC §6): a switch of Discord account needs the code
mailed to the buyer, is mailed and shown on the order, and is limited to a few in 30 days."""

import re
import time

from tests.fixtures.app import csrf_from
from tests.fixtures.world import ANN, BOB, CLEO, drain, follow_oauth
from webapp.db import db
from webapp.models import AccountSwitch, Customer


def _code(inbox):
    for _ in range(50):
        for text in reversed(inbox.messages):
            if match := re.search(r"Your code: (\d{6})", text):
                return match.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no code mailed: {inbox.messages}")


def _start_switch(world, token):
    page = world.client.get(f"/claim/{token}").get_data(as_text=True)
    return world.client.post(f"/claim/{token}/connect", data={"csrf_token": csrf_from(page)})


def test_a_switch_needs_the_mailed_code_and_is_mailed_and_shown_on_the_order(inbox, world, sandbox):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    drain()
    token = world.order("ord_1").claim_token
    asked = _start_switch(world, token)
    assert asked.status_code == 200 and "Code from the email" in asked.get_data(as_text=True)
    wrong = world.client.post(
        f"/claim/{token}/code", data={"csrf_token": csrf_from(asked.get_data(as_text=True)),
                                      "code": "000000" if _code(inbox) != "000000" else "111111"},
    )  # fmt: skip
    assert wrong.status_code == 400 and "not the code we mailed" in wrong.get_data(as_text=True)
    sandbox.config(auto_approve={"user_id": BOB})
    typed = world.client.post(
        f"/claim/{token}/code",
        data={"csrf_token": csrf_from(asked.get_data(as_text=True)), "code": _code(inbox)},
    )
    follow_oauth(world.client, typed)
    drain()
    assert world.member_roles(BOB) == ["Pro"] and world.member_roles(ANN) is None
    assert any("moved from the Discord account" in m for m in inbox.messages)
    page = world.client.get(f"/orders/{world.order('ord_1').id}").get_data(as_text=True)
    assert "moved their access from Discord account" in page


def test_a_leaked_link_alone_never_reaches_discords_consent_page(inbox, world, sandbox):
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    token = world.order("ord_1").claim_token
    # Someone holding only the link asks to switch: no redirect to Discord, a code is mailed.
    response = _start_switch(world, token)
    assert response.status_code == 200 and "Location" not in response.headers
    page = response.get_data(as_text=True)
    for _ in range(6):  # guessing: five tries, then the code is dead
        world.client.post(f"/claim/{token}/code", data={"csrf_token": csrf_from(page),
                                                         "code": "123456"})  # fmt: skip
    right = world.client.post(
        f"/claim/{token}/code", data={"csrf_token": csrf_from(page), "code": _code(inbox)}
    )
    assert right.status_code == 400 and "no longer works" in right.get_data(as_text=True)
    with db.connection_context():
        assert Customer.get(Customer.email == "buyer@example.com").discord_user_id == ANN


def test_after_three_switches_in_30_days_the_buyer_is_asked_to_contact_the_seller(world):
    world.checkout.paid("ord_1")
    for account in (ANN, BOB, CLEO, ANN):
        world.claim("ord_1", account)
    with db.connection_context():
        assert AccountSwitch.select().count() == 3
    refused = _start_switch(world, world.order("ord_1").claim_token)
    assert refused.status_code == 409
    assert "Contact the seller" in refused.get_data(as_text=True)
