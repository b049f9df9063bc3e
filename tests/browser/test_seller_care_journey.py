"""The seller's side of care (issue 13, must show 2): after a permanent failure the bell
counts it and a mail arrives; the Overview draws the business for a seeded history (its
screenshot is kept under docs/screenshots/ when UPDATE_SCREENSHOTS=1)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_brake_journey import log_in
from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN, GUILD
from tests.web.test_alerts import mails_to_seller
from tests.web.test_overview_charts import seed

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_a_permanent_failure_rings_the_bell_and_mails_the_seller(inbox, world, live_server,
                                                                 page, processes):  # fmt: skip
    world.automation("purchase", "assign_role", role="Pro")
    world.sandbox.move_bot_role(GUILD, 1)  # Pro above the bot: Discord refuses (50013)
    processes.worker()
    processes.scheduler()
    world.checkout.paid("ord_1", email="ann@example.com")
    world.claim("ord_1", ANN)
    wait_until(lambda: any("failed for good" in m for m in mails_to_seller(inbox)), timeout=20,
               message="the alert mail")  # fmt: skip
    log_in(page, live_server.url)
    bell = page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts")
    expect(bell).to_contain_text("1")
    bell.click()
    expect(page.get_by_role("row").filter(has_text="failed for good")).to_contain_text("needs you")
    page.get_by_role("link", name="Fix it").first.click()
    expect(page.get_by_role("link", name="ord_1")).to_be_visible()


def rich_history(world, n=400):
    """Two products, four months of orders: some ended, some ending within 30 days."""
    import random
    from datetime import timedelta

    from webapp.db import db, utcnow
    from webapp.models import Customer, Order, Product

    rng, now = random.Random(7), utcnow()
    with db.connection_context():
        products = [Product.create(seller=world.seller.id, external_id=k, name=name)
                    for k, name in (("course", "Course"), ("mentoring", "Mentoring"))]  # fmt: skip
        buyer = Customer.create(seller=world.seller.id, email="b@example.com")
        rows = []
        for i in range(n):
            paid = now - timedelta(days=rng.uniform(0, 120) ** 1.1 / 1.7)
            ends = paid + timedelta(days=rng.choice((30, 60, 90)))
            ended = ends if ends < now else None
            rows.append({"seller": world.seller.id, "external_id": f"h{i}", "customer": buyer.id,
                         "product": products[i % 3 == 0].id, "paid_at": paid,
                         "access_ends_at": ends, "ended_at": ended,
                         "status": "expired" if ended else "active", "claim_token": f"t{i}"})  # fmt: skip
        Order.insert_many(rows).execute()


def test_the_overview_draws_a_seeded_history(world, live_server, page, tmp_path):
    seed(world)
    log_in(page, live_server.url)
    chart = page.get_by_role("img", name="Live members per product, last 90 days")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 80
    expect(page.get_by_role("img", name="Expiries due in the next 30 days")).to_be_visible()
    page.get_by_text("The numbers as tables").click()
    expect(page.get_by_role("table").filter(has_text="Course: live")).to_be_visible()


def test_a_screenshot_of_the_overview_charts(world, live_server, page, tmp_path):
    rich_history(world)
    log_in(page, live_server.url)
    expect(page.get_by_role("img", name="Live members per product, last 90 days")).to_be_visible()
    target = SHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    shot = target / "9-overview-charts.png"
    page.get_by_role("region", name="Your community").screenshot(path=str(shot))
    assert shot.stat().st_size > 5000
