"""A picture of the business (SPEC §12): live members per product over the last 90 days,
access started and ended per day, expiries due in the next 30 days.

Each series comes from a few grouped queries (by day, in the database) and a running sum
here: an order is live on a day when it was paid by that day's end and had not ended by
then (an ended order — expired, refunded, disputed — carries `ended_at`). The Overview draws
them as server-rendered SVG (`svg.py`), with a table for each.
"""

import json
from datetime import timedelta

import peewee
from redis.exceptions import RedisError

from webapp.db import db, utcnow
from webapp.models import Order, Product
from webapp.services import get_redis

DAYS = 90
AHEAD = 30
CACHE = "rolegate:overview:{seller}"
CACHE_SECONDS = 60


def _day(field):
    """The day of a time column, in the database: SQLite keeps times as ISO text (the first
    ten characters are the day, cheaper than date()), PostgreSQL as timestamps."""
    if isinstance(db.obj, peewee.SqliteDatabase):
        return peewee.fn.substr(field, 1, 10)
    return peewee.fn.date(field)


def _by_day(query, field):
    """{date text (YYYY-MM-DD): count} of `query` grouped by the day of `field`."""
    rows = query.select(_day(field).alias("day"), peewee.fn.COUNT(Order.id).alias("n")).group_by(
        _day(field)
    )
    return {str(day)[:10]: n for day, n in rows.tuples()}


def _days(first, count):
    return [(first + timedelta(days=i)).date().isoformat() for i in range(count)]


def history(seller_id, now=None):
    """The picture, computed at most once a minute per seller (kept in Redis: every web
    process shares it); `as_of` says when it was computed."""
    if now is not None:
        return compute(seller_id, now)
    key = CACHE.format(seller=seller_id)
    try:
        kept = get_redis().get(key)
    except RedisError:
        kept = None
    if kept:
        return json.loads(kept)
    picture = compute(seller_id)
    try:
        get_redis().set(key, json.dumps(picture), ex=CACHE_SECONDS)
    except RedisError:
        pass
    return picture


def compute(seller_id, now=None):
    """{days, products: [(name, [live per day])], started, ended, due_days, due, as_of}."""
    now = now or utcnow()
    start = (now - timedelta(days=DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    days = _days(start, DAYS)
    mine = Order.select().where((Order.seller == seller_id) & Order.paid_at.is_null(False))
    products = []
    names = dict(
        Product.select(Product.id, Product.name).where(Product.seller == seller_id).tuples()
    )
    live_before = dict(
        mine.select(Order.product, peewee.fn.COUNT(Order.id))
        .where((Order.paid_at < start) & (Order.ended_at.is_null() | (Order.ended_at >= start)))
        .group_by(Order.product)
        .tuples()
    )
    starts_by = _by_product_day(mine.where(Order.paid_at >= start), Order.paid_at)
    ends_by = _by_product_day(mine.where(Order.ended_at >= start), Order.ended_at)
    started = {d: sum(by.get(d, 0) for by in starts_by.values()) for d in days}
    ended = {d: sum(by.get(d, 0) for by in ends_by.values()) for d in days}
    for product_id in sorted(set(live_before) | set(starts_by) | set(ends_by),
                             key=lambda p: names.get(p, "")):  # fmt: skip
        live, series = live_before.get(product_id, 0), []
        for day in days:
            live += starts_by.get(product_id, {}).get(day, 0)
            live -= ends_by.get(product_id, {}).get(day, 0)
            series.append(live)
        products.append([names.get(product_id, "Unknown product"), series])
    ahead = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    due_days = _days(now, AHEAD)
    due = _by_day(
        mine.where((Order.status == "active") & (Order.access_ends_at >= now)
                   & (Order.access_ends_at < ahead + timedelta(days=AHEAD - 1))),
        Order.access_ends_at,
    )  # fmt: skip
    return {
        "days": days, "products": products,
        "started": [started.get(d, 0) for d in days], "ended": [ended.get(d, 0) for d in days],
        "due_days": due_days, "due": [due.get(d, 0) for d in due_days],
        "as_of": now.strftime("%H:%M UTC"),
    }  # fmt: skip


def _by_product_day(query, field):
    out = {}
    rows = query.select(Order.product, _day(field), peewee.fn.COUNT(Order.id)).group_by(
        Order.product, _day(field)
    )
    for product_id, day, n in rows.tuples():
        out.setdefault(product_id, {})[str(day)[:10]] = n
    return out
