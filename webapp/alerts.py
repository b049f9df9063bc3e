"""Seller alerts: what broke and needs the seller, said on every dashboard page (a banner)
and by mail (SPEC §10, §12).

A part of the domain that can break (an app and its automations) says which problems it has
*now*, as a whole (`sync(seller, scope, problems)`): a new problem is raised, a gone one is
resolved, an unchanged one stays as it is — so telling twice, or after every event, never
raises twice. A raised alert is due to be mailed, but never sooner than an hour after the
seller's last alert mail: what is raised meanwhile goes in one digest. A problem fixed
before its mail went is not mailed. The mail is sent from the database like the claim mails
(the scheduler queues one sender when a mail is due; the sender leases each seller's alerts),
so a lost Redis job never loses it; without SMTP_URL it goes to the log.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

import peewee

from webapp import jobs, mail
from webapp.db import utcnow, write_transaction
from webapp.models import Alert, Seller
from webapp.services import settings

log = logging.getLogger("rolegate.alerts")
MAIL_GAP = timedelta(hours=1)  # at most one alert mail an hour per seller
LEASE = timedelta(minutes=10)  # also the wait before a refused mail is tried again


@dataclass(frozen=True)
class Problem:
    """One thing the seller must fix: a key stable across checks, a sentence, a link."""

    key: str
    message: str
    link: str = ""


def sync(seller_id, scope, problems):
    """The problems of `scope` are now exactly `problems`: raise the new, resolve the gone.
    Returns the keys newly raised."""
    now = utcnow()
    wanted = {p.key: p for p in problems}
    raised = []
    with write_transaction():
        current = {
            a.key: a
            for a in Alert.select().where((Alert.seller == seller_id) & (Alert.scope == scope))
        }
        gone = [a.id for k, a in current.items() if k not in wanted and a.resolved_at is None]
        if gone:
            Alert.update(resolved_at=now, mail_due_at=None).where(Alert.id.in_(gone)).execute()
        due = None
        for key, problem in wanted.items():
            alert = current.get(key)
            if alert is not None and alert.resolved_at is None:
                if (alert.message, alert.link) != (problem.message, problem.link):
                    Alert.update(message=problem.message, link=problem.link).where(
                        Alert.id == alert.id
                    ).execute()
                continue
            due = due or _next_mail_at(seller_id, now)
            fields = {"message": problem.message, "link": problem.link, "raised_at": now,
                      "resolved_at": None, "mail_due_at": due, "mailed_at": None}  # fmt: skip
            if alert is not None:
                Alert.update(**fields).where(Alert.id == alert.id).execute()
            else:
                Alert.insert(seller=seller_id, scope=scope, key=key, **fields).on_conflict(
                    conflict_target=[Alert.seller, Alert.key], update=fields
                ).execute()
            raised.append(key)
    if raised:
        log.info("seller %s: alert(s) raised: %s", seller_id, ", ".join(raised))
    return raised


def review_failures(seller_id):
    """Actions that failed for good: one alert with their count, gone once none is left."""
    from webapp.models import Action

    count = (
        Action.select().where((Action.seller == seller_id) & (Action.status == "failed")).count()
    )
    problems = [Problem("failed", f"{count} Discord action(s) failed for good. Open each order "
                        "to see why, fix it, then Retry.", "/orders/?status=failed")] if count else []  # fmt: skip
    return sync(seller_id, "failed", problems)


def review_checkout(checkout):
    """Events of a checkout connection that need attention: one alert while any is left."""
    problems = [Problem(f"checkout{checkout.id}", f"{checkout.waiting} event(s) from "
                        f"“{checkout.name}” need attention: Rolegate could not place them.",
                        f"/settings/checkouts/{checkout.id}")] if checkout.waiting else []  # fmt: skip
    return sync(checkout.seller_id, f"checkout{checkout.id}", problems)


def recent(seller_id, limit=20):
    """The seller's alerts, unresolved first, then the most recently resolved (the bell)."""
    return list(
        Alert.select()
        .where(Alert.seller == seller_id)
        .order_by(
            Alert.resolved_at.is_null(False), Alert.resolved_at.desc(), Alert.raised_at.desc()
        )
        .limit(limit)
    )


def active(seller_id):
    """The seller's unresolved alerts, oldest first (the banner)."""
    return list(
        Alert.select()
        .where((Alert.seller == seller_id) & Alert.resolved_at.is_null())
        .order_by(Alert.raised_at, Alert.id)
    )


def _next_mail_at(seller_id, now):
    last = Alert.select(peewee.fn.MAX(Alert.mailed_at)).where(Alert.seller == seller_id).scalar()
    return max(now, last + MAIL_GAP) if last else now


# The digest mail.


def any_due(now=None):
    """True when an alert mail is due."""
    return Alert.select(Alert.id).where(Alert.mail_due_at <= (now or utcnow())).limit(1).exists()


def queue_mailer_if_due():
    """Queue the alert mailer when a mail is due (the scheduler, on every poll); True if so."""
    return any_due() and jobs.enqueue_alert_mails()


def mail_due():
    """Send each seller with due alerts one digest of all their unmailed alerts; how many
    mails were sent (or logged)."""
    now = utcnow()
    sellers = [
        seller_id
        for (seller_id,) in Alert.select(Alert.seller)
        .where(Alert.mail_due_at <= now)
        .distinct()
        .tuples()
    ]
    return sum(_mail_seller(seller_id, now) for seller_id in sellers)


def _mail_seller(seller_id, now):
    lease = now + LEASE
    unmailed = (Alert.seller == seller_id) & Alert.resolved_at.is_null() & Alert.mailed_at.is_null()
    with write_transaction():
        taken = (
            Alert.update(mail_due_at=lease)
            .where((Alert.seller == seller_id) & (Alert.mail_due_at <= now))
            .execute()
        )
        alerts = list(Alert.select().where(unmailed).order_by(Alert.raised_at)) if taken else []
    if not alerts:
        return 0  # another mailer has them, or they were fixed meanwhile
    seller = Seller.get_by_id(seller_id)
    s = settings()
    try:
        mail.send(mail.alerts_message(seller, alerts, s.public_url, s.mail_from), s.smtp_url)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("alert mail to seller %s refused (%s); tried again in %s", seller_id, exc,
                    LEASE)  # fmt: skip
        return 0  # due again when the lease ends
    Alert.update(mailed_at=now, mail_due_at=None).where(
        Alert.id.in_([a.id for a in alerts])
    ).execute()
    # Raised during the lease and not in this mail: an hour from now.
    Alert.update(mail_due_at=now + MAIL_GAP).where(
        unmailed & Alert.mail_due_at.is_null(False)
    ).execute()
    return 1
