"""The removal brake on ordinary days and on a mass refund (SPEC §11).

A 5,000-member app; its removals go through the brake's real admission (the Redis script,
the live-member count from the database) on a simulated clock:
- an ordinary day: 1,000 expiries over 24 hours, half spread evenly, half in an evening
  peak (purchases cluster by hour, so do their ends);
- a launch cohort: 1,000 expiries within one hour (everyone bought on launch day);
- a mass refund: 1,000 refunds within five minutes — what the brake is for.
"""

import random
import time
from dataclasses import dataclass

from bench.setup import PRO, connected_seller

MEMBERS = 5000


@dataclass
class _Removal:
    id: int
    kind: str = "revoke_role"
    trigger: str = "expiry"
    brake_released: bool = False


def _members(seller, app):
    from webapp.db import db, utcnow
    from webapp.models import Customer, Grant, Order, Product

    now = utcnow()
    with db.connection_context(), db.atomic():
        product = Product.create(seller=seller.id, external_id="course", name="Course")
        Customer.insert_many([{"seller": seller.id, "email": f"m{i}@example.com",
                               "discord_user_id": str(400000000000000000 + i)}
                              for i in range(MEMBERS)]).execute()  # fmt: skip
        customers = {c.email: c.id for c in Customer.select().where(Customer.seller == seller.id)}
        Order.insert_many([{"seller": seller.id, "external_id": f"o{i}", "product": product.id,
                            "customer": customers[f"m{i}@example.com"], "paid_at": now,
                            "status": "active"} for i in range(MEMBERS)]).execute()  # fmt: skip
        orders = {o.external_id: o.id for o in Order.select().where(Order.seller == seller.id)}
        Grant.insert_many([{"order": orders[f"o{i}"], "customer": customers[f"m{i}@example.com"],
                            "app": app.id, "guild_id": app.guild_id, "kind": "role",
                            "role_id": PRO, "discord_user_id": str(400000000000000000 + i),
                            "state": "active", "granted_at": now} for i in range(MEMBERS)]).execute()  # fmt: skip


def _replay(app, moments, first_id):
    """Offer one removal at each moment (sorted); (admitted, held, busiest 10 minutes)."""
    from webapp.access import brake
    from webapp.db import db
    from webapp.services import get_redis, settings

    get_redis().delete(brake.KEY.format(app=app.id), brake.MEMBERS_KEY.format(app=app.id))
    window = settings().brake_window
    admitted = held = busiest = 0
    start = 0
    with db.connection_context():
        for n, moment in enumerate(moments):
            while moments[start] < moment - window:
                start += 1
            busiest = max(busiest, n - start + 1)
            if brake.admits(_Removal(first_id + n), app, now=moment):
                admitted += 1
            else:
                held += 1
    return admitted, held, busiest


def run(stack):
    """{scenario: (admitted, held, busiest 10 minutes)} and the limit for this app."""
    from webapp.access import brake
    from webapp.db import db
    from webapp.services import settings

    stack.flask_app()
    with stack.app.app_context():
        seller, app = connected_seller(stack)
        _members(seller, app)
        rng = random.Random(12)
        day = 86_400.0
        t0 = time.time() - 2 * day
        ordinary = sorted(
            [t0 + rng.uniform(0, day) for _ in range(500)]
            + [t0 + min(max(rng.gauss(20 * 3600, 1800), 0), day) for _ in range(500)]
        )
        cohort = sorted(t0 + day + rng.uniform(0, 3600) for _ in range(1000))
        refund = sorted(t0 + 1.5 * day + rng.uniform(0, 300) for _ in range(1000))
        with db.connection_context():
            count, share = settings().brake
            limit = max(count, round(share * brake.live_members(app)))
        return {
            "limit": limit,
            "ordinary": _replay(app, ordinary, 1),
            "cohort": _replay(app, cohort, 10_001),
            "refund": _replay(app, refund, 20_001),
        }


if __name__ == "__main__":
    from bench.harness import main

    main(run)
