"""A buyer with two orders opens My access from their claim link, sees both, and after
leaving the server by accident rejoins with their role (issue 13)."""

import pytest
from playwright.sync_api import expect

from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN, GUILD

pytestmark = pytest.mark.browser


def test_a_buyer_sees_two_orders_and_rejoins_after_leaving(world, live_server, chromium,
                                                           processes):  # fmt: skip
    world.automation("purchase", "assign_role", role="Pro")
    processes.worker()
    world.checkout.paid("ord_1", email="ann@example.com")
    world.checkout.paid("ord_2", product_id="mentoring", product_name="Mentoring",
                        email="ann@example.com")  # fmt: skip
    world.sandbox.manual_consent()  # the buyer chooses on the consent page, as on Discord
    buyer = chromium.new_context().new_page()
    buyer.goto(f"{live_server.url}/claim/{world.order('ord_1').claim_token}")
    buyer.get_by_role("button", name="Connect Discord").click()
    buyer.get_by_label("Discord account").select_option(label="ann")
    buyer.get_by_role("button", name="Authorize").click()
    expect(buyer.get_by_role("link", name="Open Sandbox Server in Discord")).to_be_visible(
        timeout=20000
    )
    buyer.get_by_role("link", name="My access: all your orders with this seller").click()
    orders = buyer.get_by_role("table")
    expect(orders.get_by_role("row")).to_have_count(3)  # a header and two orders
    expect(orders).to_contain_text("Course Pro")
    expect(orders).to_contain_text("Mentoring")

    world.sandbox.remove_member(GUILD, ANN)  # by accident
    buyer.get_by_role("button", name="Rejoin the server").click()
    expect(buyer.get_by_text("Adding you back to the server with your roles.")).to_be_visible()
    wait_until(lambda: world.member_roles(ANN) == ["Pro"], timeout=15,
               message="Ann to be back with Pro")  # fmt: skip
