"""Mail: claim links to buyers and alerts to sellers over SMTP_URL, or into the log when it
is not set."""

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

log = logging.getLogger("rolegate.mail")


def claim_message(order, url, sender):
    """The email that gives a buyer their claim link."""
    product = order.product.name if order.product_id else "your purchase"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = order.customer.email
    message["Subject"] = f"Join the community of {product}"
    message.set_content(
        f"Hello {order.customer.name or ''},\n\n"
        f"Thank you for buying {product}. Open this link to connect your Discord account and "
        f"join the community:\n\n{url}\n\n"
        "The link is yours: do not share it.\n"
    )
    return message


def _message(to, subject, body, sender):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    return message


def plain(to, subject, body, sender):
    """A plain-text mail."""
    return _message(to, subject, body, sender)


def switch_code_message(customer, code, sender):
    """The six-digit code a buyer types before moving their access to another account."""
    return _message(
        customer.email, f"Your code: {code}",
        f"Hello {customer.name or ''},\n\nSomeone (you, we hope) asked to move your community "
        f"access to another Discord account. Type this code on the page to go on:\n\n    {code}"
        "\n\nIt works for 10 minutes. If it was not you, ignore this mail: nothing changes, and "
        "do not share your claim link.\n", sender,
    )  # fmt: skip


def switch_notice_message(customer, old_name, new_name, sender):
    """Told to the buyer after every switch of Discord account."""
    return _message(
        customer.email, "Your access moved to another Discord account",
        f"Hello {customer.name or ''},\n\nYour community access moved from the Discord account "
        f"{old_name} to {new_name}. If you did not do this, reply to the seller at once: your "
        "claim link may have leaked.\n", sender,
    )  # fmt: skip


def alerts_message(seller, alerts, public_url, sender):
    """One mail for every alert raised since the seller's last one (a digest)."""
    base = public_url.rstrip("/")
    lines = [f"- {a.message}" + (f"\n  {base}{a.link}" if a.link else "") for a in alerts]
    subject = (
        f"Rolegate: {alerts[0].message[:80]}"
        if len(alerts) == 1
        else f"Rolegate: {len(alerts)} things need your attention"
    )
    return _message(
        seller.email, subject,
        "Hello,\n\nSomething in your Rolegate setup needs you. Until it is fixed, the work it "
        "concerns waits (nothing is lost):\n\n" + "\n\n".join(lines) + "\n\nYou get at most "
        "one of these mails an hour; what happens meanwhile comes in the next one.\n", sender,
    )  # fmt: skip


def send(message, smtp_url):
    """Send through smtp://user:pass@host:port (STARTTLS) or smtps://…; log when unset."""
    if not smtp_url:
        log.info("mail (SMTP_URL not set) to %s: %s\n%s", message["To"], message["Subject"],
                 message.get_content())  # fmt: skip
        return False
    parts = urlsplit(smtp_url)
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 587)
    client = smtplib.SMTP_SSL if secure else smtplib.SMTP
    with client(parts.hostname, port, timeout=20) as smtp:
        if not secure and parts.scheme != "smtp+plain":
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)
    return True
