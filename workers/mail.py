"""Mail jobs."""

from webapp import mail
from webapp.models import Order
from webapp.services import settings
from webapp.webhooks.receiver import claim_url
from workers.jobs import job
from workers.queues import MAINTENANCE, queue


@job(MAINTENANCE, timeout=60, result_ttl=600)
def send_claim_link(order_id):
    """Mail the buyer their claim link (or log it in development)."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.customer_id is None or order.status == "refunded":
        return False
    s = settings()
    return mail.send(mail.claim_message(order, claim_url(order), s.mail_from), s.smtp_url)


def enqueue_claim_link(order_id):
    """Queue the claim-link mail of an order (one per order: deterministic job id)."""
    opts = send_claim_link.rq_options
    queue(opts["queue"]).enqueue(
        send_claim_link, order_id, job_id=f"claim-mail-{order_id}",
        job_timeout=opts["timeout"], result_ttl=opts["result_ttl"],
    )  # fmt: skip
