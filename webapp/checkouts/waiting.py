"""Events that need attention: counted for the dashboard and applied once the seller fixed
what they lacked (a product mapping, the restricted key) or their order arrived."""

import json
import logging

from webapp import alerts
from webapp.checkouts import Rejected, adapter
from webapp.db import utcnow, write_transaction
from webapp.models import Checkout, Seller, WebhookEvent

log = logging.getLogger("rolegate.checkouts")


def waiting_checkouts(seller_id):
    """The seller's connections with events needing attention, oldest connection first
    (each one's `waiting` says how many)."""
    return list(
        Checkout.select()
        .where((Checkout.seller == seller_id) & (Checkout.waiting > 0))
        .order_by(Checkout.created_at)
    )


def retry(checkout):
    """Translate and apply again each event of the connection that needs attention; the
    number applied. Each in its own transaction; one that still cannot be placed stays."""
    from webapp.webhooks import receiver

    ids = [e.id for e in WebhookEvent.select(WebhookEvent.id).where(
        (WebhookEvent.checkout == checkout.id) & (WebhookEvent.status == "needs_attention")
    ).order_by(WebhookEvent.received_at, WebhookEvent.id)]  # fmt: skip
    if not ids:
        _recount(checkout.id)
        return 0
    seller = Seller.get_by_id(checkout.seller_id)
    applied = 0
    for event_id in ids:
        with write_transaction():
            event = WebhookEvent.get_or_none(
                (WebhookEvent.id == event_id) & (WebhookEvent.status == "needs_attention")
            )
            if event is None:
                continue  # another retry took it
            try:
                translation = adapter(checkout.provider).translate(checkout, event.payload.encode())
                translation, answer, _, order_id = receiver.apply(checkout, seller, translation)
            except Rejected as exc:  # it no longer reads (it did when it came): say so, keep it
                event.reason = f"{event.reason} Try again failed: {exc.message}"[:1000]
                event.save(only=[WebhookEvent.reason])
                continue
            if translation.status == "needs_attention":
                continue
            kinds = ", ".join(k for k, _ in translation.steps)
            event.status, event.order = translation.status, order_id
            event.reason = translation.reason or f"Applied as {kinds}, after it needed attention."
            event.response, event.processed_at = json.dumps(answer), utcnow()
            event.save()
            applied += 1
            log.info("event %s applied after attention", event.webhook_id,
                     extra={"seller_id": seller.id})  # fmt: skip
    _recount(checkout.id)
    return applied


def _recount(checkout_id):
    left = WebhookEvent.select().where(
        (WebhookEvent.checkout == checkout_id) & (WebhookEvent.status == "needs_attention")
    )
    Checkout.update(waiting=left.count()).where(Checkout.id == checkout_id).execute()
    alerts.review_checkout(Checkout.get_by_id(checkout_id))


def noted(checkout_id):
    """One more event of the connection needs attention (inside the event's transaction)."""
    Checkout.update(waiting=Checkout.waiting + 1).where(Checkout.id == checkout_id).execute()
    alerts.review_checkout(Checkout.get_by_id(checkout_id))
