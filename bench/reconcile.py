"""Reconciliation of 10,000 live grants: the Discord rate it reaches against the permitted
one (its share, 80 %, of the bot's global 50 requests/s, which binds: the Get Guild Member
bucket is opened to 200/s), its 429s, and webhook → role for purchases made meanwhile
(SPEC §10)."""

import time

from bench.harness import percentile
from bench.setup import ANN, PRO, connected_seller, linked_buyer_with_pro, pay_for_ann
from sandbox import seed

ROUTE = "GET /guilds/{guild_id}/members/{user_id}"
LIMIT = 200  # the sandbox's bucket for Get Guild Member, per second
GLOBAL = 50  # Rolegate's own global limit (DISCORD_GLOBAL_LIMIT, Discord's 50/s): it binds
FIRST = 220000000000000000


def _live_grants(seller, app, n):
    from webapp.db import db, utcnow
    from webapp.models import Customer, Grant, Order, Product

    now = utcnow()
    with db.connection_context(), db.atomic():
        product = Product.create(seller=seller.id, external_id="course", name="Course")
        for start in range(0, n, 500):
            users = [str(FIRST + i) for i in range(start, min(n, start + 500))]
            Customer.insert_many([{"seller": seller.id, "email": f"{u}@example.com",
                                   "discord_user_id": u, "linked_at": now} for u in users]).execute()  # fmt: skip
            ids = {c.discord_user_id: c.id for c in Customer.select().where(
                Customer.discord_user_id.in_(users))}  # fmt: skip
            Order.insert_many([{"seller": seller.id, "external_id": f"r{u}", "customer": ids[u],
                                "product": product.id, "paid_at": now, "status": "active"}
                               for u in users]).execute()  # fmt: skip
            orders = {o.external_id: o.id for o in Order.select().where(
                Order.external_id.in_([f"r{u}" for u in users]))}  # fmt: skip
            Grant.insert_many([{"order": orders[f"r{u}"], "customer": ids[u], "app": app.id,
                                "guild_id": seed.GUILD_ID, "kind": "role", "role_id": PRO,
                                "discord_user_id": u, "state": "active", "via": "purchase",
                                "granted_at": now} for u in users]).execute()  # fmt: skip


def run(stack, n=10_000, purchases=20):
    """Rate / permitted, 429 share, and purchases' webhook → role while it runs."""
    from webapp.access import reconcile
    from webapp.db import db
    from webapp.models import App

    stack.flask_app()
    seller, app = connected_seller(stack)
    stack.sandbox.limits(routes={ROUTE: {"limit": LIMIT, "per": 1.0}}, global_per_second=400)
    stack.sandbox.add_members(seed.GUILD_ID, FIRST, n, roles=[PRO])
    _live_grants(seller, app, n)
    secret = linked_buyer_with_pro(stack, seller, app)
    url = stack.processes.web(workers=2)
    stack.processes.worker()
    stack.processes.worker()
    time.sleep(2)
    before = stack.sandbox.stats()
    started = time.perf_counter()
    with db.connection_context():
        reconcile.start(App.get_by_id(app.id))
    latencies = []
    done = None
    while time.perf_counter() - started < 600:
        if len(latencies) < purchases:
            latencies.append(_purchase(stack, url, seller, secret, len(latencies)))
        with db.connection_context():
            done = reconcile.progress(app.id)
        if not done["running"]:
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    after = stack.sandbox.stats()
    gets = after["by_route"].get(ROUTE, 0) - before["by_route"].get(ROUTE, 0)
    limited = after["rate_limited"] - before["rate_limited"]
    rate = done["done"] / elapsed
    permitted = min(LIMIT, GLOBAL * reconcile.SHARE)  # its share of the global rate
    return {"checked": done["done"], "seconds": elapsed, "rate": rate, "permitted": permitted,
            "ratio": rate / permitted, "share_429": limited / max(1, gets),
            "purchase_p50": percentile(latencies, 50), "purchase_p95": percentile(latencies, 95),
            "purchases": len(latencies)}  # fmt: skip


def _purchase(stack, url, seller, secret, i):
    """One webhook for Ann (a new product each time); seconds until she has Pro."""
    stack.sandbox.remove_role_by_hand(seed.GUILD_ID, ANN, PRO)
    started = pay_for_ann(url, seller, secret, f"during_{i}", f"p{i}")
    while time.perf_counter() - started < 30:
        if PRO in (stack.sandbox.roles_of(seed.GUILD_ID, ANN) or []):
            break
        time.sleep(0.01)
    return time.perf_counter() - started


if __name__ == "__main__":
    from bench.harness import main

    main(run)
