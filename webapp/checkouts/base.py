"""What every checkout adapter returns or raises (see `webapp.checkouts`)."""

from dataclasses import dataclass, field


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

    @classmethod
    def ignored(cls, reason, order_ref=None):
        return cls(status="ignored", reason=reason, order_ref=order_ref)

    @classmethod
    def needs_attention(cls, reason):
        return cls(status="needs_attention", reason=reason)
