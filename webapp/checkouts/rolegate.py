"""Rolegate's own webhook format (SPEC §5): Standard Webhooks signatures, our event types."""

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webapp.checkouts.base import Rejected, Translation
from webapp.claim.links import claim_url
from webapp.webhooks import secrets
from webapp.webhooks.payloads import PayloadError, parse

LABEL = "Rolegate webhooks"
REPLAYED = 200
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def verify(checkout, seller, body, headers):
    """A current secret of the seller signed body (5 minutes tolerance), else 401."""
    if not all(headers.get(h) for h in HEADERS):
        raise Rejected(401, "missing webhook-id, webhook-timestamp or webhook-signature header")
    for secret in secrets.valid_secrets(seller):
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return
        except (WebhookVerificationError, ValueError, TypeError):
            # A malformed signature header raises a plain ValueError, not a 4xx-able error.
            continue
    raise Rejected(401, "signature does not verify (wrong secret, changed body or stale timestamp)")


def event_id(body, headers):
    """The `webhook-id` header."""
    return headers["webhook-id"][:255]


def translate(checkout, body):
    """One Rolegate event; a body we cannot use is refused with 400 naming the field."""
    try:
        kind, data = parse(body)
    except PayloadError as exc:
        raise Rejected(400, str(exc)) from None
    return Translation(steps=[(kind, data)], event_type=kind)


def answer(translation, results):
    """202 with the order's claim link, or the subscription's orders and their ends."""
    (kind, _), result = translation.steps[0], results[0]
    if kind.startswith("order."):
        return {"order_id": result.external_id, "claim_url": claim_url(result)}, 202
    return {
        "subscription_orders": [
            {"order_id": o.external_id, "access_ends_at": o.access_ends_at.isoformat()
             if o.access_ends_at else None}
            for o in result
        ]
    }, 202  # fmt: skip
