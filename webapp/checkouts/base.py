"""What every checkout adapter returns or raises (see `webapp.checkouts`)."""

import json
from dataclasses import dataclass, field

from webapp import crypto
from webapp.webhooks.payloads import PARSERS, PayloadError


class Rejected(Exception):
    """The request is refused with `status` and a message saying why."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Translation:
    """What one provider event means to Rolegate.

    `steps` are (type, data) pairs of Rolegate's own events, applied in order in one
    transaction. `status` is what the event log says: "applied", "ignored" (a type Rolegate
    does not use, or a fact only noted) or "needs_attention" (it cannot be placed yet; the
    reason says how to fix it, and it is applied again once fixed).
    """

    steps: list = field(default_factory=list)
    status: str = "applied"
    reason: str = ""
    # Where to show an event no step names an order for: ("subscription", id) or
    # ("payment", ref), resolved by the receiver.
    order_ref: tuple | None = None
    event_type: str = ""  # the provider's own name of the event, for the event log
    # It supplies what waiting events may lack (a buyer's email): try them again after it.
    unblocks: bool = False

    @classmethod
    def ignored(cls, reason, order_ref=None):
        return cls(status="ignored", reason=reason, order_ref=order_ref)

    @classmethod
    def needs_attention(cls, reason):
        return cls(status="needs_attention", reason=reason)


# What the adapters share.


def signing_secret(checkout):
    """The connection's signing secret in plain text; 400 while the seller has not pasted it."""
    if not checkout.secret:
        raise Rejected(400, "this connection has no signing secret yet: paste it in Rolegate")
    return crypto.decrypt(checkout.secret)


def json_body(body):
    """The parsed JSON body (any JSON value); 400 when it is not JSON."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Rejected(400, "the body is not valid JSON") from None


def obj(value):
    """`value` when it is a JSON object, else an empty one (fields a provider may omit)."""
    return value if isinstance(value, dict) else {}


def step(kind, raw, prefix="data."):
    """A Rolegate event, validated like our own webhooks: 400 naming the field. `prefix` is
    how the provider's field names begin in the message (ours: `data.`)."""
    try:
        return kind, PARSERS[kind](raw)
    except PayloadError as exc:
        message = str(exc) if prefix == "data." else str(exc).replace("data.", prefix)
        raise Rejected(400, message) from None
