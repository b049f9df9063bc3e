"""A seller gives access by hand (a gift); the buyer claims it like a paid order."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_selling_journey import connect_sandbox_server, create_product, sign_up
from tests.browser.test_stripe_journey import claim
from tests.fixtures.world import ANN, GUILD, role_id

pytestmark = pytest.mark.browser


def test_access_given_by_hand_is_claimed_by_the_buyer(live_server, page, chromium, sandbox,
                                                      processes):  # fmt: skip
    processes.worker()
    sign_up(page, live_server.url)
    connect_sandbox_server(page)
    create_product(page, days="30")
    page.get_by_role("link", name="+ Automation in Sandbox Server").click()
    page.get_by_label("When").select_option(label="Order paid")
    page.get_by_label("Do").select_option(label="Assign role")
    page.get_by_label("Role", exact=True).select_option(label="Pro")
    page.get_by_role("button", name="Save automation").click()

    # A typo first: said next to the field, nothing given.
    page.get_by_label("Buyer's email").fill("friend-at-example.com")
    page.get_by_label("Days of access").fill("7")
    page.get_by_role("button", name="Give access").click()
    expect(page.get_by_text("Enter an email like name@example.com.")).to_be_visible()
    expect(page.get_by_label("Buyer's email")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Buyer's email").fill("friend@example.com")
    page.get_by_label("Days of access").fill("7")
    page.get_by_role("button", name="Give access").click()
    expect(page.get_by_text("Access to “Course Pro” given to friend@example.com.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Order manual-"))).to_be_visible()
    expect(page.get_by_text("by hand, without a checkout")).to_be_visible()
    expect(page.locator("#access-end")).to_contain_text("time limit")
    claim_url = page.locator("a", has_text="/claim/").first.inner_text()

    buyer = claim(chromium, claim_url, "ann")
    expect(buyer.get_by_role("heading", name="Course Pro")).to_be_visible()
    assert role_id(sandbox, GUILD, "Pro") in sandbox.member_roles(GUILD, ANN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("What").select_option(label="Access given, ended or extended by hand")
    page.get_by_role("button", name="Filter").click()
    expect(
        page.get_by_text("Access to “Course Pro” given by hand to friend@example.com")
    ).to_be_visible()
    page.get_by_label("What").select_option(label="Automations")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Automation added in “My community”")).to_be_visible()
