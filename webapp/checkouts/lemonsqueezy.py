"""Lemon Squeezy (SPEC §5.1): `X-Signature` is the hex HMAC-SHA256 of the raw body keyed with
the webhook's signing secret; bodies are JSON:API resources with `meta.event_name`.

An order (`order_created`) is the Rolegate order. Its subscription is named only on the
subscription's own events (`attributes.order_id`), which link the order to it; the period's
end comes as the subscription's `renews_at` (`subscription_created` / `_updated`), a
cancellation ends access at `ends_at` (the end of the paid period), `subscription_expired`
at once. Lemon Squeezy sends no event id and no timestamp header: an event's key is its
name, resource and `updated_at`, and there is no staleness check.

Fields read: `meta.event_name`; `data.type`, `data.id`; on an order `attributes.status`,
`user_email`, `user_name`, `created_at`, `updated_at`, `first_order_item.product_id|
variant_id|product_name|variant_name`; on a subscription `order_id`, `product_id`,
`variant_id`, `product_name`, `variant_name`, `user_email`, `user_name`, `status`,
`renews_at`, `ends_at`, `created_at`, `updated_at`; on a subscription invoice
`subscription_id`.
"""

import functools
import hashlib
import hmac

from webapp.checkouts.base import Rejected, Translation, json_body, signing_secret, step

LABEL = "Lemon Squeezy"
REPLAYED = 200


def verify(checkout, seller, body, headers):
    """The connection's signing secret signed body (`X-Signature`), else 400."""
    given = headers.get("x-signature", "")
    if not given:
        raise Rejected(400, "missing X-Signature header")
    expected = hmac.new(signing_secret(checkout).encode(), body, hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), given.strip().lower()):
        raise Rejected(400, "X-Signature does not verify (wrong signing secret or changed body)")


@functools.lru_cache(maxsize=16)
def _event(body):
    event = json_body(body)
    meta = event.get("meta") if isinstance(event, dict) else None
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("event_name"), str):
        raise Rejected(400, "missing field: meta.event_name")
    if not isinstance(data, dict) or not isinstance(data.get("attributes"), dict):
        raise Rejected(400, "missing field: data.attributes")
    return event


def event_id(body, headers):
    """The event's name, resource and the resource's `updated_at`."""
    event = _event(body)
    data = event["data"]
    stamp = data["attributes"].get("updated_at") or data["attributes"].get("created_at") or ""
    return (
        f"lemonsqueezy:{event['meta']['event_name']}:{data.get('type')}:{data.get('id')}:{stamp}"[
            :255
        ]
    )


def _text(value):
    return None if value is None or value == "" else str(value)


def translate(checkout, body):
    """What the event means to Rolegate."""
    event = _event(body)
    translation = _translate(event["meta"]["event_name"], event["data"])
    translation.event_type = event["meta"]["event_name"][:64]
    return translation


def _paid(order_id, attrs, item, subscription_id=None, period_end=None):
    raw = {
        "order_id": _text(order_id), "product_id": _text(item.get("product_id")),
        "product_name": item.get("product_name"), "variant_id": _text(item.get("variant_id")),
        "variant_name": item.get("variant_name"),
        "customer": {"email": attrs.get("user_email"), "name": attrs.get("user_name") or ""},
        "paid_at": attrs.get("created_at"), "subscription_id": subscription_id,
        "period_end": period_end,
    }  # fmt: skip
    return step("order.paid", raw)


def _translate(name, data):
    attrs = data["attributes"]
    if name == "order_created":
        if attrs.get("status") != "paid":
            return Translation.ignored(f"Order not paid (status {str(attrs.get('status'))[:30]}).")
        item = (
            attrs.get("first_order_item") if isinstance(attrs.get("first_order_item"), dict) else {}
        )
        return Translation(steps=[_paid(data.get("id"), attrs, item)])
    if name == "order_refunded":
        return Translation(steps=[step("order.refunded", {"order_id": _text(data.get("id"))})])
    subscription = _text(data.get("id"))
    if name in ("subscription_created", "subscription_updated", "subscription_resumed"):
        status = attrs.get("status")
        if status in ("cancelled", "expired"):
            return _ended(subscription, attrs)
        steps = [_paid(attrs.get("order_id"), attrs, attrs, subscription)]
        if attrs.get("renews_at") and status in ("active", "on_trial", "past_due"):
            steps.append(step("subscription.renewed", {
                "subscription_id": subscription, "period_end": attrs["renews_at"],
                "paid_at": attrs.get("updated_at")}))  # fmt: skip
        return Translation(steps=steps)
    if name in ("subscription_cancelled", "subscription_expired"):
        return _ended(subscription, attrs)
    if name in ("subscription_paused", "subscription_unpaused", "subscription_payment_failed"):
        return Translation.ignored(
            f"{name.replace('_', ' ').capitalize()}: noted. Access runs to the end of the paid "
            "period (plus grace); a renewal moves it.", order_ref=("subscription", subscription),
        )  # fmt: skip
    if name in ("subscription_payment_success", "subscription_payment_recovered"):
        return Translation.ignored(
            "Payment received: noted. The new end of access comes with subscription_updated "
            "(renews_at).", order_ref=("subscription", _text(attrs.get("subscription_id"))),
        )  # fmt: skip
    return Translation.ignored(f"Rolegate does not use {name[:80]} events.")


def _ended(subscription, attrs):
    ends = attrs.get("ends_at") or attrs.get("updated_at")
    return Translation(steps=[step("subscription.ended",
                                    {"subscription_id": subscription, "ended_at": ends})])  # fmt: skip


def answer(translation, results):
    """Lemon Squeezy only needs a 200."""
    return {"received": True, "status": translation.status}, 200
