"""Faults lose nothing: a flushed Redis, a killed worker, racing sweepers (SPEC §9)."""

import signal
import threading
from datetime import timedelta

import pytest

from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN, BOB, CLEO, drain
from webapp import jobs
from webapp.access import sweeper
from webapp.db import db, utcnow
from webapp.models import Action, Order

pytestmark = pytest.mark.slow
BUYERS = {"ord_a": ANN, "ord_b": BOB, "ord_c": CLEO}


def three_buyers_with_pro(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.automation("expiry", "revoke_role", role="Pro")
    for order_id, user in BUYERS.items():
        world.checkout.paid(order_id, email=f"{order_id}@example.com", product_id="course",
                            subscription_id=f"sub_{order_id}",
                            period_end=(utcnow() + timedelta(days=10)).isoformat())  # fmt: skip
        world.claim(order_id, user)
    drain()
    assert all(world.member_roles(u) == ["Pro"] for u in BUYERS.values())


def end_in_the_past(world, *order_ids):
    with db.connection_context():
        Order.update(access_ends_at=utcnow() - timedelta(seconds=5)).where(
            Order.external_id.in_(order_ids)
        ).execute()


def test_after_flushall_one_sweep_restores_every_expiry_and_due_ones_happen(world, redis_conn):
    three_buyers_with_pro(world)
    end_in_the_past(world, "ord_a", "ord_b")
    redis_conn.flushall()
    assert jobs.expiry_scheduled_at(world.order("ord_c").id) is None
    with db.connection_context():
        report = sweeper.sweep()
    assert report["expired"] == 2 and report["rescheduled"] == 1
    assert jobs.expiry_scheduled_at(world.order("ord_c").id) is not None
    drain()
    assert world.member_roles(ANN) == [] and world.member_roles(BOB) == []
    assert world.member_roles(CLEO) == ["Pro"]


def test_actions_lost_with_redis_are_queued_again_by_the_sweeper(world, redis_conn):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_a")
    world.claim("ord_a", ANN)
    redis_conn.flushall()  # the queued job is gone before any worker saw it
    drain()
    assert world.member_roles(ANN) is None
    with db.connection_context():
        # The sweeper waits a little before calling a queued action lost.
        assert sweeper.requeue_lost_actions(utcnow() + sweeper.QUEUED_GRACE * 2) == 1
    drain()
    assert world.member_roles(ANN) == ["Pro"]


def test_a_worker_killed_mid_expiry_leaves_no_access_after_the_sweep(world, sandbox, processes):
    three_buyers_with_pro(world)
    # The revoke hangs in Discord for 3 s; the worker dies during it.
    sandbox.fault(method="DELETE", path=r"/members/\d+/roles/", delay=3, status=503, count=1)
    end_in_the_past(world, "ord_a")
    victim = processes.worker()
    with db.connection_context():
        sweeper.run_due_expiries(utcnow())

    def running():
        with db.connection_context():
            return (
                Action.select()
                .where((Action.trigger == "expiry") & (Action.status == "running"))
                .exists()
            )

    wait_until(running, timeout=15, message="the expiry action to start")
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert world.member_roles(ANN) == ["Pro"]
    processes.worker()
    processes.scheduler()
    with db.connection_context():
        # Later (past the job timeout) the sweeper finds the action a dead worker left.
        later = utcnow() + timedelta(seconds=120)
        assert sweeper.requeue_lost_actions(later) >= 1
    wait_until(lambda: world.member_roles(ANN) == [], timeout=20, message="the role to be revoked")

    def statuses():
        with db.connection_context():
            return {a.status for a in Action.select().where(Action.trigger == "expiry")}

    # The worker records the action done just after Discord answers.
    wait_until(lambda: statuses() == {"done"}, timeout=10, message="every expiry action done")


def test_two_sweepers_at_once_make_no_duplicate_discord_call(world, sandbox):
    three_buyers_with_pro(world)
    end_in_the_past(world, *BUYERS)
    before = dict(sandbox.stats()["changes"])
    errors = []

    def sweep():
        try:
            with db.connection_context():
                sweeper.sweep()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    drain()
    drain()
    assert all(world.member_roles(u) == [] for u in BUYERS.values())
    after = sandbox.stats()["changes"]
    revokes = {
        k: v - before.get(k, 0)
        for k, v in after.items()
        if k.startswith("DELETE") and v != before.get(k, 0)
    }
    assert sorted(revokes.values()) == [1, 1, 1], revokes
