"""Job bodies: mail a buyer their claim link, or that their access moved; mail a seller
their alerts."""

from webapp import alerts, jobs
from webapp.access import switching
from webapp.claim import mails
from webapp.messages import outbox as buyer_messages
from workers.jobs import body


def _batch_after_batch(outbox):
    """Send an outbox's due items while full batches come and more is due; how many went."""
    sent = 0
    while True:
        done = outbox.send_due()
        sent += done
        if done < outbox.BATCH or not outbox.any_due():
            return sent


@body(jobs.SEND_CLAIM_MAILS)
def send_claim_mails():
    """Mail the claim links that are due (or log them in development), batch after batch."""
    return _batch_after_batch(mails)


@body(jobs.SEND_SWITCH_NOTICE)
def send_switch_notice(switch_id, old_name):
    """Tell the buyer their access moved to another Discord account."""
    return switching.notify(switch_id, old_name)


@body(jobs.SEND_ALERT_MAILS)
def send_alert_mails():
    """Mail each seller with due alerts one digest."""
    return alerts.mail_due()


@body(jobs.SEND_BUYER_MESSAGES)
def send_buyer_messages():
    """Send the reminders, welcomes and payment-failed messages that are due."""
    return _batch_after_batch(buyer_messages)
