"""A mass refund trips the removal brake; the seller, alerted on every page, releases the held
removals — or, separately, cancels them and the roles stay (issue 12, must show 1)."""

import pytest
from playwright.sync_api import expect

from tests.access.test_brake import FIRST, refund_all, with_pro
from tests.access.test_brake import members as members
from tests.fixtures.app import PASSWORD
from tests.fixtures.world import drain

pytestmark = pytest.mark.browser


def log_in(page, url):
    page.goto(url + "/login")
    page.get_by_label("Email").fill("seller@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def tripped(world, members, live_server, page):
    refund_all(world, members(24))
    log_in(page, live_server.url)
    banner = page.get_by_role("region", name="Needs your attention")
    expect(banner).to_contain_text("Removals held on “Community”")
    banner.get_by_role("link", name="Fix it").click()
    held = page.get_by_role("region", name="Removals held")
    expect(held).to_contain_text("4 waiting")
    expect(held.get_by_role("row")).to_have_count(5)  # a header and the four held removals
    return held


def test_the_seller_releases_held_removals(world, members, live_server, page):
    held = tripped(world, members, live_server, page)
    held.get_by_role("button", name="Release").click()
    expect(page.get_by_text("4 held removal(s) released: they run now.")).to_be_visible()
    expect(page.get_by_role("region", name="Removals held")).to_have_count(0)
    expect(page.get_by_role("region", name="Needs your attention")).to_have_count(0)
    drain()
    assert with_pro(world, 24, FIRST) == 0


def test_the_seller_cancels_held_removals_and_the_roles_stay(world, members, live_server, page):
    held = tripped(world, members, live_server, page)
    held.get_by_role("button", name="Cancel these removals").click()
    expect(page.get_by_text("4 held removal(s) cancelled: the roles stay.")).to_be_visible()
    drain()
    assert with_pro(world, 24, FIRST) == 4
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_text("Held removals cancelled on “Community”: 4 skipped")).to_be_visible()
