"""Reconciliation: the safety net when the gateway missed something (SPEC §10).

For one app's server, every member Rolegate holds a live role for is checked with Get Guild
Member (no privileged intent) and repaired exactly as a gateway event would
(`repairs.check_member`). Its cost grows with live grants, not with all orders ever. It runs
in batches of `BATCH` members, each batch its own job, and a batch stops early as soon as an
expiry or a purchase waits in its queue (the worker takes it, the rest of the batch is queued
again); Discord calls go through the shared rate limiter, within `SHARE` of the bot's global
rate. The periodic run spreads its batches over its period;
"Check every member now" runs them back to back. Progress is kept in Redis per app.
"""

import time

from webapp import jobs
from webapp.access import repairs
from webapp.models import App, Customer, Grant, Order
from webapp.services import get_redis, settings

BATCH = 50
LANES = 4  # batch chains at once: each worker free for maintenance takes one
# The share of the bot's global request rate the reconciliation may use: the rest stays for
# purchases and expiries made meanwhile (at full rate they waited ~2 s for the global tokens).
SHARE = 0.8
PROGRESS_TTL = 24 * 3600


def _key(app_id):
    return f"rolegate:reconcile:{app_id}"


def members(app, after="", limit=None, until=None):
    """Discord accounts with a live role Rolegate holds in the app's server, in id order
    (after `after`, up to `until` included)."""
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
    if until:
        query = query.where(Grant.discord_user_id <= until)
    if limit:
        query = query.limit(limit)
    return [row.discord_user_id for row in query]


def start(app, spread=0):
    """Begin checking the app's server (a run already going is started over); False when
    the app has no server to check."""
    if app.guild_id is None or app.status != "connected":
        return False
    everyone = members(app)
    total = len(everyone)
    # Lanes: contiguous ranges of ids, each a chain of batches of its own.
    size = max(BATCH, -(-total // LANES))
    lanes = [(everyone[i - 1] if i else "", everyone[min(i + size, total) - 1])
             for i in range(0, total, size)] or [("", "")]  # fmt: skip
    batches = max(1, -(-size // BATCH))
    conn = get_redis()
    conn.hset(_key(app.id), mapping={
        "total": total, "done": 0, "repaired": 0, "started_at": time.time(), "finished_at": "",
        "lanes": len(lanes), "pause": spread / batches if spread else 0,
    })  # fmt: skip
    conn.expire(_key(app.id), PROGRESS_TTL)
    for after, until in lanes:
        jobs.enqueue_reconcile_batch(app.id, after, until)
    return True


def run_batch(app_id, after, until=""):
    """Check the next batch of members after `after` (up to `until`); queue the batch
    after it, or close the lane."""
    conn = get_redis()
    app = App.get_or_none(App.id == app_id)
    if app is None or app.guild_id is None or app.status != "connected":
        conn.hset(_key(app_id), "finished_at", time.time())
        return 0
    batch = members(app, after, limit=BATCH, until=until or None)
    held = repairs.held_roles_of(app.guild_id, batch) if batch else {}
    repaired, checked = 0, []
    for user_id in batch:
        # After the first member, an expiry or a purchase waiting (before or during the
        # pacing wait) ends the batch: the worker takes it, the rest is queued again.
        yielding = bool(checked)
        if (yielding and jobs.urgent_work_waiting()) or not _pace(conn, yield_to_urgent=yielding):
            break
        repaired += len(repairs.check_member(app.guild_id, user_id, "checked",
                                             held=held.get(user_id, [])))  # fmt: skip
        checked.append(user_id)
    conn.hincrby(_key(app_id), "done", len(checked))
    conn.hincrby(_key(app_id), "repaired", repaired)
    if len(checked) < len(batch):
        jobs.enqueue_reconcile_batch(app_id, checked[-1], until)
    elif len(batch) < BATCH or (until and batch[-1] >= until):
        if conn.hincrby(_key(app_id), "lanes", -1) <= 0:
            conn.hset(_key(app_id), "finished_at", time.time())
    else:
        pause = float(conn.hget(_key(app_id), "pause") or 0)
        jobs.enqueue_reconcile_batch(app_id, batch[-1], until, delay=pause)
    return len(checked)


def _pace(conn, yield_to_urgent=False):
    """Wait until this second has room in the reconciliation's share of the global rate
    (one counter per second in Redis, shared by every worker). With `yield_to_urgent`, give
    up (False) as soon as an expiry or a purchase waits, rather than sleep through it."""
    allowed = max(1, int(settings().discord_global_limit * SHARE))
    while True:
        now = time.time()
        key = f"rolegate:reconcile:second:{int(now)}"
        pipe = conn.pipeline()
        pipe.incr(key)
        pipe.expire(key, 5)
        if pipe.execute()[0] <= allowed:
            return True
        while time.time() < int(now) + 1:
            if yield_to_urgent and jobs.urgent_work_waiting():
                return False
            time.sleep(min(0.05, max(0.001, int(now) + 1 - time.time())))


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
