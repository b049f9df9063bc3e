"""Messages to buyers with real processes (rq-scheduler plans and queues, an rq worker
sends through the sandbox): a reminder arrives as a DM at its time, not before, and a renewal
moves it; a welcome DM on claim (SPEC §12)."""

import time
from datetime import timedelta

import pytest

from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN
from webapp.db import db, utcnow
from webapp.models import BuyerMessage, Order, Product

pytestmark = pytest.mark.slow


@pytest.fixture
def plans_every_second(app_config):
    app_config["REMINDER_PLAN_EVERY"] = "1"


@pytest.fixture
def shop(plans_every_second, world, processes):
    world.automation("purchase", "assign_role", role="Pro")
    with db.connection_context():
        Product.create(seller=world.seller.id, external_id="course-pro", name="Course Pro",
                       reminder_days=1, welcome_text="Welcome to {server}, {name}!")  # fmt: skip
    processes.worker()
    processes.scheduler()
    world.checkout.paid("ord_1", email="ann@example.com", name="Ann")
    world.claim("ord_1", ANN)
    wait_until(lambda: world.member_roles(ANN) == ["Pro"], timeout=15, message="Ann to get Pro")
    return world


def dms(world):
    return [m["content"] for m in world.sandbox.messages(ANN)]


def ends_in(delta):
    with db.connection_context():
        Order.update(access_ends_at=utcnow() + delta, end_reason="time_limit").execute()


def test_a_welcome_dm_on_claim_and_a_reminder_at_its_time(shop):
    world = shop
    wait_until(lambda: dms(world) == ["Welcome to Sandbox Server, Ann!"], timeout=10,
               message="the welcome DM")  # fmt: skip
    ends_in(timedelta(days=1, seconds=5))  # the reminder is due in five seconds
    wait_until(lambda: BuyerMessage.select().where(BuyerMessage.kind == "reminder").exists(),
               timeout=5, message="the reminder to be planned")  # fmt: skip
    assert len(dms(world)) == 1  # not before its time
    wait_until(lambda: len(dms(world)) == 2, timeout=15, message="the reminder DM")
    assert dms(world)[1].startswith("Hi Ann! Your access to Course Pro on Sandbox Server ends on")


def test_a_renewal_moves_the_reminder(shop):
    world = shop
    ends_in(timedelta(days=1, seconds=4))
    wait_until(lambda: BuyerMessage.select().where(BuyerMessage.kind == "reminder").exists(),
               timeout=5, message="the reminder to be planned")  # fmt: skip
    ends_in(timedelta(days=31))  # renewed before it went
    wait_until(lambda: BuyerMessage.select().where(BuyerMessage.kind == "reminder").count() == 2
               and BuyerMessage.select().where(BuyerMessage.state == "skipped").exists(),
               timeout=15, message="the old reminder skipped and a new one planned")  # fmt: skip
    with db.connection_context():
        old, new = (
            BuyerMessage.select().where(BuyerMessage.kind == "reminder").order_by(BuyerMessage.id)
        )
    assert "renewed" in old.result and new.state == "due"
    assert new.due_at > utcnow() + timedelta(days=29)
    assert not any("ends on" in m for m in dms(world))


def test_closed_dms_fall_back_to_mail(inbox, plans_every_second, world, processes):
    world.automation("purchase", "assign_role", role="Pro")
    with db.connection_context():
        Product.create(seller=world.seller.id, external_id="course-pro", name="Course Pro",
                       reminder_days=1)  # fmt: skip
    world.sandbox.close_dms(ANN)
    processes.worker()
    processes.scheduler()
    world.checkout.paid("ord_1", email="ann@example.com", name="Ann")
    world.claim("ord_1", ANN)
    ends_in(timedelta(days=1, seconds=2))
    wait_until(lambda: any("ends soon" in m for m in inbox.messages), timeout=20,
               message="the reminder by mail")  # fmt: skip
    with db.connection_context():
        (reminder,) = BuyerMessage.select().where(BuyerMessage.kind == "reminder")
    assert reminder.channel == "mail" and "DMs closed (Discord 50007)" in reminder.result
    assert dms(world) == []


def test_a_failed_stripe_payment_is_told_once_across_replays_and_sweeps(world, processes):
    from tests.access.test_buyer_messages import stripe_subscriber

    world.automation("purchase", "assign_role", role="Pro")
    processes.worker()
    processes.scheduler()
    stripe, _, invoice = stripe_subscriber(world)
    for _ in range(3):  # Stripe retries
        assert stripe.send("invoice.payment_failed", invoice).status_code == 200
    from webapp.access import sweeper

    with db.connection_context():
        sweeper.sweep()
    wait_until(lambda: any("did not go through" in m for m in dms(world)), timeout=15,
               message="the payment-failed DM")  # fmt: skip
    time.sleep(2)
    assert sum("did not go through" in m for m in dms(world)) == 1
