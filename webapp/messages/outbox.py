"""Messages to buyers (SPEC §12), sent once per order and occasion from an outbox in the
database (`BuyerMessage`).

- A **reminder** N days before access ends (the product's `reminder_days`), by the bot's DM,
  by mail, or both, with the renewal link. The scheduler plans them (`plan_reminders`, once
  a minute): every live order whose end is in reach and has no reminder for *this* end gets
  one, due N days before it. A renewal moves the end: the next plan adds a reminder for the
  new end, and a reminder of an end that is no longer the order's is skipped when its time
  comes ("the access was renewed").
- A **welcome** DM when the roles of a paid order are given (the product's welcome text).
- **Payment failed — update your card**, when a checkout reports a failed payment.

The scheduler's poll queues one sender when a message is due; the sender leases each one
(its due time moves ahead, conditionally), sends it through the shared Discord rate limiter
(Create DM, then the message) or by mail, and records how. A buyer whose DMs are closed
(Discord 50007) gets the mail instead, and the order's timeline says so. A sender that dies
or a refusal leaves the message due again when its lease ends; after a few tries it fails
with a sentence. Nothing is sent twice: the occasion is unique, the lease is conditional.
"""

import logging
import smtplib
from datetime import timedelta

from webapp import jobs, mail
from webapp.claim.links import claim_url
from webapp.db import utcnow, write_transaction
from webapp.discord.errors import DiscordError, PermanentError, RateLimited
from webapp.models import BuyerMessage, Customer, Order, Product
from webapp.services import get_discord, settings

log = logging.getLogger("rolegate.messages")
LEASE = timedelta(minutes=5)
ATTEMPTS = 5
BATCH = 100
REACH = timedelta(days=60)  # the longest reminder ahead
DEFAULTS = {
    "reminder": (
        "Hi {name}! Your access to {product} on {server} ends on {ends_at}. "
        "Renew to keep it: {renew_url}"
    ),
    "payment_failed": (
        "Hi {name}, the last payment for {product} did not go through. Update your card to "
        "keep your access to {server}: {renew_url}"
    ),
    "welcome": "",
}
SUBJECTS = {
    "reminder": "Your access to {product} ends soon",
    "payment_failed": "Payment failed — update your card for {product}",
    "welcome": "Welcome to {product}",
}
PLACEHOLDERS = ("name", "product", "server", "ends_at", "renew_url")


def text_of(product, kind):
    """The product's text for `kind`, or the default."""
    own = {"reminder": product.reminder_text, "welcome": product.welcome_text,
           "payment_failed": product.payment_failed_text}[kind]  # fmt: skip
    return own.strip() or DEFAULTS[kind]


def values(order, server=""):
    """The placeholders' values for one order."""
    customer = order.customer
    ends = order.access_ends_at.strftime("%Y-%m-%d %H:%M UTC") if order.access_ends_at else "—"
    product = order.product
    return {
        "name": customer.name or customer.email.split("@")[0], "product": product.name,
        "server": server or "the community", "ends_at": ends,
        "renew_url": product.renewal_url or claim_url(order),
    }  # fmt: skip


def render(text, found, for_discord=True):
    """`text` with its placeholders filled; the values cannot mention everyone or a role,
    nor bring their own markup (Discord's markdown is escaped, as HTML would be)."""
    safe = {k: (_discord_safe(v) if for_discord else v) for k, v in found.items()}
    out = text
    for key in PLACEHOLDERS:
        out = out.replace("{" + key + "}", safe.get(key, ""))
    return out


def _discord_safe(value):
    value = str(value).replace("@", "@\u200b")
    if value.startswith(("http://", "https://")):
        return value  # a link stays clickable
    for mark in ("\\", "*", "_", "~", "`", "|", ">", "#", "["):
        value = value.replace(mark, "\\" + mark)
    return value


def preview(product, kind, server="Your server"):
    """The text as a buyer would read it, with example values (the page escapes it)."""
    sample = {"name": "Ann", "product": product.name, "server": server,
              "ends_at": "2026-12-31 12:00 UTC", "renew_url": product.renewal_url or
              "https://example.com/renew"}  # fmt: skip
    return render(text_of(product, kind), sample, for_discord=False)


# Planning.


def _plan(order, kind, occasion, due):
    BuyerMessage.insert(order=order.id if hasattr(order, "id") else order, kind=kind,
                        occasion=occasion[:128], due_at=due,
                        created_at=utcnow()).on_conflict_ignore().execute()  # fmt: skip


def plan_reminders(now=None):
    """Plan a reminder for every live order whose end is in reach and not yet reminded of;
    how many were planned."""
    now = now or utcnow()
    rows = list(
        Order.select(Order.id, Order.access_ends_at, Order.paid_at, Product.reminder_days)
        .join(Product)
        .where(
            (Order.status == "active") & Order.access_ends_at.between(now, now + REACH)
            & Product.reminder_days.is_null(False)
            & (Order.reminded_end.is_null() | (Order.reminded_end != Order.access_ends_at))
        )
        .limit(5000)
        .tuples()
    )  # fmt: skip
    planned = 0
    for order_id, ends, paid_at, days in rows:
        due = ends - timedelta(days=days)
        with write_transaction():
            if paid_at is None or due >= paid_at:  # not for access shorter than the lead
                _plan(order_id, "reminder", f"end:{ends.isoformat()}", max(due, now))
                planned += 1
            Order.update(reminded_end=ends).where(Order.id == order_id).execute()
    return planned


def welcome(order):
    """The order's roles were given: its welcome DM, once, when the product has one."""
    if order.product_id and Product.get_by_id(order.product_id).welcome_text.strip():
        _plan(order, "welcome", f"g{order.generation}", utcnow())


def payment_failed(order, occasion):
    """A checkout reported a failed payment of the order's subscription: tell the buyer once
    per failed invoice."""
    _plan(order, "payment_failed", occasion, utcnow())


# Sending.


def any_due(now=None):
    """True when a message is due."""
    return (
        BuyerMessage.select(BuyerMessage.id)
        .where((BuyerMessage.state == "due") & (BuyerMessage.due_at <= (now or utcnow())))
        .limit(1)
        .exists()
    )


def queue_sender_if_due():
    """Queue the sender when a message is due (the scheduler's poll); True if so."""
    return any_due() and jobs.enqueue_buyer_messages()


def send_due(limit=BATCH):
    """Send what is due (up to `limit`); how many went out."""
    now = utcnow()
    due = list(
        BuyerMessage.select(BuyerMessage.id, BuyerMessage.due_at)
        .where((BuyerMessage.state == "due") & (BuyerMessage.due_at <= now))
        .order_by(BuyerMessage.due_at)
        .limit(limit)
        .tuples()
    )
    sent = 0
    for message_id, due_at in due:
        lease = now + LEASE
        taken = (
            BuyerMessage.update(due_at=lease, attempts=BuyerMessage.attempts + 1)
            .where((BuyerMessage.id == message_id) & (BuyerMessage.state == "due")
                   & (BuyerMessage.due_at == due_at))
            .execute()
        )  # fmt: skip
        if taken:
            sent += _send(BuyerMessage.get_by_id(message_id), lease) == "sent"
    return sent


def _finish(message, lease, state, channel="", result=""):
    BuyerMessage.update(state=state, channel=channel, result=result[:500], due_at=None,
                        sent_at=utcnow() if state == "sent" else None).where(
        (BuyerMessage.id == message.id) & (BuyerMessage.due_at == lease)
    ).execute()  # fmt: skip
    return state


def _send(message, lease):
    order = Order.select(Order, Customer, Product).join(Customer).switch(Order).join(
        Product).where(Order.id == message.order_id).first()  # fmt: skip
    if order is None:
        return _finish(message, lease, "skipped", result="The order is gone.")
    why = _unwanted(message, order)
    if why:
        return _finish(message, lease, "skipped", result=why)
    server = _server_name(order)
    found = values(order, server)
    text = text_of(order.product, message.kind)
    by = order.product.reminder_by if message.kind == "reminder" else "dm"
    subject = SUBJECTS[message.kind].replace("{product}", found["product"])
    try:
        if by in ("dm", "both"):
            dm = _dm(order, render(text, found))
            if dm != "sent":  # DMs closed, or no Discord account linked: mail instead
                _mail(order, subject, render(text, found, for_discord=False))
                return _finish(message, lease, "sent", "mail", f"{dm}: sent by mail instead.")
            if by == "both":
                try:
                    _mail(order, subject, render(text, found, for_discord=False))
                except (smtplib.SMTPException, OSError) as exc:  # the DM went: never again
                    return _finish(message, lease, "sent", "dm",
                                   f"Sent by DM; the mail was refused ({exc}).")  # fmt: skip
            return _finish(message, lease, "sent", "dm+mail" if by == "both" else "dm")
        _mail(order, subject, render(text, found, for_discord=False))
        return _finish(message, lease, "sent", "mail")
    except (RateLimited, DiscordError, smtplib.SMTPException, OSError) as exc:
        detail = getattr(exc, "seller_message", str(exc))[:200]
        if message.attempts >= ATTEMPTS:
            return _finish(message, lease, "failed", result=f"Could not be sent: {detail}")
        log.warning("message %s not sent (%s); tried again after its lease", message.id, detail)
        BuyerMessage.update(result=f"Not sent yet: {detail}").where(
            BuyerMessage.id == message.id).execute()  # fmt: skip
        return "later"


def _unwanted(message, order):
    if message.kind in ("reminder", "payment_failed") and order.status != "active":
        return "Access had already ended."
    if message.kind == "reminder":
        ends = order.access_ends_at.isoformat() if order.access_ends_at else ""
        if message.occasion != f"end:{ends}":
            return "The access was renewed: the reminder moved to the new end."
    if message.kind == "welcome" and not order.product.welcome_text.strip():
        return "The product has no welcome message any more."
    return ""


def _dm(order, content):
    """ "sent", or why a DM could not go ("DMs closed", "No Discord account linked")."""
    user_id = order.customer.discord_user_id
    if not user_id:
        return "No Discord account linked"
    discord = get_discord()
    try:
        channel = discord.create_dm(user_id)
        discord.send_message(channel["id"], content[:2000])
    except PermanentError as exc:
        if getattr(exc, "code", None) == 50007:
            return "DMs closed (Discord 50007)"
        raise
    return "sent"


def _mail(order, subject, body):
    s = settings()
    mail.send(mail.plain(order.customer.email, subject, body, s.mail_from), s.smtp_url)


def _server_name(order):
    from webapp.claim import progress

    names = [s["name"] for s in progress.servers(order)]
    return ", ".join(names)


def of_order(order_id):
    """The order's messages, for its timeline."""
    return list(
        BuyerMessage.select().where(BuyerMessage.order == order_id).order_by(BuyerMessage.id)
    )


def send_test(product, seller_email):
    """The product's reminder, with example values, mailed to the seller."""
    s = settings()
    body = render(text_of(product, "reminder"), {
        "name": "Ann", "product": product.name, "server": "your server",
        "ends_at": "2026-12-31 12:00 UTC",
        "renew_url": product.renewal_url or "https://example.com/renew"}, for_discord=False)  # fmt: skip
    subject = "[Test] " + SUBJECTS["reminder"].replace("{product}", product.name)
    return mail.send(mail.plain(seller_email, subject, body, s.mail_from), s.smtp_url)
