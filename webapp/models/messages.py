"""Messages to buyers (SPEC §12): an outbox, one row per order and occasion."""

import peewee

from webapp.db import BaseModel, UTCDateTimeField, utcnow
from webapp.models.orders import Order

MESSAGE_KINDS = ("reminder", "welcome", "payment_failed")
MESSAGE_STATES = ("due", "sent", "skipped", "failed")


class BuyerMessage(BaseModel):
    """One message to send once: a reminder before an end of access, a welcome, a payment
    failure. `occasion` makes it once (the end it reminds of, the invoice that failed);
    `due_at` is when to send it (while a sender holds it, the end of its lease)."""

    order = peewee.ForeignKeyField(Order, backref="messages", on_delete="CASCADE")
    kind = peewee.CharField(max_length=16)
    occasion = peewee.CharField(max_length=128, default="")
    state = peewee.CharField(max_length=8, default="due")
    due_at = UTCDateTimeField(null=True)
    attempts = peewee.IntegerField(default=0)
    channel = peewee.CharField(max_length=16, default="")
    result = peewee.TextField(default="")
    created_at = UTCDateTimeField(default=utcnow)
    sent_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("order", "kind", "occasion"), True), (("due_at",), False))
