"""The README's newcomer journey in Chromium, end to end; it also takes the screenshots.

They go to a temporary folder; `UPDATE_SCREENSHOTS=1 make test` writes docs/screenshots/.
"""

import os
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_selling_journey import connect_sandbox_server, create_product, sign_up

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS = (
    DOCS if os.environ.get("UPDATE_SCREENSHOTS") else Path(tempfile.gettempdir()) / "rolegate-shots"
)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert (SHOTS / f"{name}.png").stat().st_size > 10_000  # a page was drawn, not a blank


def add_automation(page, when, do, role):
    page.get_by_role("link", name="+ Automation in Sandbox Server").click()
    page.get_by_label("When").select_option(label=when)
    page.get_by_label("Do").select_option(label=do)
    page.get_by_label("Role", exact=True).select_option(label=role)
    page.get_by_role("button", name="Save automation").click()
    expect(page.get_by_text(f"Automation saved: {when} → {do} “{role}”.")).to_be_visible()


def test_newcomer_journey_from_sign_up_to_alumni(live_server, page, chromium, sandbox, processes):
    processes.worker()
    page.set_viewport_size({"width": 1200, "height": 900})
    sign_up(page, live_server.url)
    shot(page, "1-overview")
    connect_sandbox_server(page)
    shot(page, "2-app-connected")

    create_product(page)
    add_automation(page, "Order paid", "Assign role", "Pro")
    add_automation(page, "Access ended", "Revoke role", "Pro")
    add_automation(page, "Access ended", "Assign role", "Alumni")
    expect(
        page.get_by_role("heading", name="Access can end, but nothing is taken back")
    ).to_have_count(0)
    shot(page, "3-product")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    shot(page, "4-webhooks")
    page.get_by_role("button", name="Send a test order").click()
    expect(page.get_by_role("heading", name=re.compile("Order test_"))).to_be_visible()
    claim_url = page.locator("a", has_text="/claim/").first.inner_text()

    buyer = chromium.new_context().new_page()
    buyer.set_viewport_size({"width": 900, "height": 800})
    buyer.goto(claim_url)
    shot(buyer, "5-claim")
    buyer.get_by_role("button", name="Connect Discord").click()
    buyer.get_by_label("Discord account").select_option(label="ann")
    buyer.get_by_role("button", name="Authorize").click()
    expect(buyer.get_by_role("link", name="Open Sandbox Server in Discord")).to_be_visible(
        timeout=20000
    )
    shot(buyer, "6-claimed")

    sandbox_page = chromium.new_context().new_page()
    sandbox_page.goto(sandbox.url)
    ann = sandbox_page.locator('tr[data-user="200000000000000001"]').first
    expect(ann).to_contain_text("Pro")
    shot(sandbox_page, "7-sandbox-server")

    page.reload()
    expect(page.get_by_text("Granted: role “Pro”")).to_be_visible()
    page.get_by_role("button", name="End access now").click()
    expect(page.get_by_text("Access ended.")).to_be_visible()
    expect(page.get_by_text("Granted: role “Alumni”")).to_be_visible(timeout=20000)
    expect(page.get_by_text("Released: role “Pro”")).to_be_visible()
    shot(page, "8-order-ended")
    expect(ann).to_contain_text("Alumni", timeout=10000)
    expect(ann).not_to_contain_text("Pro")
