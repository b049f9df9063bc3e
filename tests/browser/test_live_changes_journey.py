"""A seller adds a purchase automation to a product with live orders and gives it to those
members too; then deletes another, taking its role back now (issue 12, must show 1)."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_brake_journey import log_in
from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN, BOB
from tests.web.test_live_changes import live_product as live_product

pytestmark = pytest.mark.browser


def test_changes_to_a_live_product_ask_first(live_product, live_server, page, processes):
    world = live_product
    processes.worker()
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/apps/{world.discord_app.id}")
    page.get_by_role("link", name="+ New automation").click()
    page.get_by_label("When").select_option(label="Order paid")
    page.get_by_label("Do").select_option(label="Assign role")
    page.get_by_label("Role", exact=True).select_option(label="Pro")
    page.get_by_role("button", name="Save automation").click()

    expect(
        page.get_by_role("heading", name="Give it to the members who already paid?")
    ).to_be_visible()
    expect(page.get_by_text("3 order(s) have live access already")).to_be_visible()
    page.get_by_role("button", name="Also give it to the 3 members with live access").click()
    expect(page.get_by_text("Given to the members with live access: 3 order(s)")).to_be_visible(
        timeout=15000
    )
    wait_until(lambda: world.member_roles(ANN) == world.member_roles(BOB) == ["Member", "Pro"],
               timeout=15, message="Ann and Bob to get Pro")  # fmt: skip

    page.goto(f"{live_server.url}/apps/{world.discord_app.id}")
    member_row = page.get_by_role("row").filter(has_text="Assign role “Member”")
    member_row.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete this automation?")).to_be_visible()
    page.get_by_role("button", name="Delete the automation").click()  # no choice yet
    expect(page.get_by_text("Choose what happens to it.")).to_be_visible()
    page.get_by_label("Take it back now").check()
    page.get_by_role("button", name="Delete the automation").click()
    expect(page.get_by_text("The 2 member(s) who had it lose it now.")).to_be_visible()
    wait_until(lambda: world.member_roles(ANN) == world.member_roles(BOB) == ["Pro"],
               timeout=15, message="Member to be taken back from Ann and Bob")  # fmt: skip
