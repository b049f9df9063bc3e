"""Checkout connections: one adapter per provider behind one small interface (SPEC §5.1).

An adapter is a module with

- `LABEL`: the provider's name, as the "Checkout" field lists it;
- `verify(checkout, seller, body, headers)`: raise `Rejected` unless the provider signed the
  raw body (checked before anything else is read);
- `event_id(body, headers)`: the provider's id of the event, for deduplication;
- `translate(checkout, body)`: a `Translation` into Rolegate's own events (the types of
  `webhooks.payloads`), or what to record when there are none ("ignored", "needs attention");
- `answer(translation, results)`: the (JSON, status) the provider expects for an accepted
  event, `REPLAYED` the status for one received before, `BAD_SIGNATURE` and `BAD_BODY` the
  statuses of refusals (each provider's convention).

The receiver (`webhooks.receiver`) keeps every guarantee for all of them: raw body verified
first, 64 KiB cap, one transaction, enqueue after commit, no Discord call, replay → the same
answer and no new work. A sixth provider is one module here, its entry in `ADAPTERS`, and its
tests.
"""

from webapp.checkouts import gumroad, lemonsqueezy, paddle, rolegate, stripe, whop
from webapp.checkouts.base import Rejected, Translation

__all__ = ["ADAPTERS", "Rejected", "Translation", "adapter"]


ADAPTERS = {
    "rolegate": rolegate, "stripe": stripe, "lemonsqueezy": lemonsqueezy, "whop": whop,
    "paddle": paddle, "gumroad": gumroad,
}  # fmt: skip


def adapter(provider):
    """The adapter module of a provider key."""
    return ADAPTERS[provider]
