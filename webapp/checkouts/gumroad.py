"""Gumroad's ping and resource subscriptions (SPEC §5.1): form-encoded posts with no
signature. The endpoint URL is the secret (its id is 32 random characters, shown only to
the seller), and each post's `seller_id` must be the seller's Gumroad seller ID.

Every charge is a sale with its own `sale_id`: a subscription's renewals are orders of the
same `subscription_id`, so its end (`subscription_ended`) ends them all, and a refund or
dispute names the sale it takes back.

Fields read: `resource_name` (a ping without it is a sale), `seller_id`, `sale_id`,
`product_id`, `product_name`, `email`, `full_name`, `sale_timestamp`, `subscription_id`,
`refunded`, `ended_at`, `cancelled_at`.
"""

import hmac
from urllib.parse import parse_qs

from webapp.checkouts.base import Rejected, Translation, step

LABEL = "Gumroad"
REPLAYED = 200
NEEDS_ACCOUNT = (
    "this connection has no Gumroad seller ID yet: paste it in Rolegate (Gumroad → Settings → "
    "Advanced shows it next to the Ping endpoint)"
)


def _form(body):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "the body is not UTF-8 form data") from None
    fields = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    if not fields:
        raise Rejected(400, "the body holds no form fields")
    return fields


def verify(checkout, seller, body, headers):
    """The post names the connection's Gumroad seller (the URL itself is the secret)."""
    if not checkout.account_id:
        raise Rejected(400, NEEDS_ACCOUNT)
    given = _form(body).get("seller_id", "")
    if not hmac.compare_digest(given.encode(), checkout.account_id.encode()):
        raise Rejected(400, "seller_id does not match this connection's Gumroad seller ID")


def event_id(body, headers):
    """What the post is about: the resource and the sale or subscription it names."""
    form = _form(body)
    resource = form.get("resource_name") or "sale"
    subject = form.get("sale_id") or form.get("subscription_id") or ""
    if not subject:
        raise Rejected(400, "missing field: sale_id or subscription_id")
    return f"gumroad:{resource}:{subject}"[:255]


def translate(checkout, body):
    """What the post means to Rolegate."""
    form = _form(body)
    resource = form.get("resource_name") or "sale"
    translation = _translate(resource, form)
    translation.event_type = resource[:64]
    return translation


def _translate(resource, form):
    sale = form.get("sale_id")
    if resource == "sale" and form.get("refunded") == "true":
        resource = "refund"  # a ping for a sale refunded since
    if resource == "sale":
        raw = {
            "order_id": sale, "product_id": form.get("product_id"),
            "product_name": form.get("product_name"), "variant_id": None, "variant_name": None,
            "customer": {"email": form.get("email"), "name": form.get("full_name") or ""},
            "paid_at": form.get("sale_timestamp"),
            "subscription_id": form.get("subscription_id") or None, "period_end": None,
        }  # fmt: skip
        return Translation(steps=[step("order.paid", raw, prefix="")])
    if resource in ("refund", "dispute", "dispute_won"):
        kind = {"refund": "order.refunded", "dispute": "order.disputed",
                "dispute_won": "order.dispute_won"}[resource]  # fmt: skip
        return Translation(steps=[step(kind, {"order_id": sale}, prefix="")])
    if resource == "subscription_ended":
        raw = {"subscription_id": form.get("subscription_id"), "ended_at": form.get("ended_at")}
        return Translation(steps=[step("subscription.ended", raw, prefix="")])
    ref = ("subscription", form.get("subscription_id"))
    if resource == "cancellation":
        return Translation.ignored(
            "Subscription cancelled: noted. Access continues until Gumroad ends it "
            "(subscription_ended).", order_ref=ref,
        )  # fmt: skip
    if resource == "subscription_restarted":
        return Translation.ignored(
            "Subscription restarted: noted. Its next charge is a sale that gives access again.",
            order_ref=ref,
        )  # fmt: skip
    return Translation.ignored(f"Rolegate does not use {resource[:80]} posts.")


def answer(translation, results):
    """Gumroad only needs a 200."""
    return {"received": True, "status": translation.status}, 200
