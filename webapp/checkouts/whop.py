"""Whop: Standard Webhooks signatures (the `standardwebhooks` library), memberships as
orders (SPEC §5.1).

A Whop membership (`mem_…`) is the order and its subscription: Whop decides when it is
valid, so access lasts until `membership.deactivated` (or the product's access days), and
`payment.succeeded` of a membership Rolegate has not seen yet starts it as activation does.

Fields read: envelope `id`, `type`, `timestamp`, `data`; on a membership `id`, `user.email`,
`user.name`, `product.id`, `product.title`, `plan.id`, `joined_at` / `created_at`; on a
payment `membership.id`, `user`, `product`, `plan`, `paid_at`.
"""

import functools

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webapp.checkouts.base import Rejected, Translation, json_body, obj, signing_secret, step

LABEL = "Whop"
REPLAYED = 200
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def _key(secret):
    # Whop's `ws_…` secret is the HMAC key as it is (not base64, unlike `whsec_…`).
    return secret if secret.startswith("whsec_") else secret.encode()


def verify(checkout, seller, body, headers):
    """The connection's secret signed body (Standard Webhooks, 5 minutes), else 400."""
    if not all(headers.get(h) for h in HEADERS):
        raise Rejected(400, "missing webhook-id, webhook-timestamp or webhook-signature header")
    secret = signing_secret(checkout)
    try:
        Webhook(_key(secret)).verify(body, headers, json_parse=False)
    except (WebhookVerificationError, ValueError, TypeError):
        raise Rejected(
            400, "the signature does not verify (wrong secret, changed body or a timestamp "
            "older than 5 minutes)"
        ) from None  # fmt: skip


@functools.lru_cache(maxsize=16)
def _event(body):
    event = json_body(body)
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise Rejected(400, "missing field: type")
    if not isinstance(event.get("data"), dict):
        raise Rejected(400, "missing field: data (an object)")
    return event


def event_id(body, headers):
    """The `webhook-id` header (Whop's message id, `msg_…`)."""
    return "whop:" + headers["webhook-id"][:200]


def _paid(membership_id, data, paid_at):
    user, product, plan = obj(data.get("user")), obj(data.get("product")), obj(data.get("plan"))
    if not product.get("id"):
        return Translation.needs_attention(
            "This event names no Whop product (data.product.id); Rolegate cannot tell which "
            "access it gives."
        )
    if not user.get("email"):
        return Translation.needs_attention(
            "This event carries no buyer email: give the webhook the member:email:read "
            "permission in Whop, then press Try again."
        )
    raw = {
        "order_id": membership_id, "product_id": product["id"],
        "product_name": product.get("title"), "variant_id": plan.get("id"), "variant_name": None,
        "customer": {"email": user.get("email"), "name": user.get("name") or ""},
        "paid_at": paid_at, "subscription_id": membership_id, "period_end": None,
    }  # fmt: skip
    return Translation(steps=[step("order.paid", raw)])


def translate(checkout, body):
    """What the event means to Rolegate."""
    event = _event(body)
    translation = _translate(event)
    translation.event_type = event["type"][:64]
    return translation


def _translate(event):
    kind, data = event["type"], event["data"]
    if kind == "membership.activated":
        return _paid(data.get("id"), data, data.get("joined_at") or data.get("created_at")
                     or event.get("timestamp"))  # fmt: skip
    if kind == "payment.succeeded":
        membership = obj(data.get("membership")).get("id")
        if not membership:
            return Translation.ignored("A payment of no membership: nothing to give.")
        return _paid(membership, data, data.get("paid_at") or event.get("timestamp"))
    if kind == "membership.deactivated":
        raw = {"subscription_id": data.get("id"), "ended_at": event.get("timestamp")}
        return Translation(steps=[step("subscription.ended", raw)])
    return Translation.ignored(f"Rolegate does not use {kind[:80]} events.")


def answer(translation, results):
    """Whop only needs a 2xx."""
    return {"received": True, "status": translation.status}, 200
