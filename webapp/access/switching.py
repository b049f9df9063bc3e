"""A claim link is a bearer credential (SPEC §6): switching the linked Discord account needs a
code mailed to the buyer (when SMTP is configured), is mailed to the buyer every time, shows
in the order's timeline, and is limited to a few switches in 30 days."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from webapp import jobs, mail
from webapp.db import utcnow, write_transaction
from webapp.models import AccountSwitch, Customer
from webapp.services import settings

CODE_VALID = timedelta(minutes=10)
CODE_TRIES = 5
WINDOW = timedelta(days=30)


class SwitchRefused(Exception):
    """The switch cannot happen now; the message says why, in the buyer's words."""


def _digest(code):
    return hmac.new(settings().secret_key.encode(), code.encode(), hashlib.sha256).hexdigest()


def switches_left(customer):
    """How many more switches the buyer may make in the current 30 days."""
    used = (
        AccountSwitch.select()
        .where((AccountSwitch.customer == customer.id) & (AccountSwitch.at > utcnow() - WINDOW))
        .count()
    )
    return max(settings().account_switch_limit - used, 0)


def code_required(customer):
    """A linked buyer must type a mailed code first, when Rolegate can send mail."""
    return bool(customer.discord_user_id and settings().smtp_url)


def check_allowed(customer):
    """Raise SwitchRefused when this buyer may not switch now."""
    if customer.discord_user_id and switches_left(customer) <= 0:
        raise SwitchRefused(
            "This access has moved to another Discord account too often in the last 30 days. "
            "Contact the seller to change the account."
        )


def send_code(customer):
    """Mail a fresh six-digit code to the buyer; it replaces any earlier one."""
    code = f"{secrets.randbelow(10**6):06d}"
    Customer.update(
        switch_code_hash=_digest(code), switch_code_expires_at=utcnow() + CODE_VALID,
        switch_code_attempts=0,
    ).where(Customer.id == customer.id).execute()  # fmt: skip
    s = settings()
    mail.send(mail.switch_code_message(customer, code, s.mail_from), s.smtp_url)


def verify_code(customer, code):
    """True when `code` is the one mailed (and still valid); each try counts."""
    with write_transaction():
        fresh = Customer.get_by_id(customer.id)
        if not fresh.switch_code_hash or fresh.switch_code_attempts >= CODE_TRIES:
            raise SwitchRefused("This code no longer works. Ask for a new one.")
        if fresh.switch_code_expires_at is None or fresh.switch_code_expires_at < utcnow():
            raise SwitchRefused("This code has expired. Ask for a new one.")
        Customer.update(switch_code_attempts=Customer.switch_code_attempts + 1).where(
            Customer.id == customer.id
        ).execute()
        ok = hmac.compare_digest(fresh.switch_code_hash, _digest((code or "").strip()))
        if ok:
            Customer.update(switch_code_hash="", switch_code_expires_at=None).where(
                Customer.id == customer.id
            ).execute()
    return ok


def record(customer, order, old_user_id, old_name, new_user_id, new_name):
    """Write the switch down (timeline, limit) and mail the buyer about it."""
    switch = AccountSwitch.create(
        customer=customer.id, order=order.id, from_user_id=old_user_id,
        to_user_id=new_user_id, to_username=new_name,
    )  # fmt: skip
    jobs.enqueue_switch_notice(switch.id, old_name or old_user_id)
    return switch


def notify(switch_id, old_name):
    """The job body's work: mail the buyer that their access moved."""
    switch = AccountSwitch.get_or_none(AccountSwitch.id == switch_id)
    if switch is None:
        return False
    s = settings()
    message = mail.switch_notice_message(
        switch.customer, old_name, switch.to_username or switch.to_user_id, s.mail_from
    )
    return mail.send(message, s.smtp_url)
