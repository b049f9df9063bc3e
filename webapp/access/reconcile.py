"""Reconciliation: the safety net when the gateway missed something (SPEC §10).

For one app's server, every member Rolegate holds a live role for is checked with Get Guild
Member (no privileged intent) and repaired exactly as a gateway event would
(`repairs.check_member`). Its cost grows with live grants, not with all orders ever. It runs
in batches of `BATCH` members, each batch its own job: between two batches a worker takes
the expiries and purchases queued meanwhile (their queues come first), and Discord calls go
through the shared rate limiter. The periodic run spreads its batches over its period;
"Check every member now" runs them back to back. Progress is kept in Redis per app.
"""

import time

from webapp import jobs
from webapp.access import repairs
from webapp.models import App, Customer, Grant, Order
from webapp.services import get_redis

BATCH = 50
PROGRESS_TTL = 24 * 3600


def _key(app_id):
    return f"rolegate:reconcile:{app_id}"


def members(app, after="", limit=None):
    """Discord accounts with a live role Rolegate holds in the app's server, in id order."""
    query = (
        Grant.select(Grant.discord_user_id)
        .join(Order)
        .switch(Grant)
        .join(Customer)
        .where(
            (Grant.app == app.id) & (Grant.guild_id == app.guild_id) & (Grant.kind == "role")
            & (Grant.state == "active") & (Grant.via == "purchase") & (Order.status == "active")
            & (Customer.discord_user_id == Grant.discord_user_id)
            & (Grant.discord_user_id > after)
        )
        .distinct()
        .order_by(Grant.discord_user_id)
    )  # fmt: skip
    if limit:
        query = query.limit(limit)
    return [row.discord_user_id for row in query]


def start(app, spread=0):
    """Begin checking the app's server (a run already going is started over); False when
    the app has no server to check."""
    if app.guild_id is None or app.status != "connected":
        return False
    total = len(members(app))
    batches = max(1, -(-total // BATCH))
    get_redis().hset(_key(app.id), mapping={
        "total": total, "done": 0, "repaired": 0, "started_at": time.time(), "finished_at": "",
        "pause": spread / batches if spread else 0,
    })  # fmt: skip
    get_redis().expire(_key(app.id), PROGRESS_TTL)
    jobs.enqueue_reconcile_batch(app.id, "")
    return True


def run_batch(app_id, after):
    """Check the next batch of members after `after`; queue the batch after it."""
    app = App.get_or_none(App.id == app_id)
    if app is None or app.guild_id is None or app.status != "connected":
        get_redis().hset(_key(app_id), "finished_at", time.time())
        return 0
    batch = members(app, after, limit=BATCH)
    repaired = 0
    for user_id in batch:
        repaired += len(repairs.check_member(app.guild_id, user_id, "checked"))
    conn = get_redis()
    conn.hincrby(_key(app_id), "done", len(batch))
    conn.hincrby(_key(app_id), "repaired", repaired)
    if len(batch) < BATCH:
        conn.hset(_key(app_id), "finished_at", time.time())
    else:
        pause = float(conn.hget(_key(app_id), "pause") or 0)
        jobs.enqueue_reconcile_batch(app_id, batch[-1], delay=pause)
    return len(batch)


def progress(app_id):
    """{total, done, repaired, running} of the app's last check, or None."""
    raw = {k.decode(): v.decode() for k, v in get_redis().hgetall(_key(app_id)).items()}
    if not raw:
        return None
    total, done = int(raw["total"]), int(raw["done"])
    return {"total": total, "done": min(done, total), "repaired": int(raw["repaired"]),
            "running": not raw.get("finished_at")}  # fmt: skip


def start_all(spread):
    """The periodic run: every connected app, its batches spread over `spread` seconds."""
    started = 0
    for app in App.select().where((App.status == "connected") & App.guild_id.is_null(False)):
        started += start(app, spread=spread)
    return started


def check_now(app):
    """Check every member of the app's server in this process (the CLI): (checked, repaired)."""
    checked = repaired = 0
    after = ""
    while batch := members(app, after, limit=BATCH):
        for user_id in batch:
            repaired += len(repairs.check_member(app.guild_id, user_id, "checked"))
        checked += len(batch)
        after = batch[-1]
    return checked, repaired
