"""Access ends on time with a real rq worker and a real rq-scheduler process (SPEC §4.2)."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN, BOB
from webapp.db import db
from webapp.models import Seller

pytestmark = pytest.mark.slow


def test_an_order_ending_5_s_after_payment_loses_its_role_on_time_and_gets_alumni(world, processes):
    world.automation("purchase", "assign_role", role="Pro")
    world.automation("expiry", "revoke_role", role="Pro")
    world.automation("expiry", "assign_role", role="Alumni")
    with db.connection_context():
        Seller.update(subscription_grace_days=0).execute()
    processes.worker()
    processes.scheduler(interval="1")

    # Bob's subscription renews before its end; Ann's does not.
    world.checkout.paid("ord_bob", email="bob@example.com", subscription_id="sub_bob",
                        period_end=(datetime.now(UTC) + timedelta(seconds=30)).isoformat())  # fmt: skip
    world.claim("ord_bob", BOB)
    paid = datetime.now(UTC)
    ends = paid + timedelta(seconds=5)
    world.checkout.paid("ord_ann", email="ann@example.com", subscription_id="sub_ann",
                        paid_at=paid.isoformat(), period_end=ends.isoformat())  # fmt: skip
    world.claim("ord_ann", ANN)
    wait_until(lambda: world.member_roles(ANN) == ["Pro"] and world.member_roles(BOB) == ["Pro"],
               timeout=15, message="both buyers to get Pro")  # fmt: skip
    world.checkout.renewed("sub_bob", datetime.now(UTC) + timedelta(days=30))

    wait_until(lambda: world.member_roles(ANN) == ["Alumni"], timeout=25, interval=0.2,
               message="Ann's expiry")  # fmt: skip
    lateness = (datetime.now(UTC) - ends).total_seconds()
    assert lateness <= 10, f"the expiry ran {lateness:.1f} s after the end of access"
    assert world.order("ord_ann").status == "expired"
    time.sleep(1)
    assert world.member_roles(BOB) == ["Pro"]
    assert world.order("ord_bob").status == "active"
