"""Customers, their orders, and the webhook events that told us about them."""

import peewee

from webapp.db import BaseModel, UTCDateTimeField, utcnow
from webapp.models.accounts import Seller, new_token
from webapp.models.catalog import PriceVariant, Product
from webapp.models.checkouts import Checkout

# disputed: a chargeback is open; winning it gives access back (SPEC §4 rule 6).
ORDER_STATUSES = ("active", "expired", "refunded", "disputed")
# Orders whose end took access away for good or until a dispute is won: no alumni role.
REVOKED = ("refunded", "disputed")
# Why access ended or will end, shown on the order page.
END_REASONS = ("time_limit", "subscription", "subscription_grace", "refund", "dispute", "manual")


class Customer(BaseModel):
    """A buyer of one seller, by email; once linked, their Discord account and tokens."""

    seller = peewee.ForeignKeyField(Seller, backref="customers", on_delete="CASCADE")
    email = peewee.CharField(max_length=254)
    name = peewee.CharField(max_length=200, default="")
    discord_user_id = peewee.CharField(max_length=32, null=True)
    discord_username = peewee.CharField(max_length=100, default="")
    # Fernet-encrypted OAuth tokens (webapp.crypto); never stored in plain text.
    access_token = peewee.TextField(default="")
    refresh_token = peewee.TextField(default="")
    token_expires_at = UTCDateTimeField(null=True)
    linked_at = UTCDateTimeField(null=True)
    # Counts links (first and every switch): part of the dedupe keys of what a link plans,
    # so returning to an account seen before plans its work anew.
    link_count = peewee.IntegerField(default=0)
    # The six-digit code mailed before a switch of Discord account (SPEC §6), hashed.
    switch_code_hash = peewee.CharField(max_length=128, default="")
    switch_code_expires_at = UTCDateTimeField(null=True)
    switch_code_attempts = peewee.IntegerField(default=0)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("seller", "email"), True), (("seller", "discord_user_id"), False))


class Order(BaseModel):
    """A checkout order and the access it gives until `access_ends_at` (null: no end)."""

    seller = peewee.ForeignKeyField(Seller, backref="orders", on_delete="CASCADE")
    external_id = peewee.CharField(max_length=128)
    customer = peewee.ForeignKeyField(Customer, backref="orders", null=True, on_delete="CASCADE")
    product = peewee.ForeignKeyField(Product, backref="orders", null=True, on_delete="CASCADE")
    variant = peewee.ForeignKeyField(
        PriceVariant, backref="orders", null=True, on_delete="SET NULL"
    )
    subscription_id = peewee.CharField(max_length=128, null=True)
    paid_at = UTCDateTimeField(null=True)
    period_end = UTCDateTimeField(null=True)
    access_ends_at = UTCDateTimeField(null=True)
    end_reason = peewee.CharField(max_length=32, null=True)
    status = peewee.CharField(max_length=16, default="active")
    refunded_at = UTCDateTimeField(null=True)
    ended_at = UTCDateTimeField(null=True)
    # Once the checkout says the subscription ended, no late renewal revives it.
    subscription_ended_at = UTCDateTimeField(null=True)
    # "" | "open" | "won" | "lost": a dispute's state; a closed one is never reopened.
    dispute = peewee.CharField(max_length=8, default="")
    # Bumped when ended access starts again (a late renewal, an extension by the seller),
    # so the new purchase actions are not mistaken for the old ones.
    generation = peewee.IntegerField(default=0)
    claim_token = peewee.CharField(max_length=64, unique=True, default=new_token)
    # The checkout's payment reference (Stripe: the payment intent) that refunds and
    # disputes name instead of the order.
    payment_ref = peewee.CharField(max_length=255, null=True)
    # When the claim link is due to be mailed (an outbox in the order's own row, written with
    # it): None once sent or not needed; while a sender holds it, the end of its lease.
    claim_mail_due_at = UTCDateTimeField(null=True)
    # Where it came from: a checkout's webhook, or the seller's hand (SPEC §11).
    source = peewee.CharField(max_length=16, default="checkout")
    # Its own length of access (access given by hand), over the product's and variant's.
    access_days = peewee.IntegerField(null=True)
    # The end of access a reminder was planned for (SPEC §12): a later end plans another.
    reminded_end = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "orders"
        indexes = (
            (("seller", "external_id"), True),
            (("seller", "id"), False),  # the Orders page: newest first, keyset pages
            (("seller", "status", "access_ends_at", "id"), False),  # "ending soon", in order
            (("status", "access_ends_at"), False),
            (("seller", "subscription_id"), False),
            (("customer", "status"), False),
            (("seller", "payment_ref"), False),
            (("claim_mail_due_at",), False),
        )


class AccountSwitch(BaseModel):
    """A buyer moved their access to another Discord account (shown in timelines, limited)."""

    customer = peewee.ForeignKeyField(Customer, backref="switches", on_delete="CASCADE")
    order = peewee.ForeignKeyField(Order, backref="switches", on_delete="CASCADE")
    from_user_id = peewee.CharField(max_length=32)
    to_user_id = peewee.CharField(max_length=32)
    to_username = peewee.CharField(max_length=100, default="")
    at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("customer", "at"), False),)


class Subscription(BaseModel):
    """What the checkout said of a subscription, kept even before its first order arrives."""

    seller = peewee.ForeignKeyField(Seller, backref="subscriptions", on_delete="CASCADE")
    external_id = peewee.CharField(max_length=128)
    period_end = UTCDateTimeField(null=True)
    ended_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("seller", "external_id"), True),)


class WebhookEvent(BaseModel):
    """One checkout webhook, kept once per (seller, webhook-id) for idempotency."""

    seller = peewee.ForeignKeyField(Seller, backref="webhook_events", on_delete="CASCADE")
    webhook_id = peewee.CharField(max_length=255)
    type = peewee.CharField(max_length=64)
    order = peewee.ForeignKeyField(Order, backref="events", null=True, on_delete="SET NULL")
    received_at = UTCDateTimeField(default=utcnow)
    occurred_at = UTCDateTimeField(null=True)
    payload = peewee.TextField()
    response = peewee.TextField(default="")
    processed_at = UTCDateTimeField(null=True)
    # Which connection it came through, and what Rolegate made of it (SPEC §5.1).
    checkout = peewee.ForeignKeyField(
        Checkout, backref="events", null=True, on_delete="SET NULL", index=False
    )
    status = peewee.CharField(max_length=16, default="applied")
    reason = peewee.TextField(default="")

    class Meta:
        indexes = (
            (("seller", "webhook_id"), True),
            (("seller", "received_at"), False),
            (("checkout", "received_at"), False),
        )
