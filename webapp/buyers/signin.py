"""Sign-in links for buyers: signed (itsdangerous, 15 minutes) and single use (a nonce in
Redis, taken once)."""

import logging
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from webapp import mail
from webapp.models import Customer
from webapp.services import get_redis, settings

log = logging.getLogger("rolegate.buyers")
MAX_AGE = 15 * 60
KEY = "rolegate:signin:{nonce}"


def _serializer():
    return URLSafeTimedSerializer(settings().secret_key, salt="buyer-sign-in")


def link_for(seller, customer):
    """A fresh sign-in link for this buyer."""
    nonce = secrets.token_urlsafe(16)
    get_redis().set(KEY.format(nonce=nonce), customer.id, ex=MAX_AGE)
    token = _serializer().dumps({"s": seller.id, "c": customer.id, "n": nonce})
    return f"{settings().public_url.rstrip('/')}/buyers/{seller.public_id}/in/{token}"


def send_link(seller, email):
    """Mail a sign-in link when the email has orders with this seller (silently otherwise)."""
    customer = Customer.get_or_none((Customer.seller == seller.id) & (Customer.email == email))
    if customer is None or not customer.orders.exists():
        log.info("sign-in link asked for an email without orders (seller %s)", seller.id)
        return False
    s = settings()
    body = (f"Hello {customer.name or ''},\n\nOpen this link to see your access and rejoin the "
            f"server if you left it:\n\n{link_for(seller, customer)}\n\nIt works once, for 15 "
            "minutes. If you did not ask for it, ignore this mail.\n")  # fmt: skip
    mail.send(mail.plain(customer.email, "Your sign-in link", body, s.mail_from), s.smtp_url)
    return True


def redeem(seller, token):
    """The buyer of a valid, unused link for this seller, or None."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or data.get("s") != seller.id:
        return None
    if get_redis().getdel(KEY.format(nonce=str(data.get("n")))) is None:
        return None  # used already (or expired)
    return Customer.get_or_none((Customer.id == data.get("c")) & (Customer.seller == seller.id))
