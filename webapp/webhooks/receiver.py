"""POST /hooks/<endpoint-id>: verify, record once, apply, answer (SPEC §5)."""

import json
import logging

import peewee
from flask import Blueprint, abort, jsonify, request
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webapp.access import events
from webapp.claim.links import claim_url
from webapp.db import utcnow, write_transaction
from webapp.models import WebhookEvent, lookups
from webapp.security import csrf, limiter
from webapp.webhooks import secrets
from webapp.webhooks.payloads import PayloadError, parse

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
}


def verify(seller, body, headers):
    """True when a current secret signed body (Standard Webhooks, 5 minutes tolerance)."""
    for secret in secrets.valid_secrets(seller):
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return True
        except (WebhookVerificationError, ValueError, TypeError):
            # A malformed signature header raises a plain ValueError, not a 4xx-able error.
            continue
    return False


def _answer(kind, result):
    if kind.startswith("order."):
        return {"order_id": result.external_id, "claim_url": claim_url(result)}
    return {
        "subscription_orders": [
            {"order_id": o.external_id, "access_ends_at": o.access_ends_at.isoformat()
             if o.access_ends_at else None}
            for o in result
        ]
    }  # fmt: skip


def _error(status, message):
    return jsonify(error=message), status


def _read_body():
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413)
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        abort(413)
    return body


@bp.route("/hooks/<endpoint_id>", methods=["POST"])
@csrf.exempt
@limiter.exempt
def receive(endpoint_id):
    """Accept a checkout event; the same webhook-id again answers the same, doing nothing."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    webhook_id = headers.get("webhook-id", "")[:255]
    # One round trip: the seller, and the answer given if this webhook-id came before.
    seller = lookups.seller_by_endpoint.first(webhook_id, endpoint_id)
    if seller is None:
        return _error(404, "unknown webhook endpoint")
    body = _read_body()
    if not all(headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature")):
        return _error(401, "missing webhook-id, webhook-timestamp or webhook-signature header")
    if not verify(seller, body, headers):
        return _error(
            401, "signature does not verify (wrong secret, changed body or stale timestamp)"
        )
    if seller.known_response is not None:
        return jsonify(json.loads(seller.known_response)), 200
    try:
        kind, data = parse(body)
    except PayloadError as exc:
        return _error(400, str(exc))
    received_at = utcnow()
    for attempt in range(3):
        try:
            return _record_and_apply(seller, webhook_id, kind, data, body, received_at)
        except peewee.IntegrityError:
            # A concurrent delivery of the same event won the race: answer as it did.
            known = _known(seller, webhook_id)
            if known is not None:
                return known
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _known(seller, webhook_id):
    """The stored answer to a webhook-id already received, or None."""
    row = lookups.webhook_answer.first(seller.id, webhook_id)
    return (jsonify(json.loads(row.response)), 200) if row is not None else None


def _record_and_apply(seller, webhook_id, kind, data, body, received_at):
    with write_transaction():
        result = APPLY[kind](seller, data)
        answer = _answer(kind, result)
        order = result if kind.startswith("order.") else (result[0] if result else None)
        now = utcnow()
        # The unique (seller, webhook-id) insert is what makes a racing duplicate roll back.
        lookups.webhook_event_insert.save_new(WebhookEvent(
            seller=seller.id, webhook_id=webhook_id, type=kind, payload=body.decode("utf-8"),
            order=order.id if order else None, response=json.dumps(answer),
            received_at=received_at, processed_at=now,
        ))  # fmt: skip
    log.info("webhook %s accepted", kind, extra={"seller_id": seller.id, "webhook_id": webhook_id,
             "order_id": order.id if order else None})  # fmt: skip
    return jsonify(answer), 202
