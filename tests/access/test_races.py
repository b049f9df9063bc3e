"""Events racing each other on one customer are decided one after the other (SPEC §4 rule 7)."""

import threading
import time
from datetime import UTC, datetime, timedelta

from tests.fixtures.world import ANN, drain
from webapp.access import events, locks
from webapp.db import db, write_transaction
from webapp.models import Order


def test_a_renewal_and_an_expiry_that_race_end_as_the_later_event_says(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.automation("expiry", "revoke_role", role="Pro")
    soon = datetime.now(UTC) + timedelta(seconds=30)
    world.checkout.paid("ord_1", subscription_id="sub_1", period_end=soon.isoformat())
    world.claim("ord_1", ANN)
    drain()
    order = world.order("ord_1")
    with db.connection_context():
        Order.update(access_ends_at=datetime.now(UTC) - timedelta(seconds=1)).where(
            Order.id == order.id
        ).execute()
    started, results = threading.Event(), {}

    def renewal_holding_the_customer():
        # The renewal has read the order and holds its customer while it works.
        with db.connection_context(), write_transaction():
            locks.customer_row(order.customer_id)
            started.set()
            time.sleep(0.5)
            seller = world.seller
            events.subscription_renewed(
                seller, {"subscription_id": "sub_1",
                         "period_end": datetime.now(UTC) + timedelta(days=30)},
            )  # fmt: skip

    def expiry():
        started.wait(5)
        with db.connection_context():
            results["expired"] = events.expire(order.id)

    threads = [
        threading.Thread(target=renewal_holding_the_customer),
        threading.Thread(target=expiry),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    drain()
    # The expiry waited for the renewal's commit and found the order renewed.
    assert results["expired"] is False
    fresh = world.order("ord_1")
    assert fresh.status == "active" and fresh.access_ends_at > datetime.now(UTC)
    assert world.member_roles(ANN) == ["Pro"]
