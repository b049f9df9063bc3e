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
    processes.scheduler(interval="0.5")

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


def test_an_expiry_due_at_a_fraction_of_a_second_goes_to_its_queue_then_and_not_before(world):
    """rq-scheduler keeps whole seconds; our producer and scheduler keep the microseconds."""
    from rq import Queue

    from webapp import jobs
    from webapp.services import get_redis
    from workers.scheduler import RolegateScheduler

    sched = RolegateScheduler(connection=get_redis(), interval=0.5)
    queue = Queue(jobs.EXPIRE_ORDER.queue, connection=get_redis())
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2, milliseconds=300)
    jobs.schedule_expiry_now(4242, due)
    assert jobs.expiry_scheduled_at(4242) == pytest.approx(due.timestamp(), abs=1e-3)

    def waiting():
        return jobs.expiry_job_id(4242) in queue.job_ids

    while datetime.now(UTC) < due - timedelta(milliseconds=50):
        sched.enqueue_jobs()
        assert not waiting(), "the expiry went to its queue before it was due"
        time.sleep(0.02)
    time.sleep(0.1)
    sched.enqueue_jobs()
    assert waiting(), "the expiry was not queued within 0.1 s of its due time"
    assert datetime.now(UTC) - due < timedelta(seconds=0.9)


def test_the_real_scheduler_and_worker_mail_a_claim_link_within_seconds(inbox, world, processes):
    processes.worker()
    processes.scheduler(interval="0.5")
    world.checkout.paid("ord_mail", email="cleo@example.com")
    token = world.order("ord_mail").claim_token
    wait_until(lambda: any(f"/claim/{token}" in m for m in inbox.messages), timeout=15,
               interval=0.1, message="the claim mail")  # fmt: skip
    wait_until(lambda: world.order("ord_mail").claim_mail_due_at is None, timeout=5,
               message="the mail to be marked sent")  # fmt: skip
    time.sleep(1.5)  # more polls: still one mail
    assert sum(f"/claim/{token}" in m for m in inbox.messages) == 1
