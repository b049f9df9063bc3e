"""A picture of the business on the Overview (`dashboard/charts.py`, `svg.py`): the series
from a seeded history, drawn as SVG with a title and a table of the same numbers."""

import html
import re
from datetime import timedelta

from webapp.dashboard import charts
from webapp.db import db, utcnow
from webapp.models import Customer, Order, Product


def seed(world):
    """Course: 3 live since before the window, 2 paid 10 days ago (one ended 5 days ago);
    Mentoring: 1 paid today, due to end in 3 days."""
    now = utcnow()
    with db.connection_context():
        course = Product.create(seller=world.seller.id, external_id="course", name="Course")
        mentoring = Product.create(seller=world.seller.id, external_id="m", name="Mentoring")
        buyer = Customer.create(seller=world.seller.id, email="b@example.com")

        def order(n, product, paid, ended=None, ends=None):
            Order.create(seller=world.seller.id, external_id=f"o{n}", customer=buyer,
                         product=product, paid_at=now - timedelta(days=paid),
                         ended_at=ended and now - timedelta(days=ended),
                         status="expired" if ended else "active",
                         access_ends_at=ends and now + timedelta(days=ends))  # fmt: skip

        for n in range(3):
            order(n, course, paid=200)
        order(3, course, paid=10)
        order(4, course, paid=10, ended=5)
        order(5, mentoring, paid=0, ends=3)
        order(6, course, paid=300, ended=150)  # ended before the window: never counted


def test_the_series_follow_the_orders(world):
    seed(world)
    with db.connection_context():
        h = charts.history(world.seller.id)
    assert len(h["days"]) == 90 and h["days"][-1] == utcnow().date().isoformat()
    live = dict(h["products"])
    assert live["Course"][0] == 3 and live["Course"][-11] == 5 and live["Course"][-1] == 4
    assert live["Mentoring"][-2] == 0 and live["Mentoring"][-1] == 1
    assert sum(h["started"]) == 3 and h["started"][-11] == 2 and sum(h["ended"]) == 1
    assert sum(h["due"]) == 1 and h["due"][3] == 1


def test_the_overview_draws_them_as_svg_with_a_title_and_a_table(world):
    seed(world)
    page = html.unescape(world.client.get("/overview").get_data(as_text=True))
    assert '<svg class="chart"' in page and "<polyline" in page and "<rect" in page
    assert '<title id="live-chart-title">Live members per product, last 90 days</title>' in page
    assert "Today: 4, 1." in page  # the desc says today's figures in words
    assert "<caption>Per day, last 90 days</caption>" in page
    assert re.search(r"<th scope=\"col\">Course: live</th>", page)
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_a_new_seller_sees_empty_charts_not_an_error(world):
    page = world.client.get("/overview").get_data(as_text=True)
    assert "No order yet." in page and '<title id="due-chart-title">' in page


def test_the_picture_is_computed_at_most_once_a_minute(world):
    seed(world)
    with db.connection_context():
        first = charts.history(world.seller.id)
        Order.update(ended_at=utcnow()).execute()  # everything ends now
        assert charts.history(world.seller.id) == first  # the kept picture, for a minute
        from webapp.services import get_redis

        get_redis().delete(charts.CACHE.format(seller=world.seller.id))  # the minute is over
        assert charts.history(world.seller.id)["products"][0][1][-1] == 0
