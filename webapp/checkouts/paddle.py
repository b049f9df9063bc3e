"""Paddle Billing: `Paddle-Signature: ts=…;h1=…` checked with Paddle's official SDK
(`paddle_billing`), transactions as orders (SPEC §5.1).

A transaction (`txn_…`) from checkout (origin `web` or `api`) is the order; a recurring one
(`subscription_recurring`) renews its subscription to the transaction's billing period.
Paddle's transactions name the buyer only by customer id (`ctm_…`): the email comes from the
connection's `customer.created` / `customer.updated` events (kept as `CheckoutCustomer`), else
from Paddle's API with the connection's optional API key (`GET /customers/{id}` through the
SDK). A payment whose buyer is still unknown needs attention, and is applied when the
customer's event arrives or the key is saved. Refunds, chargebacks and their reversals are
adjustments of a transaction; a refund counts once Paddle approved it, and only in full.

Fields read: envelope `event_id`, `event_type`, `occurred_at`, `data`; on a transaction `id`,
`status`, `origin`, `customer_id`, `subscription_id`, `billing_period.ends_at`, `billed_at`,
`items[0].price.id|product_id|name|description`, `details.line_items[0].product.name`; on a
subscription `id`, `status`, `canceled_at`, `current_billing_period.ends_at`,
`scheduled_change.action`, `updated_at`; on an adjustment `action`, `status`, `type`,
`items[].type`, `transaction_id`, `subscription_id`; on a customer `id`, `email`, `name`,
`updated_at`.
"""

import functools
import logging
import time

import requests
from paddle_billing import Client, Options
from paddle_billing.Exceptions.ApiError import ApiError
from paddle_billing.Logger import get_logger
from paddle_billing.Notifications import PaddleSignature, Secret

from webapp import crypto
from webapp.checkouts.base import Rejected, Translation, json_body, obj, signing_secret, step
from webapp.models.checkouts import CheckoutCustomer
from webapp.services import settings
from webapp.webhooks import payloads

LABEL = "Paddle"
REPLAYED = 200
TOLERANCE = 300  # seconds between Paddle signing and Rolegate checking
NO_EMAIL = (
    "Rolegate does not know the email of Paddle customer {ref}: select customer.created and "
    "customer.updated on the notification destination (they are applied as soon as one "
    "arrives), or add an API key with read access to customers; then press Try again."
)


# The SDK logs every signature check at INFO; its first `get_logger` call sets the level.
get_logger(logging.WARNING)


class NotPlaced(Exception):
    """The event cannot be placed yet; the message says why and how to fix it."""


def verify(checkout, seller, body, headers):
    """The connection's secret key signed `ts:body` (`Paddle-Signature`, 5 minutes), else 400."""
    header = headers.get("paddle-signature", "")
    if not header:
        raise Rejected(400, "missing Paddle-Signature header")
    secret = signing_secret(checkout)
    try:
        text = body.decode("utf-8")
        signed_at, _ = PaddleSignature.parse(header)
    except (UnicodeDecodeError, ValueError):
        raise Rejected(400, "Paddle-Signature is not ts=…;h1=… over a UTF-8 body") from None
    if abs(time.time() - signed_at) > TOLERANCE:
        raise Rejected(400, "Paddle-Signature's timestamp is more than 5 minutes away")
    try:
        verified = PaddleSignature().verify(header, text, Secret(secret))
    except (ValueError, ConnectionRefusedError):
        verified = False
    if not verified:
        raise Rejected(
            400, "Paddle-Signature does not verify (wrong secret key or changed body)"
        )  # fmt: skip


@functools.lru_cache(maxsize=16)
def _event(body):
    event = json_body(body)
    if not isinstance(event, dict) or not isinstance(event.get("event_id"), str):
        raise Rejected(400, "missing field: event_id (a Paddle notification)")
    if not isinstance(event.get("event_type"), str) or not isinstance(event.get("data"), dict):
        raise Rejected(400, "missing field: event_type or data (a Paddle notification)")
    return event


def event_id(body, headers):
    """Paddle's event id, `evt_…` (the same on every retry of its notification)."""
    return "paddle:" + _event(body)["event_id"][:200]


def translate(checkout, body):
    """What the event means to Rolegate."""
    event = _event(body)
    kind = event["event_type"]
    handler = HANDLERS.get(kind)
    if handler is None:
        translation = Translation.ignored(f"Rolegate does not use {kind[:80]} events.")
    else:
        try:
            translation = handler(checkout, event, event["data"])
        except NotPlaced as exc:
            translation = Translation.needs_attention(str(exc)[:500])
    translation.event_type = kind[:64]
    return translation


def _text(value):
    return value if isinstance(value, str) and value else None


def _transaction(checkout, event, txn):
    if txn.get("status") != "completed":
        return Translation.ignored(
            f"Transaction not completed (status {str(txn.get('status'))[:30]})."
        )
    subscription, origin = _text(txn.get("subscription_id")), txn.get("origin")
    period_end = obj(txn.get("billing_period")).get("ends_at")
    paid_at = txn.get("billed_at") or event.get("occurred_at")
    if origin == "subscription_recurring":
        if not subscription or not period_end:
            return Translation.ignored("A renewal without subscription or billing period: noted.")
        return Translation(steps=[step("subscription.renewed", {
            "subscription_id": subscription, "period_end": period_end, "paid_at": paid_at})])  # fmt: skip
    if origin not in ("web", "api"):
        return Translation.ignored(
            f"A payment of a subscription change ({str(origin)[:40]}): noted.",
            order_ref=("subscription", subscription) if subscription else None,
        )  # fmt: skip
    items = txn.get("items") if isinstance(txn.get("items"), list) else []
    price = obj(obj(items[0]).get("price")) if items else {}
    if not _text(price.get("product_id")):
        return Translation.needs_attention(
            "This transaction names no product (items[0].price.product_id), so Rolegate "
            "cannot match it."
        )
    lines = obj(txn.get("details")).get("line_items")
    line = obj(lines[0]) if isinstance(lines, list) and lines else {}
    email, name = _customer(checkout, _text(txn.get("customer_id")))
    raw = {
        "order_id": _text(txn.get("id")), "product_id": price["product_id"],
        "product_name": obj(line.get("product")).get("name") or price.get("description"),
        "variant_id": _text(price.get("id")), "variant_name": price.get("name"),
        "customer": {"email": email, "name": name}, "paid_at": paid_at,
        "subscription_id": subscription, "period_end": period_end if subscription else None,
        "payment_ref": _text(txn.get("id")),
    }  # fmt: skip
    return Translation(steps=[step("order.paid", raw)])


def _customer(checkout, ref):
    """(email, name) of a Paddle customer: as noted, else read with the API key."""
    if ref is None:
        raise NotPlaced("This transaction names no customer (customer_id).")
    known = CheckoutCustomer.get_or_none(
        (CheckoutCustomer.checkout == checkout.id) & (CheckoutCustomer.ref == ref[:128])
    )
    if known is not None:
        return known.email, known.name
    if not checkout.api_key:
        raise NotPlaced(NO_EMAIL.format(ref=ref[:40]))
    try:
        customer = client(checkout).customers.get(ref)
    except ApiError as exc:
        raise NotPlaced(f"{NO_EMAIL.format(ref=ref[:40])} Paddle answered: {exc.detail}") from None
    except requests.RequestException:
        raise NotPlaced(
            f"{NO_EMAIL.format(ref=ref[:40])} Paddle's API could not be reached."
        ) from None  # fmt: skip
    except (KeyError, TypeError, ValueError):  # the SDK could not read Paddle's answer
        raise NotPlaced(
            f"{NO_EMAIL.format(ref=ref[:40])} Paddle's answer was not a customer."
        ) from None
    _note(checkout, ref, customer.email, customer.name or "", customer.updated_at)
    return customer.email, customer.name or ""


class _API:
    """Where the SDK sends its calls: the SDK reads only `base_url` of its environment."""

    def __init__(self, base_url):
        self.base_url = base_url


def client(checkout):
    """Paddle's SDK client with the connection's API key (sandbox keys use Paddle's sandbox)."""
    key = crypto.decrypt(checkout.api_key)
    base = settings().paddle_api_url or (
        "https://sandbox-api.paddle.com"
        if key.startswith("pdl_sdbx_")
        else "https://api.paddle.com"
    )
    return Client(key, options=Options(environment=_API(base)), retry_count=1, timeout=10)


def _note(checkout, ref, email, name, updated_at):
    """Keep (or move forward) what the connection knows of a customer."""
    known = {CheckoutCustomer.email: email[:254], CheckoutCustomer.name: (name or "")[:200],
             CheckoutCustomer.updated_at: updated_at}  # fmt: skip
    key = {CheckoutCustomer.checkout: checkout.id, CheckoutCustomer.ref: ref[:128]}
    (
        CheckoutCustomer.insert({**key, **known})
        .on_conflict(
            conflict_target=list(key),
            update=known,
            where=(CheckoutCustomer.updated_at <= updated_at),
        )  # fmt: skip
        .execute()
    )


def _customer_event(checkout, event, customer):
    ref = _text(customer.get("id"))
    if ref is None:
        raise Rejected(400, "missing field: data.id (a Paddle customer)")
    try:
        email = payloads.email_field(customer, "data.email")
        updated = payloads.time_field(customer, "data.updated_at")
    except payloads.PayloadError as exc:
        raise Rejected(400, str(exc)) from None
    _note(checkout, ref, email, _text(customer.get("name")) or "", updated)
    translation = Translation.ignored(f"Customer {ref[:40]} noted, for their payments.")
    translation.unblocks = True
    return translation


def _subscription(checkout, event, subscription):
    ref, status = _text(subscription.get("id")), subscription.get("status")
    if ref is None:
        raise Rejected(400, "missing field: data.id (a Paddle subscription)")
    if status == "canceled":
        ended = subscription.get("canceled_at") or event.get("occurred_at")
        return Translation(steps=[step("subscription.ended",
                                       {"subscription_id": ref, "ended_at": ended})])  # fmt: skip
    if status == "paused":
        return Translation.ignored(
            "Subscription paused: noted. Access runs to the end of the paid period (plus "
            "grace); resuming starts a new paid period.", order_ref=("subscription", ref),
        )  # fmt: skip
    if status == "past_due":
        return Translation.ignored(
            "Payment failed (past due): noted. Access is kept until the paid period ends (plus "
            "the grace days); a later payment renews it.", order_ref=("subscription", ref),
        )  # fmt: skip
    period_end = obj(subscription.get("current_billing_period")).get("ends_at")
    steps = []
    if status in ("active", "trialing") and period_end:
        steps.append(step("subscription.renewed", {
            "subscription_id": ref, "period_end": period_end,
            "paid_at": subscription.get("updated_at") or event.get("occurred_at")}))  # fmt: skip
    change = obj(subscription.get("scheduled_change")).get("action")
    if change in ("cancel", "pause"):
        reason = (f"Set to {change} at the period's end: noted. Access runs to the end of the "
                  "paid period; Paddle's subscription.canceled ends it.")  # fmt: skip
        return Translation(steps=steps, status="applied" if steps else "ignored",
                           reason=reason, order_ref=("subscription", ref))  # fmt: skip
    if not steps:
        return Translation.ignored("A subscription change Rolegate does not use.",
                                   order_ref=("subscription", ref))  # fmt: skip
    return Translation(steps=steps)


def _full(adjustment):
    if adjustment.get("type") is not None:
        return adjustment.get("type") == "full"
    items = adjustment.get("items") if isinstance(adjustment.get("items"), list) else []
    return bool(items) and all(obj(item).get("type") == "full" for item in items)


KINDS = {"refund": "order.refunded", "chargeback": "order.disputed",
         "chargeback_reverse": "order.dispute_won"}  # fmt: skip


def _adjustment(checkout, event, adjustment):
    action, status = adjustment.get("action"), adjustment.get("status")
    txn, subscription = (
        _text(adjustment.get("transaction_id")),
        _text(adjustment.get("subscription_id")),
    )
    ref = ("payment", txn)
    if action not in KINDS:
        return Translation.ignored(f"Adjustment {str(action)[:40]}: noted.", order_ref=ref)
    if action == "refund" and status != "approved":
        said = {"pending_approval": "waits for Paddle's approval; access ends once approved",
                "rejected": "was rejected by Paddle; access continues",
                "reversed": "was reversed; access is not given back by a reversal"}  # fmt: skip
        return Translation.ignored(
            f"Refund {said.get(status, f'is {str(status)[:30]}')}: noted.", order_ref=ref
        )  # fmt: skip
    if action == "refund" and not _full(adjustment):
        return Translation.ignored("A partial refund: noted. Access continues.", order_ref=ref)
    if txn is None:
        return Translation.needs_attention(
            "This adjustment names no transaction, so Rolegate cannot find its order."
        )
    return Translation(steps=[(KINDS[action], {"payment_ref": txn,
                                               "subscription_ref": subscription})])  # fmt: skip


def _noted(message):
    def handler(checkout, event, data):
        sub = _text(data.get("subscription_id")) or (
            _text(data.get("id")) if str(data.get("id", "")).startswith("sub_") else None
        )
        return Translation.ignored(message, order_ref=("subscription", sub) if sub else None)

    return handler


HANDLERS = {
    "transaction.completed": _transaction,
    "transaction.paid": _noted("Paid: noted. Rolegate gives access on transaction.completed."),
    "transaction.payment_failed": _noted(
        "Payment failed: noted. Access is kept until the paid period ends (plus the grace "
        "days); a later payment renews it."
    ),
    "subscription.activated": _subscription,
    "subscription.updated": _subscription,
    "subscription.resumed": _subscription,
    "subscription.paused": _subscription,
    "subscription.past_due": _subscription,
    "subscription.canceled": _subscription,
    "adjustment.created": _adjustment,
    "adjustment.updated": _adjustment,
    "customer.created": _customer_event,
    "customer.updated": _customer_event,
}


def answer(translation, results):
    """Paddle only needs a 2xx (within 5 seconds)."""
    return {"received": True, "status": translation.status}, 200
