"""Messages to buyers (`messages/outbox.py`), in-process with the sandbox and a real SMTP
server: reminders before access ends (and after a renewal), the mail when DMs are closed,
the welcome DM, the payment-failed message from Stripe, each once; the product's form."""

import email
import email.policy
import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures.app import csrf_from
from tests.fixtures.world import ANN, drain
from webapp.db import db, utcnow
from webapp.models import BuyerMessage, Order, Product


@pytest.fixture
def course(world):
    """Course Pro gives Pro; its reminder goes 2 days before the end, by DM."""
    world.automation("purchase", "assign_role", role="Pro")
    with db.connection_context():
        product = Product.create(seller=world.seller.id, external_id="course-pro",
                                 name="Course Pro", reminder_days=2,
                                 renewal_url="https://shop.example.com/renew")  # fmt: skip
    world.product = product
    return world


def dms(world, user=ANN):
    return [m["content"] for m in world.sandbox.messages(user)]


def mails(inbox, to):
    parsed = [email.message_from_string(m, policy=email.policy.default) for m in inbox.messages]
    return [f"{m['Subject']}\n{m.get_content()}" for m in parsed
            if m["To"] == to and not m["Subject"].startswith("Join the community")]  # fmt: skip


def due_now():
    """Time passes: every message waiting is due."""
    with db.connection_context():
        BuyerMessage.update(due_at=utcnow()).where(BuyerMessage.state == "due").execute()


def timeline(world, order="ord_1"):
    page = world.client.get(f"/orders/{world.order(order).id}").get_data(as_text=True)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def messages(kind=None):
    with db.connection_context():
        query = BuyerMessage.select().order_by(BuyerMessage.id)
        return [m for m in query if kind is None or m.kind == kind]


def pay(world, order="ord_1", ends_in=timedelta(days=30), email_="ann@example.com", user=ANN):
    world.checkout.paid(order, email=email_)
    with db.connection_context():
        Order.update(access_ends_at=utcnow() + ends_in, end_reason="time_limit").where(
            Order.external_id == order).execute()  # fmt: skip
    if user:
        world.claim(order, user)
    drain()


def test_a_reminder_waits_for_its_time_then_goes_once_by_dm(course):
    world = course
    pay(world, ends_in=timedelta(days=5))
    (reminder,) = messages("reminder")
    assert reminder.state == "due" and reminder.due_at > utcnow() + timedelta(days=2, hours=23)
    assert dms(world) == []  # three days early: nothing yet
    due_now()  # three days later
    drain()
    drain()  # and again: still once
    (sent,) = dms(world)
    assert "Your access to Course Pro on Sandbox Server ends on" in sent
    assert "https://shop.example.com/renew" in sent
    (reminder,) = messages("reminder")
    assert (reminder.state, reminder.channel) == ("sent", "dm")
    assert "Reminder before access ends — sent by Discord DM" in timeline(world)


def test_a_renewal_moves_the_reminder_to_the_new_end(course):
    world = course
    pay(world, ends_in=timedelta(days=3))
    with db.connection_context():  # renewed before it went: the end moves 30 days on
        Order.update(access_ends_at=utcnow() + timedelta(days=33)).execute()
    drain()
    old, new = messages("reminder")
    due_now()  # the first reminder's time comes
    drain()
    old, new = messages("reminder")
    assert old.state == "skipped" and "renewed" in old.result
    assert new.state == "sent"  # (made due too by due_now: it is the current end's)
    (sent,) = dms(world)
    assert (utcnow() + timedelta(days=33)).strftime("%Y-%m-%d") in sent


def test_closed_dms_fall_back_to_mail_and_the_timeline_says_so(inbox, course):
    world = course
    world.sandbox.close_dms(ANN)
    pay(world, ends_in=timedelta(days=3))
    due_now()
    drain()
    (reminder,) = messages("reminder")
    assert (reminder.state, reminder.channel) == ("sent", "mail")
    assert "DMs closed (Discord 50007): sent by mail instead." in reminder.result
    (mailed,) = mails(inbox, "ann@example.com")
    assert mailed.startswith("Your access to Course Pro ends soon") and "renew" in mailed
    assert "sent by mail DMs closed (Discord 50007): sent by mail instead." in timeline(world)


def test_access_shorter_than_the_reminder_gets_no_reminder(course):
    pay(course, ends_in=timedelta(hours=12))
    assert messages("reminder") == []


def test_a_welcome_dm_when_the_roles_are_given_once(course):
    world = course
    with db.connection_context():
        Product.update(welcome_text="Welcome {name} to {server}!").execute()
    world.checkout.paid("ord_1", email="ann@example.com", name="@everyone **Ann**")
    world.claim("ord_1", ANN)
    drain()
    world.sandbox.remove_member(world.discord_app.guild_id, ANN)
    world.sandbox.add_member(world.discord_app.guild_id, ANN)
    from webapp.access import repairs

    with db.connection_context():
        repairs.check_member(world.discord_app.guild_id, ANN, "joined")
    drain()  # the rejoin gives the role again: no second welcome
    assert dms(world) == ["Welcome @\u200beveryone \\*\\*Ann\\*\\* to Sandbox Server!"]


def stripe_subscriber(world):
    """Ann subscribed through a Stripe connection and claimed: (the account, her order, the
    invoice whose payment will fail)."""
    from tests.fixtures.stripe_checkout import StripeAccount, stripe_connection

    stripe_account = StripeAccount(world.client, stripe_connection(world.seller))
    stripe_account.session_completed(subscription="sub_1", email="ann@example.com")
    with db.connection_context():
        order = Order.get(Order.subscription_id == "sub_1")
    world.claim(order.external_id, ANN)
    return stripe_account, order, {"id": "in_1", "object": "invoice", "subscription": "sub_1"}


def test_a_failed_stripe_payment_asks_the_buyer_once_to_update_their_card(course):
    world = course
    stripe_account, order, invoice = stripe_subscriber(world)
    assert stripe_account.send("invoice.payment_failed", invoice).status_code == 200
    assert stripe_account.send("invoice.payment_failed", invoice).status_code == 200  # replay
    drain()
    (failed,) = [m for m in dms(world) if "did not go through" in m]
    assert "Update your card" in failed
    assert len(messages("payment_failed")) == 1
    with db.connection_context():
        assert Order.get_by_id(order.id).status == "active"  # access is kept


def test_the_products_form_checks_placeholders_previews_and_sends_a_test(inbox, course):
    world = course
    path = f"/products/{world.product.id}"
    page = html.unescape(world.client.get(path).get_data(as_text=True))
    assert "A buyer reads: Hi Ann! Your access to Course Pro" in page
    token = csrf_from(page)
    bad = world.client.post(f"{path}/messages", data={
        "csrf_token": token, "reminder_text": "Hi {firstname}", "reminder_by": "dm"})  # fmt: skip
    assert bad.status_code == 422
    assert "Unknown placeholder {firstname}: use {name}" in html.unescape(
        bad.get_data(as_text=True)
    )
    odd = world.client.post(f"{path}/messages", data={
        "csrf_token": token, "renewal_url": "javascript:alert(1)", "reminder_by": "dm"})  # fmt: skip
    assert odd.status_code == 422 and "A link starting with https://." in odd.get_data(as_text=True)
    world.client.post(f"{path}/messages", data={
        "csrf_token": token, "reminder_days": "3", "reminder_by": "both",
        "renewal_url": "https://shop.example.com/renew",
        "reminder_text": "{name}, {product} ends {ends_at}: {renew_url}", "do": "test"})  # fmt: skip
    (test,) = mails(inbox, "seller@example.com")
    assert test.startswith("[Test] Your access to Course Pro ends soon")
    assert "Ann, Course Pro ends 2026-12-31 12:00 UTC: https://shop.example.com/renew" in test
    with db.connection_context():
        saved = Product.get_by_id(world.product.id)
    assert (saved.reminder_days, saved.reminder_by) == (3, "both")


def test_reminders_by_both_go_by_dm_and_mail(inbox, course):
    world = course
    with db.connection_context():
        Product.update(reminder_by="both").execute()
    pay(world, ends_in=timedelta(days=3))
    due_now()
    drain()
    assert len(dms(world)) == 1 and len(mails(inbox, "ann@example.com")) == 1
    assert messages("reminder")[0].channel == "dm+mail"


def test_a_reminder_for_an_order_that_ended_is_skipped(course):
    world = course
    pay(world, ends_in=timedelta(days=3))
    with db.connection_context():
        Order.update(status="refunded", ended_at=datetime.now(UTC)).execute()
        BuyerMessage.update(due_at=utcnow()).execute()
    drain()
    (reminder,) = messages("reminder")
    assert reminder.state == "skipped" and dms(world) == []


def test_a_flushed_redis_or_a_second_sender_sends_nothing_twice(course):
    world = course
    pay(world, ends_in=timedelta(days=3))
    due_now()
    from webapp.messages import outbox
    from webapp.services import get_redis

    with db.connection_context():
        assert outbox.queue_sender_if_due() is True
    get_redis().flushall()  # the queued sender is lost with Redis
    drain()  # the scheduler's next look queues it again
    with db.connection_context():
        assert outbox.send_due() == 0  # a second sender finds nothing left
    assert len(dms(world)) == 1


def test_by_both_a_refused_mail_after_the_dm_never_sends_the_dm_twice(inbox, course):
    world = course
    with db.connection_context():
        Product.update(reminder_by="both").execute()
    inbox.refuse = True
    pay(world, ends_in=timedelta(days=3))
    due_now()
    drain()
    due_now()
    drain()
    assert len(dms(world)) == 1
    (reminder,) = messages("reminder")
    assert (reminder.state, reminder.channel) == ("sent", "dm")
    assert reminder.result.startswith("Sent by DM; the mail was refused")
