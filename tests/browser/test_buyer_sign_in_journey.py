"""A buyer without their claim link asks the seller's My access page for a sign-in link,
opens it from the mail, sees two orders and rejoins after leaving (issue 13, must show 2)."""

import pytest
from playwright.sync_api import expect

from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN, GUILD
from tests.web.test_buyer_sign_in import link_in, setup

pytestmark = pytest.mark.browser


def test_a_buyer_signs_in_by_mailed_link_and_rejoins(inbox, world, live_server, chromium,
                                                      processes):  # fmt: skip
    processes.worker()
    setup(world)
    buyer = chromium.new_context().new_page()
    buyer.goto(f"{live_server.url}/buyers/{world.seller_public_id}")
    buyer.get_by_label("Email").fill("ann@example.com")
    buyer.get_by_role("button", name="Mail me a sign-in link").click()
    expect(buyer.get_by_role("status")).to_contain_text("a sign-in link is on its way")
    link = link_in(inbox, "ann@example.com")
    buyer.goto(live_server.url + "/buyers/" + link.split("/buyers/", 1)[1])
    buyer.get_by_role("button", name="Open My access").click()
    expect(buyer.get_by_text("Your orders with this seller")).to_be_visible()
    orders = buyer.get_by_role("table")
    expect(orders.get_by_role("row")).to_have_count(3)
    world.sandbox.remove_member(GUILD, ANN)
    buyer.get_by_role("button", name="Rejoin the server").click()
    expect(buyer.get_by_text("Adding you back to the server with your roles.")).to_be_visible()
    wait_until(lambda: world.member_roles(ANN) == ["Pro"], timeout=15, message="Ann back with Pro")
