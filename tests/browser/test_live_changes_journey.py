"""A seller changes the automations of a product with live orders: adding one asks whether
those members get it too, deleting one asks what happens to their role — each choice,
through the browser (issue 12, must show 1)."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_brake_journey import log_in
from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN, BOB
from tests.web.test_live_changes import live_product as live_product

pytestmark = pytest.mark.browser


def add_pro(page, url, world):
    page.goto(f"{url}/apps/{world.discord_app.id}")
    page.get_by_role("link", name="+ New automation").click()
    page.get_by_label("When").select_option(label="Order paid")
    page.get_by_label("Do").select_option(label="Assign role")
    page.get_by_label("Role", exact=True).select_option(label="Pro")
    page.get_by_role("button", name="Save automation").click()
    expect(
        page.get_by_role("heading", name="Give it to the members who already paid?")
    ).to_be_visible()
    expect(page.get_by_text("3 order(s) have live access already")).to_be_visible()


def test_adding_gives_it_to_the_members_with_live_access_when_asked(live_product, live_server,
                                                                     page, processes):  # fmt: skip
    world = live_product
    processes.worker()
    log_in(page, live_server.url)
    add_pro(page, live_server.url, world)
    page.get_by_role("button", name="Also give it to the 3 members with live access").click()
    expect(page.get_by_text("Given to the members with live access: 3 order(s)")).to_be_visible(
        timeout=15000
    )
    wait_until(lambda: world.member_roles(ANN) == world.member_roles(BOB) == ["Member", "Pro"],
               timeout=15, message="Ann and Bob to get Pro")  # fmt: skip


def test_adding_for_new_orders_only_leaves_live_members_as_they_are(live_product, live_server,
                                                                     page):  # fmt: skip
    world = live_product
    log_in(page, live_server.url)
    add_pro(page, live_server.url, world)
    page.get_by_role("button", name="Only new orders").click()
    expect(page.get_by_text("Only new orders get it")).to_be_visible()
    assert world.member_roles(ANN) == ["Member"]


@pytest.mark.parametrize(
    ("choice", "said", "after"),
    [
        ("Take it back now", "lose it now", []),
        ("Take it back when their access ends", "lose it when their access ends", ["Member"]),
        ("Never take it back (they keep it for good)", "lose it never", ["Member"]),
    ],
)
def test_deleting_asks_what_happens_to_the_role(live_product, live_server, page, processes,
                                                choice, said, after):  # fmt: skip
    world = live_product
    processes.worker()
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/apps/{world.discord_app.id}")
    member_row = page.get_by_role("row").filter(has_text="Assign role “Member”")
    member_row.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete this automation?")).to_be_visible()
    page.get_by_role("button", name="Delete the automation").click()  # no choice yet
    expect(page.get_by_text("Choose what happens to it.")).to_be_visible()
    page.get_by_label(choice).check()
    page.get_by_role("button", name="Delete the automation").click()
    expect(page.get_by_text(f"The 2 member(s) who had it {said}.")).to_be_visible()
    wait_until(lambda: world.member_roles(ANN) == world.member_roles(BOB) == after,
               timeout=15, message=f"the roles to be {after}")  # fmt: skip
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("row").filter(has_text="Automation deleted")).to_contain_text(said)
