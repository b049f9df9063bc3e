"""Job bodies: mail a buyer their claim link, or that their access moved."""

from webapp import jobs, mail
from webapp.access import switching
from webapp.claim.links import claim_url
from webapp.models import Order
from webapp.services import settings
from workers.jobs import body


@body(jobs.SEND_CLAIM_LINK)
def send_claim_link(order_id):
    """Mail the buyer their claim link (or log it in development)."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.customer_id is None or order.status in ("refunded", "disputed"):
        return False
    s = settings()
    return mail.send(mail.claim_message(order, claim_url(order), s.mail_from), s.smtp_url)


@body(jobs.SEND_SWITCH_NOTICE)
def send_switch_notice(switch_id, old_name):
    """Tell the buyer their access moved to another Discord account."""
    return switching.notify(switch_id, old_name)
