"""Stripe (Checkout and Payment Links): signatures with the official `stripe` library, events
turned into Rolegate's own (SPEC §5.1's table). Reads both API-version shapes (before and
after 2025-03-31.basil).

Fields read: `id`, `type`, `created`, `data.object` and `data.previous_attributes`; on a
Checkout Session `id`, `payment_status`, `metadata.product_id|product_name|variant_id|
variant_name`, `customer_details.email|name` (else `customer_email`), `payment_intent`,
`subscription`; on an invoice `subscription` or `parent.subscription_details.subscription`,
`lines.data[0].period.end`, `payment_intent`; on a subscription `id`, `ended_at`,
`pause_collection`, `cancel_at_period_end`; on a charge `payment_intent`, `amount`,
`amount_refunded`; on a dispute `payment_intent`, `status`.
"""

import functools
from datetime import UTC, datetime

import stripe

from webapp import crypto
from webapp.checkouts.base import Rejected, Translation, json_body, obj, signing_secret, step
from webapp.services import settings

LABEL = "Stripe"
REPLAYED = 200
TOLERANCE = 300  # seconds, Stripe's own default
NO_PRODUCT = (
    "This payment names no product Rolegate can match. Add metadata product_id (and "
    "variant_id) to the Payment Link or Checkout Session, or add a restricted API key with "
    "read access to Checkout Sessions so Rolegate reads the session's line items; then "
    "press Try again."
)


class NotPlaced(Exception):
    """The event cannot be placed yet; the message says why and how to fix it."""


def client(checkout):
    """A `stripe` client with the connection's restricted key."""
    return stripe.StripeClient(
        crypto.decrypt(checkout.api_key), base_addresses={"api": settings().stripe_api_url},
        max_network_retries=1,
    )  # fmt: skip


def verify(checkout, seller, body, headers):
    """The connection's signing secret signed body (`Stripe-Signature`, 300 s), else 400."""
    header = headers.get("stripe-signature")
    if not header:
        raise Rejected(400, "missing Stripe-Signature header")
    secret = signing_secret(checkout)
    try:
        stripe.WebhookSignature.verify_header(
            body.decode("utf-8", "replace"), header, secret, TOLERANCE
        )
    except stripe.SignatureVerificationError:
        raise Rejected(
            400, "Stripe-Signature does not verify (wrong signing secret, changed body or a "
            "timestamp older than 5 minutes)"
        ) from None  # fmt: skip


@functools.lru_cache(maxsize=16)
def _event(body):
    """The event, parsed once per body (the receiver asks for its id, then its meaning).
    Callers only read it."""
    event = json_body(body)
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise Rejected(400, "missing field: id (a Stripe event)")
    data = event.get("data")
    if not isinstance(event.get("type"), str) or not isinstance(data, dict):
        raise Rejected(400, "missing field: type or data (a Stripe event)")
    if not isinstance(data.get("object"), dict):
        raise Rejected(400, "missing field: data.object")
    return event


def event_id(body, headers):
    """Stripe's event id, `evt_…`."""
    return "stripe:" + _event(body)["id"][:200]


def _time(ts):
    if not isinstance(ts, int) or isinstance(ts, bool):
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _id(value):
    """An id that Stripe may send expanded (an object) or as a string."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def translate(checkout, body):
    """What the event means to Rolegate."""
    event = _event(body)
    handler = HANDLERS.get(event["type"])
    if handler is None:
        translation = Translation.ignored(f"Rolegate does not use {event['type'][:80]} events.")
    else:
        try:
            translation = handler(checkout, event, event["data"]["object"])
        except NotPlaced as exc:
            translation = Translation.needs_attention(str(exc)[:500])
    translation.event_type = event["type"][:64]
    return translation


def _session_paid(checkout, event, session):
    status = session.get("payment_status")
    if status not in ("paid", "no_payment_required"):
        return Translation.ignored(
            f"Payment not completed yet (payment_status {str(status)[:40]}); Rolegate waits "
            "for checkout.session.async_payment_succeeded."
        )
    product = _product(checkout, session)
    if product is None:
        return Translation.needs_attention(NO_PRODUCT)
    details = obj(session.get("customer_details"))
    email = details.get("email") or session.get("customer_email")
    if not email:
        return Translation.needs_attention(
            "The session has no buyer email (customer_details.email): turn on email "
            "collection in the Payment Link or Checkout Session."
        )
    raw = {
        "order_id": _id(session.get("id")), **product,
        "customer": {"email": email, "name": details.get("name") or ""},
        "paid_at": _time(event.get("created")) or _time(session.get("created")),
        "subscription_id": _id(session.get("subscription")),
        "period_end": None, "payment_ref": _id(session.get("payment_intent")),
    }  # fmt: skip
    return Translation(steps=[step("order.paid", raw)])


def _product(checkout, session):
    """product_id / variant_id (and names) from metadata, else from the line items."""
    meta = obj(session.get("metadata"))
    if meta.get("product_id"):
        return {"product_id": meta["product_id"], "product_name": meta.get("product_name"),
                "variant_id": meta.get("variant_id"), "variant_name": meta.get("variant_name")}  # fmt: skip
    if not checkout.api_key or not _id(session.get("id")):
        return None
    try:
        items = client(checkout).v1.checkout.sessions.line_items.list(session["id"], {"limit": 10})
    except stripe.StripeError as exc:
        raise NotPlaced(f"{NO_PRODUCT} Stripe answered: {exc.user_message or exc}") from None
    for item in items.data:
        price = item.price
        if price is not None and price.product:
            return {"product_id": _id(price.product), "product_name": item.description,
                    "variant_id": price.id, "variant_name": price.nickname or None}  # fmt: skip
    return None


def _subscription_of(invoice):
    parent = obj(obj(invoice.get("parent")).get("subscription_details"))
    return _id(invoice.get("subscription")) or _id(parent.get("subscription"))


def _invoice_paid(checkout, event, invoice):
    subscription_id = _subscription_of(invoice)
    if subscription_id is None:
        return Translation.ignored("An invoice of no subscription: nothing to renew.")
    lines = obj(invoice.get("lines")).get("data") or []
    period = obj(obj(lines[0]).get("period")) if lines else {}
    raw = {"subscription_id": subscription_id, "period_end": _time(period.get("end")),
           "paid_at": _time(event.get("created"))}  # fmt: skip
    return Translation(steps=[step("subscription.renewed", raw)])


def _payment_failed(checkout, event, invoice):
    subscription_id = _subscription_of(invoice)
    if not subscription_id:
        return Translation.ignored("Payment failed for an invoice of no subscription: noted.")
    translation = Translation(steps=[step("payment.failed", {
        "subscription_id": subscription_id, "invoice_id": _id(invoice.get("id"))})],
        order_ref=("subscription", subscription_id))  # fmt: skip
    translation.reason = ("Payment failed: noted, and the buyer asked to update their card. "
                          "Access is kept until the paid period ends (plus the grace days); a "
                          "later successful payment renews it.")  # fmt: skip
    return translation


def _subscription_updated(checkout, event, subscription):
    before = obj(event["data"].get("previous_attributes"))
    ref = ("subscription", _id(subscription.get("id")))
    if subscription.get("pause_collection"):
        return Translation.ignored(
            "Subscription paused: noted. Access runs to the end of the paid period (plus "
            "grace); no renewal comes while paused, and resuming with a payment renews it.",
            order_ref=ref,
        )
    if "pause_collection" in before and before["pause_collection"]:
        return Translation.ignored("Subscription resumed: noted.", order_ref=ref)
    if subscription.get("cancel_at_period_end"):
        return Translation.ignored(
            "Set to cancel at the period's end: noted. Access ends when Stripe ends the "
            "subscription.",
            order_ref=ref,
        )
    return Translation.ignored("A subscription change Rolegate does not use.", order_ref=ref)


def _subscription_deleted(checkout, event, subscription):
    raw = {"subscription_id": _id(subscription.get("id")),
           "ended_at": _time(subscription.get("ended_at")) or _time(event.get("created"))}  # fmt: skip
    return Translation(steps=[step("subscription.ended", raw)])


def _by_payment(kind, payment_intent):
    if not payment_intent:
        return Translation.needs_attention(
            "This event names no payment intent, so Rolegate cannot find its order."
        )
    return Translation(steps=[(kind, {"payment_ref": payment_intent})])


def _charge_refunded(checkout, event, charge):
    amount, refunded = charge.get("amount"), charge.get("amount_refunded")
    if not isinstance(amount, int) or not isinstance(refunded, int) or refunded < amount:
        return Translation.ignored(
            "A partial refund: noted. Access continues.",
            order_ref=("payment", _id(charge.get("payment_intent"))),
        )
    return _by_payment("order.refunded", _id(charge.get("payment_intent")))


def _dispute_created(checkout, event, dispute):
    return _by_payment("order.disputed", _id(dispute.get("payment_intent")))


def _dispute_closed(checkout, event, dispute):
    if dispute.get("status") != "won":
        return Translation.ignored(
            "Dispute closed as lost: access stays ended.",
            order_ref=("payment", _id(dispute.get("payment_intent"))),
        )
    return _by_payment("order.dispute_won", _id(dispute.get("payment_intent")))


HANDLERS = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _payment_failed,
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_deleted,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
}


def answer(translation, results):
    """Stripe only needs a 2xx."""
    return {"received": True, "status": translation.status}, 200
