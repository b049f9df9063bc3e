"""POST /hooks/<endpoint-id>: verify, record once, apply, answer — for every checkout
connection, through its provider's adapter (SPEC §5, §5.1)."""

import json
import logging

import peewee
from flask import Blueprint, abort, jsonify, request

from webapp.access import catalog_cache, events
from webapp.checkouts import Rejected, Translation, adapter, waiting
from webapp.db import utcnow, write_transaction
from webapp.models import Order, Seller, WebhookEvent, lookups
from webapp.security import csrf, limiter

bp = Blueprint("hooks", __name__)
log = logging.getLogger("rolegate.webhooks")

MAX_BODY = 64 * 1024
APPLY = {
    "order.paid": events.order_paid,
    "order.refunded": events.order_refunded,
    "order.disputed": events.order_disputed,
    "order.dispute_won": events.dispute_won,
    "subscription.renewed": events.subscription_renewed,
    "subscription.ended": events.subscription_ended,
    "payment.failed": events.payment_failed,
}


def _error(status, message):
    return jsonify(error=message), status


def _read_body():
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413)
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        abort(413)
    return body


def _seller(row):
    """The seller fields the receiver and the domain read, from the connection's row."""
    return Seller(
        id=row.seller_id, webhook_secret=row.webhook_secret,
        webhook_previous_secret=row.webhook_previous_secret,
        webhook_rotated_at=row.webhook_rotated_at,
        subscription_grace_days=row.subscription_grace_days,
        catalog_version=row.catalog_version,
    )  # fmt: skip


# endpoint id -> provider, learnt from the database (a connection's provider never changes),
# so the first query can already look for an earlier delivery of this very event.
_providers = {}
PROVIDERS_KEPT = 10000


def _key_hint(endpoint_id, body, headers):
    """The event's key as its provider would name it, read before anything is verified: only
    to look for the answer given before, used once the signature verified and the key
    matches. Unknown endpoint: the Standard Webhooks header (the Rolegate format's key)."""
    provider = _providers.get(endpoint_id)
    if provider is None:
        return headers.get("webhook-id", "")[:255]
    try:
        return adapter(provider).event_id(body, headers)[:255]
    except (Rejected, KeyError, TypeError, ValueError):  # unreadable: verify and say so first
        return ""


@bp.route("/hooks/<endpoint_id>", methods=["POST"])
@csrf.exempt
@limiter.exempt
def receive(endpoint_id):
    """Accept a checkout event; the same event again answers the same, doing nothing."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    body = _read_body()
    # One round trip: the connection, its seller, and the answer given if this event came
    # before.
    hint = _key_hint(endpoint_id, body, headers)
    checkout = lookups.checkout_by_endpoint.first(hint, endpoint_id)
    if checkout is None:
        return _error(404, "unknown webhook endpoint")
    if endpoint_id not in _providers:
        if len(_providers) >= PROVIDERS_KEPT:
            _providers.clear()
        _providers[endpoint_id] = checkout.provider
    provider, seller = adapter(checkout.provider), _seller(checkout)
    try:
        provider.verify(checkout, seller, body, headers)
        key = provider.event_id(body, headers)
    except Rejected as exc:
        return _error(exc.status, exc.message)
    known = checkout.known_response if key == hint else _known(seller, key)
    if known is not None:
        return jsonify(json.loads(known)), provider.REPLAYED
    received_at = utcnow()
    for _attempt in range(3):
        try:
            with catalog_cache.at(seller.id, seller.catalog_version):
                recorded = record(checkout, seller, key, body, received_at)
        except Rejected as exc:
            return _error(exc.status, exc.message)
        if recorded is not None:
            answer, code = recorded
            return jsonify(answer), code
        # A concurrent delivery of the same event won the race: answer as it did.
        known = _known(seller, key)
        if known is not None:
            return jsonify(json.loads(known)), provider.REPLAYED
    raise RuntimeError(f"event {key} could neither be recorded nor found")


def record(checkout, seller, key, body, received_at):
    """Translate, apply and log one verified event in one transaction: (answer, status
    code), or None when an event with this key was recorded first (the unique insert)."""
    try:
        return _record_and_apply(checkout, seller, key, body, received_at)
    except peewee.IntegrityError:
        return None


def _known(seller, key):
    """The stored answer to an event already received, or None."""
    row = lookups.webhook_answer.first(seller.id, key)
    return row.response if row is not None else None


def _by_payment(seller, ref):
    return (
        Order.select(Order.id, Order.external_id)
        .where((Order.seller == seller.id) & (Order.payment_ref == ref))
        .first()
    )


def _by_subscription(seller, subscription_id):
    return (
        Order.select(Order.id, Order.external_id)
        .where((Order.seller == seller.id) & (Order.subscription_id == subscription_id))
        .order_by(Order.id.desc())
        .first()
    )


def _placed(seller, translation):
    """The translation with orders named by their payment (or, failing that, their
    subscription's latest order) found, or needing attention."""
    steps = []
    for kind, data in translation.steps:
        if "payment_ref" in data and "order_id" not in data:
            order = _by_payment(seller, data["payment_ref"])
            if order is None and data.get("subscription_ref"):
                order = _by_subscription(seller, data["subscription_ref"])
            if order is None:
                return Translation.needs_attention(
                    f"Rolegate has no order paid with {data['payment_ref'][:80]} yet. It is "
                    "applied when that payment arrives; Try again applies it now."
                )
            data = {"order_id": order.external_id}
        steps.append((kind, data))
    translation.steps = steps
    return translation


def _shown_on(seller, translation, results):
    """The order the event log and the order's timeline show this event on."""
    for result in results:
        if isinstance(result, Order):
            return result.id
        if result:
            return result[0].id
    kind, ref = translation.order_ref or (None, None)
    if kind == "payment" and ref:
        order = _by_payment(seller, ref)
        return order.id if order else None
    if kind == "subscription" and ref:
        order = _by_subscription(seller, ref)
        return order.id if order else None
    return None


def apply(checkout, seller, translation):
    """Apply a translation's steps inside the caller's transaction:
    (translation as placed, answer, status code, id of the order it is shown on)."""
    translation = _placed(seller, translation)
    results = [APPLY[kind](seller, data) for kind, data in translation.steps]
    answer, code = adapter(checkout.provider).answer(translation, results)
    return translation, answer, code, _shown_on(seller, translation, results)


def _record_and_apply(checkout, seller, key, body, received_at):
    provider = adapter(checkout.provider)
    with write_transaction():
        translation = provider.translate(checkout, body)
        translation, answer, code, order_id = apply(checkout, seller, translation)
        kind = translation.event_type or "unknown"
        if translation.steps and not translation.reason and checkout.provider != "rolegate":
            translation.reason = "Applied as " + ", ".join(k for k, _ in translation.steps) + "."
        # The unique (seller, webhook-id) insert is what makes a racing duplicate roll back.
        lookups.webhook_event_insert.save_new(WebhookEvent(
            seller=seller.id, webhook_id=key, type=kind[:64], payload=body.decode("utf-8"),
            order=order_id, response=json.dumps(answer), received_at=received_at,
            processed_at=utcnow(), checkout=checkout.id, status=translation.status,
            reason=translation.reason,
        ))  # fmt: skip
        if translation.status == "needs_attention":
            waiting.noted(checkout.id)
    log.info("webhook %s %s", kind, translation.status, extra={"seller_id": seller.id,
             "webhook_id": key, "order_id": order_id})  # fmt: skip
    if checkout.waiting and (
        translation.unblocks or any(k == "order.paid" for k, _ in translation.steps)
    ):
        # A refund or dispute may have come before its payment, a payment before its buyer's
        # email: apply them now.
        waiting.retry(checkout)
    return answer, code
