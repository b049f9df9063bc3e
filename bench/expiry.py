"""Expiries: Redis memory per scheduled expiry; lateness of 1,000 due in one minute."""

import time
from datetime import UTC, datetime, timedelta

from bench.harness import percentile
from bench.setup import PRO, connected_seller
from sandbox import seed

ROUTE = "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
LIMIT = 20  # the sandbox's tightened bucket for role removals, per second


def memory_per_expiry(stack, n=10_000):
    """Bytes of Redis memory per scheduled expiry job."""
    import redis

    from webapp import jobs

    conn = redis.Redis.from_url(stack.redis_url)
    conn.flushdb()
    before = conn.info("memory")["used_memory"]
    when = datetime.now(UTC) + timedelta(days=30)
    for order_id in range(1, n + 1):
        jobs.schedule_expiry_now(order_id, when + timedelta(seconds=order_id))
    after = conn.info("memory")["used_memory"]
    conn.flushdb()
    return (after - before) / n


def lateness(stack, n=1000, spread=30.0, lead=20.0):
    """Expiry job start minus due time (p50, p99) and the Discord rate of the revocations."""
    from webapp import jobs
    from webapp.db import db, utcnow
    from webapp.models import Action, Automation, Customer, Grant, Order, Product

    seller, app = connected_seller(stack)
    stack.sandbox.limits(routes={ROUTE: {"limit": LIMIT, "per": 1.0}}, global_per_second=50)
    users = [str(210000000000000000 + i) for i in range(n)]
    for user in users:
        stack.sandbox.user(user, username=f"b{user[-4:]}")
        stack.sandbox.add_member(seed.GUILD_ID, user, roles=[PRO])
    start = utcnow() + timedelta(seconds=lead)
    with db.connection_context(), db.atomic():
        product = Product.create(seller=seller.id, external_id="course", name="Course")
        Automation.create(seller=seller.id, app=app.id, event="expiry", action="revoke_role",
                          role_id=PRO, role_name="Pro")  # fmt: skip
        for i, user in enumerate(users):
            customer = Customer.create(seller=seller.id, email=f"{user}@example.com",
                                       discord_user_id=user, linked_at=utcnow())  # fmt: skip
            ends = start + timedelta(seconds=spread * i / n)
            order = Order.create(seller=seller.id, external_id=f"o{i}", customer=customer, product=product,
                                 paid_at=utcnow(), access_ends_at=ends, end_reason="time_limit")  # fmt: skip
            Grant.create(order=order, customer=customer, app=app, guild_id=seed.GUILD_ID, kind="role",
                         role_id=PRO, discord_user_id=user, state="active", granted_at=utcnow())  # fmt: skip
            jobs.schedule_expiry_now(order.id, ends)
    # 1,000 removals within 30 s is what the removal brake holds (bench/brake.py shows it);
    # here the drain itself is measured, so the brake is off.
    stack.env["BRAKE_THRESHOLD"] = "0"
    stack.processes.worker()
    stack.processes.worker()
    stack.processes.scheduler(interval="0.5")
    samples = []
    deadline = time.time() + lead + spread + 180
    while time.time() < deadline:
        stats = stack.sandbox.stats()
        samples.append((time.time(), stats["changes"]))
        with db.connection_context():
            pending = Action.select().where(Action.status.in_(("queued", "running"))).count()
            waiting = Order.select().where(Order.status == "active").count()
        if waiting == 0 and pending == 0:
            break
        time.sleep(0.5)
    with db.connection_context():
        late = [(o.ended_at - o.access_ends_at).total_seconds() for o in Order.select()]
        done = Action.select().where(Action.status == "done").count()
    revokes = [(t, sum(v for k, v in c.items() if k.startswith(ROUTE))) for t, c in samples]
    busy = [(t, c) for t, c in revokes if 0 < c < n]
    rate = (
        (busy[-1][1] - busy[0][1]) / (busy[-1][0] - busy[0][0]) if len(busy) > 1 else float("nan")
    )
    return {"p50": percentile(late, 50), "p99": percentile(late, 99), "expired": len(late),
            "revoked": done, "discord_rate": rate, "permitted": LIMIT, "ratio": rate / LIMIT}  # fmt: skip


def run(stack):
    """Both expiry figures."""
    stack.flask_app()
    per = memory_per_expiry(stack)
    result = lateness(stack)
    return {"bytes_per_expiry": per, **result}


if __name__ == "__main__":
    from bench.harness import main

    main(run)
