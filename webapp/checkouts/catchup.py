"""Catch up (SPEC §5.1): list a Stripe account's events of the last 30 days with the
restricted key and apply those Rolegate never received (it was down, or the endpoint was
not set up yet), oldest first, exactly as if they had arrived — each once."""

import json
from datetime import timedelta

import stripe as stripe_lib

from webapp.checkouts import Rejected, stripe
from webapp.db import utcnow
from webapp.models import Checkout, Seller, WebhookEvent

DAYS = 30


def run(checkout_id, days=DAYS):
    """{"listed", "applied", "known", "error"} for one connection."""
    from webapp.webhooks import receiver

    checkout = Checkout.get_or_none(Checkout.id == checkout_id)
    if checkout is None or checkout.provider != "stripe" or not checkout.api_key:
        return {"listed": 0, "applied": 0, "known": 0, "error": "no Stripe key"}
    since = int((utcnow() - timedelta(days=days)).timestamp())
    try:
        listed = list(stripe.client(checkout).v1.events.list(
            {"created": {"gte": since}, "limit": 100, "types": list(stripe.HANDLERS)}
        ).auto_paging_iter())  # fmt: skip
    except stripe_lib.StripeError as exc:
        return {"listed": 0, "applied": 0, "known": 0, "error": exc.user_message or str(exc)}
    seller = Seller.get_by_id(checkout.seller_id)
    keys = {f"stripe:{e.id}": e for e in listed}
    known = {
        row.webhook_id
        for row in WebhookEvent.select(WebhookEvent.webhook_id).where(
            (WebhookEvent.seller == seller.id) & WebhookEvent.webhook_id.in_(list(keys))
        )
    } if keys else set()  # fmt: skip
    applied, refused = 0, []
    for key, event in sorted(keys.items(), key=lambda item: (item[1].created, item[0])):
        if key in known:
            continue
        body = json.dumps(event.to_dict()).encode()
        try:
            if receiver.record(checkout, seller, key, body, utcnow()) is not None:
                applied += 1
        except Rejected as exc:  # an event Rolegate cannot read: say which, go on
            refused.append(f"{event.id}: {exc.message}")
    return {"listed": len(listed), "applied": applied, "known": len(known),
            "error": "; ".join(refused)[:500] or None}  # fmt: skip
