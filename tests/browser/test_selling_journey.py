"""A seller connects Discord, sets up a product and a test order; a buyer claims it."""

import re

import pytest
from playwright.sync_api import expect

from tests.fixtures.world import ANN, GUILD

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"


def sign_up(page, url):
    page.goto(url + "/signup")
    page.get_by_label("Email").fill("seller@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def connect_sandbox_server(page):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Apps").click()
    page.get_by_role("link", name="+ New App").click()
    page.get_by_label("Name").fill("My community")
    page.get_by_role("button", name="Create app").click()
    page.get_by_role("button", name="Connect to Discord").click()
    # The sandbox's consent page, as Discord's: choose the server, authorise.
    page.get_by_label("Server").select_option(label="Sandbox Server")
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_text("Connected to Sandbox Server.")).to_be_visible()


def create_product(page, name="Course Pro", checkout_id="course-pro", days="30"):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Products").click()
    page.get_by_role("link", name="+ New product").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Checkout product id").fill(checkout_id)
    page.get_by_label("Remove access after how many days").fill(days)
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_seller_connects_discord_and_sees_what_the_bot_can_manage(live_server, page, sandbox):
    sign_up(page, live_server.url)
    connect_sandbox_server(page)
    expect(page.get_by_role("heading", name="Sandbox Server")).to_be_visible()
    expect(page.get_by_text("Connection works")).to_be_visible()
    roles = page.get_by_role("table").filter(has_text="Can Rolegate manage it?")
    expect(
        roles.get_by_role("row", name=re.compile("Pro.*the bot can manage this"))
    ).to_be_visible()
    expect(
        roles.get_by_role("row", name=re.compile("Admin.*move the bot's role above this one"))
    ).to_be_visible()
    # The seller drags the bot's role to the top in Discord, then checks again (htmx).
    sandbox.move_bot_role(GUILD, 99)
    page.get_by_role("button", name="Check again").click()
    expect(
        roles.get_by_role("row", name=re.compile("Admin.*the bot can manage this"))
    ).to_be_visible()


def test_seller_sets_up_a_product_sends_a_test_order_and_the_buyer_gets_the_role(
    live_server, page, chromium, sandbox, processes
):
    processes.worker()
    sign_up(page, live_server.url)
    connect_sandbox_server(page)

    create_product(page)

    page.get_by_role("link", name="+ Automation in Sandbox Server").click()
    page.get_by_label("When").select_option(label="Order paid")
    page.get_by_label("Do").select_option(label="Assign role")
    page.get_by_label("Role", exact=True).select_option(label="Pro")
    page.get_by_role("button", name="Save automation").click()
    expect(page.get_by_text("Automation saved: Order paid → Assign role “Pro”.")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Access can end, but nothing is taken back")
    ).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_label("Product").select_option(label="Course Pro")
    page.get_by_role("button", name="Send a test order").click()
    expect(page.get_by_role("heading", name=re.compile("Order test_"))).to_be_visible()
    claim_url = page.locator("a", has_text="/claim/").first.inner_text()

    buyer = chromium.new_context().new_page()
    buyer.goto(claim_url)
    expect(buyer.get_by_role("heading", name="Course Pro")).to_be_visible()
    buyer.get_by_role("button", name="Connect Discord").click()
    buyer.get_by_label("Discord account").select_option(label="ann")
    buyer.get_by_role("button", name="Authorize").click()
    expect(buyer.get_by_text("Get the role “Pro”")).to_be_visible()
    expect(buyer.get_by_role("link", name="Open Sandbox Server in Discord")).to_be_visible(
        timeout=20000
    )

    member = next(m for m in sandbox.guild(GUILD)["members"] if m["user"]["id"] == ANN)
    assert "310000000000000003" in member["roles"]

    page.reload()
    expect(page.get_by_text("Granted: role “Pro”")).to_be_visible()
    expect(
        page.get_by_text("Role given.").or_(page.get_by_text("Added to the server with the role."))
    ).to_be_visible()
