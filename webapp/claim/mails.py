"""Claim-link mails, sent from an outbox kept in the order's row (`Order.claim_mail_due_at`).

A paid order of a buyer without Discord linked is written with its mail due; the scheduler
sees due mails on each poll (one indexed query) and queues one sender job; the sender takes
each mail with a lease (the due time moves `LEASE` ahead, conditionally, so two senders
never take the same one), sends it, and clears it. A sender that dies or an SMTP server
that refuses leaves the mail due again when the lease ends: a mail is sent at least once,
and never lost with a Redis job. The webhook request does no Redis round trip for it.
"""

import logging
import smtplib
from datetime import timedelta

from webapp import jobs, mail
from webapp.claim.links import claim_url
from webapp.db import utcnow
from webapp.models import Order
from webapp.services import settings

log = logging.getLogger("rolegate.mail")

LEASE = timedelta(minutes=10)  # also the wait before a refused mail is tried again
BATCH = 100


def any_due(now=None):
    """True when a claim mail is due."""
    return (
        Order.select(Order.id).where(Order.claim_mail_due_at <= (now or utcnow())).limit(1).exists()
    )


def queue_sender_if_due():
    """Queue the sender job when a mail is due (the scheduler, on every poll); True if so."""
    return any_due() and jobs.enqueue_claim_mails()


def send_due(limit=BATCH):
    """Send the claim mails due now (up to `limit`); how many were sent or logged."""
    now = utcnow()
    due = list(
        Order.select(Order.id, Order.claim_mail_due_at)
        .where(Order.claim_mail_due_at <= now)
        .order_by(Order.claim_mail_due_at)
        .limit(limit)
        .tuples()
    )
    done = 0
    for order_id, due_at in due:
        lease = now + LEASE
        taken = (
            Order.update(claim_mail_due_at=lease)
            .where((Order.id == order_id) & (Order.claim_mail_due_at == due_at))
            .execute()
        )
        if not taken:
            continue  # another sender has it
        outcome = _send(order_id)
        if outcome == "refused":
            continue  # due again when the lease ends
        Order.update(claim_mail_due_at=None).where(
            (Order.id == order_id) & (Order.claim_mail_due_at == lease)
        ).execute()
        done += outcome == "sent"
    return done


def _send(order_id):
    """Mail (or log) one order's claim link: "sent", "skipped" (no longer wanted) or
    "refused" (the SMTP server or the network failed)."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.customer_id is None or order.status in ("refunded", "disputed"):
        return "skipped"
    s = settings()
    try:
        mail.send(mail.claim_message(order, claim_url(order), s.mail_from), s.smtp_url)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("claim mail of order %s refused (%s); tried again in %s", order_id, exc,
                    LEASE, extra={"order_id": order_id})  # fmt: skip
        return "refused"
    return "sent"
