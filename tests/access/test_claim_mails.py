"""Claim-link mails from the order's own row (`claim.mails`): due with the paid order, sent
once through a real SMTP server (aiosmtpd), kept when the server refuses or Redis loses the
job, never taken by two senders, not sent for a refunded order or a linked buyer."""

import threading
from datetime import timedelta

from tests.fixtures.world import ANN, drain
from webapp.claim import mails
from webapp.db import db, utcnow
from webapp.models import Order
from webapp.services import get_redis


def due_at(external_id):
    with db.connection_context():
        return Order.get(Order.external_id == external_id).claim_mail_due_at


def claim_mails(inbox, token):
    return [m for m in inbox.messages if f"/claim/{token}" in m]


def test_a_paid_order_is_mailed_its_claim_link_once(inbox, world):
    world.checkout.paid("ord_1", email="buyer@example.com")
    assert due_at("ord_1") is not None  # written with the order, before any job ran
    drain()
    token = world.order("ord_1").claim_token
    assert len(claim_mails(inbox, token)) == 1 and "To: buyer@example.com" in inbox.messages[0]
    assert due_at("ord_1") is None
    world.checkout.paid("ord_1", email="buyer@example.com")  # told twice
    drain()
    assert len(claim_mails(inbox, token)) == 1


def test_a_refused_mail_stays_due_and_goes_out_after_the_lease(inbox, world):
    world.checkout.paid("ord_1")
    inbox.refuse = True
    drain()
    assert inbox.messages == [] and due_at("ord_1") > utcnow() + timedelta(minutes=9)
    inbox.refuse = False
    drain()
    assert inbox.messages == []  # still leased: no retry storm
    with db.connection_context():
        Order.update(claim_mail_due_at=utcnow()).execute()  # the lease has run out
    drain()
    assert len(claim_mails(inbox, world.order("ord_1").claim_token)) == 1


def test_a_flushed_redis_loses_no_mail(inbox, world):
    world.checkout.paid("ord_1")
    with db.connection_context():
        assert mails.queue_sender_if_due() is True
        assert mails.queue_sender_if_due() is False  # queued once, not twice
    get_redis().flushall()
    drain()  # the scheduler's next look queues the sender again
    assert len(claim_mails(inbox, world.order("ord_1").claim_token)) == 1


def test_two_senders_at_once_send_each_mail_once(inbox, world):
    for n in range(6):
        world.checkout.paid(f"ord_{n}", email=f"buyer{n}@example.com")
    results = []

    def sender():
        with db.connection_context():
            results.append(mails.send_due())

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 6 and len(inbox.messages) == 6


def test_no_mail_for_a_refunded_order_or_a_buyer_already_linked(inbox, world):
    world.checkout.paid("ord_1", email="ann@example.com")
    world.checkout.refunded("ord_1")
    drain()
    assert inbox.messages == [] and due_at("ord_1") is None
    world.checkout.paid("ord_2", email="bob@example.com")
    drain()
    world.claim("ord_2", ANN)
    world.checkout.paid("ord_3", email="bob@example.com")  # Bob's Discord is linked now
    assert due_at("ord_3") is None
    drain()
    assert len(inbox.messages) == 1


def test_without_smtp_the_link_is_logged(world, caplog):
    world.checkout.paid("ord_1", email="buyer@example.com")
    with caplog.at_level("INFO", logger="rolegate.mail"):
        drain()
    order = world.order("ord_1")
    assert order.claim_token in caplog.text and "buyer@example.com" in caplog.text
    assert due_at("ord_1") is None
