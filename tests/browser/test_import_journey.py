"""A seller moving from another tool imports their members: the file is checked, the
preview says what happens to each line, the import runs with its progress, the audit log
tells it (issue 12, must show 1)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_brake_journey import log_in
from tests.fixtures.processes import wait_until
from tests.web.test_imports import good_and_bad, user
from tests.web.test_imports import shop as shop

pytestmark = pytest.mark.browser


def test_a_seller_imports_members_from_a_csv(shop, live_server, page, processes, tmp_path):
    world = shop
    processes.worker()
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/products/{world.product.id}")
    file = tmp_path / "members.csv"
    file.write_bytes(b"\xff\xfenot text")
    page.get_by_label("CSV file").set_input_files(str(file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("The file is not UTF-8 text")).to_be_visible()

    file.write_bytes(good_and_bad())
    page.get_by_label("CSV file").set_input_files(str(file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("ready to import")).to_contain_text("3", timeout=15000)
    refused = page.get_by_role("table").filter(has_text="Why")
    expect(refused.get_by_role("row")).to_have_count(7)  # a header and six refused lines
    expect(refused).to_contain_text("Unknown variant “lifetime” for this product.")
    plan = page.get_by_role("region", name="What Rolegate will do")
    expect(plan.get_by_role("row", name="cleo@example.com")).to_contain_text("“Pro”")

    page.get_by_role("button", name="Import 3 member(s)").click()
    expect(page.get_by_role("button", name="Import 3 member(s)")).to_have_count(0)  # confirmed
    page.wait_for_load_state()
    page.reload()  # the progress lives in the database, not in the page
    expect(page.get_by_text("Imported 3 member(s).")).to_be_visible(timeout=15000)
    wait_until(lambda: world.member_roles(user(2)) == ["Pro"], timeout=15,
               message="Cleo to be given Pro")  # fmt: skip

    # Ann's Pro was adopted: it is Rolegate's now, so the end of her access takes it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    page.get_by_label("Search by email or order id").fill("ann@example.com")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=re.compile("^import-")).first.click()
    page.get_by_role("button", name="End access now").click()
    wait_until(lambda: world.member_roles(user(0)) == [], timeout=15,
               message="Ann's adopted Pro to be taken at the end of her access")  # fmt: skip

    # The same file again: nothing to do.
    page.goto(f"{live_server.url}/products/{world.product.id}")
    page.get_by_label("CSV file").set_input_files(str(file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("already imported: nothing to do")).to_contain_text("3", timeout=15000)
    expect(page.get_by_text("Nothing to import.")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("What").select_option(label="Imports")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Import into “Course Pro” confirmed: 3 member(s)")).to_be_visible()
    expect(page.get_by_text("Import of 9 line(s) into “Course Pro” uploaded")).to_have_count(2)
