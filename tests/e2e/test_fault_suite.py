"""The fault suite with real processes: Redis restarted, Discord down then rate limiting
hard, the SQLite database locked. After each, every order ends in the right Discord state
and no Discord call is made twice."""

import json
import threading
import time
from datetime import UTC, datetime

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from devtools import embedded_redis
from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN, BOB, CLEO, GUILD, role_id
from webapp import crypto
from webapp.access import sweeper
from webapp.db import db
from webapp.models import Action

pytestmark = pytest.mark.slow
BUYERS = {"ord_a": ANN, "ord_b": BOB, "ord_c": CLEO}


def link_buyers(world):
    """Each buyer has an earlier order and linked Discord (nothing for them to do later)."""
    for n, user in enumerate(BUYERS.values()):
        world.checkout.paid(f"first_{n}", email=f"{user}@example.com", product_id="intro")
        world.claim(f"first_{n}", user)


def send_orders(url, world):
    with db.connection_context():
        hook = Webhook(crypto.decrypt(world.seller.webhook_secret))
    statuses = []
    for order_id, user in BUYERS.items():
        now = datetime.now(UTC)
        body = json.dumps({"type": "order.paid", "data": {
            "order_id": order_id, "product_id": "course", "customer": {"email": f"{user}@example.com"},
            "paid_at": now.isoformat()}})  # fmt: skip
        headers = {"content-type": "application/json", "webhook-id": f"msg_{order_id}",
                   "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": hook.sign(f"msg_{order_id}", now, body)}  # fmt: skip
        statuses.append(requests.post(f"{url}/hooks/{world.seller.webhook_endpoint_id}", data=body,
                                      headers=headers, timeout=30).status_code)  # fmt: skip
    return statuses


def all_have_pro_once(world, sandbox):
    pro = role_id(sandbox, GUILD, "Pro")
    if not all(world.member_roles(u) == ["Pro"] for u in BUYERS.values()):
        return False
    changes = sandbox.stats()["changes"]
    adds = [v for k, v in changes.items() if k.endswith(pro) and k.startswith("PUT")]
    member_adds = [
        v for k, v in changes.items() if k.startswith("PUT /guilds/{guild_id}/members/{user_id} ")
    ]
    return adds + member_adds and all(v == 1 for v in adds + member_adds)


def test_a_redis_restart_loses_no_order_and_doubles_no_call(
    world, sandbox, processes, tmp_path, app_config
):
    world.automation("purchase", "assign_role", role="Pro", product=None)
    # This test owns its Redis, so it can kill and restart it whatever REDIS_URL says.
    redis_dir = tmp_path / "own-redis"
    server, url_redis = embedded_redis.start(redis_dir)
    processes.env["REDIS_URL"] = url_redis
    try:
        link_buyers_without_roles(world)
        url = processes.web()
        processes.worker()
        processes.scheduler()
        server.kill()  # Redis dies; webhooks still commit to the database
        server.wait()
        assert send_orders(url, world) == [202, 202, 202]
        server, _ = embedded_redis.start(redis_dir)  # back, with its append-only file
        wait_until(lambda: processes.running[-1].poll() is None, message="the scheduler to survive")
        from webapp.services import configure, settings

        configure(type(settings())(**{**settings().__dict__, "redis_url": url_redis}))
        with db.connection_context():
            sweeper.requeue_lost_actions(datetime.now(UTC) + sweeper.QUEUED_GRACE * 2)
        wait_until(
            lambda: all_have_pro_once(world, sandbox),
            timeout=40,
            message="every buyer to get Pro once",
        )
    finally:
        server.kill()


def link_buyers_without_roles(world):
    """Buyers linked through an order of a product with no automation."""
    from webapp.models import Automation

    with db.connection_context():
        saved = list(Automation.select())
        Automation.update(enabled=False).execute()
    link_buyers(world)
    with db.connection_context():
        Automation.update(enabled=True).where(Automation.id.in_([a.id for a in saved])).execute()


def test_discord_down_for_a_while_then_429s_with_long_retry_after(world, sandbox, processes):
    world.automation("purchase", "assign_role", role="Pro")
    link_buyers_without_roles(world)
    processes.env["ACTION_BACKOFF"] = "1,1,2,2,3,3,3,3,3,3"
    url = processes.web()
    processes.worker()
    processes.scheduler()
    sandbox.fault(path="/guilds/", status=500, seconds=4)
    assert send_orders(url, world) == [202, 202, 202]
    time.sleep(4.5)
    sandbox.fault(path="/guilds/", status=429, retry_after=3, count=4)
    wait_until(
        lambda: all_have_pro_once(world, sandbox), timeout=60, message="every buyer to get Pro once"
    )
    with db.connection_context():
        actions = list(Action.select().where(Action.trigger == "purchase"))
    retried = [a for a in actions if a.attempts > 1]
    assert retried, "the outage should have made some action retry"
    assert all(a.status == "done" for a in actions)
    assert sandbox.stats()["by_status"].get("500", 0) >= 1


def test_the_sqlite_database_locked_for_seconds_delays_but_loses_nothing(
    world, sandbox, processes, tmp_path
):
    """Whatever DATABASE_URL says, this one runs on its own SQLite file: locks are SQLite's."""
    import sqlite3

    from webapp import migrate
    from webapp.services import configure, settings

    path = tmp_path / "locked.db"
    url_db = f"sqlite:///{path}"
    configure(type(settings())(**{**settings().__dict__, "database_url": url_db}))
    with db.connection_context():
        migrate.upgrade()
    processes.env["DATABASE_URL"] = url_db
    from tests.fixtures.app import Auth
    from tests.fixtures.world import World

    client = world.app.test_client()
    fresh = World(world.app, client, Auth(client), sandbox)
    fresh.automation("purchase", "assign_role", role="Pro")
    link_buyers_without_roles(fresh)
    url = processes.web()
    processes.worker()
    holder = sqlite3.connect(path, timeout=1, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(3.0, holder.rollback)
    release.start()
    started = time.monotonic()
    assert send_orders(url, fresh) == [202, 202, 202]
    assert time.monotonic() - started >= 2.5  # the first webhook waited for the lock
    release.join()
    holder.close()
    wait_until(
        lambda: all_have_pro_once(fresh, sandbox), timeout=30, message="every buyer to get Pro once"
    )
