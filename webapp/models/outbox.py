"""The outbox: each Discord operation to perform (Action) and what was granted (Grant)."""

import peewee

from webapp.db import BaseModel, UTCDateTimeField, utcnow
from webapp.models.accounts import Seller
from webapp.models.discord_apps import App, Automation
from webapp.models.orders import Customer, Order

GRANT_KINDS = ("membership", "role")
# pending: Rolegate is about to ask Discord (written before the call, rule 4); active: held.
# removed: someone took it away by hand in Discord and its automation does not give it back;
# kept: its removal was held by the brake and the seller cancelled it (it stays theirs).
GRANT_STATES = ("pending", "active", "revoked", "failed", "removed", "kept")
# What the grant came from: the order's access (purchase) or its end (an alumni role);
# withdrawn: the seller deleted its automation and chose to take it back now.
GRANT_VIAS = ("purchase", "expiry", "withdrawn")
# held: a removal the brake holds until the seller releases or cancels it (SPEC §11).
ACTION_STATUSES = (
    "waiting_for_link", "waiting_for_app", "queued", "running", "done", "failed", "skipped",
    "held",
)  # fmt: skip
# Why an action exists: an automation's event, a refund or dispute, a Discord account switch.
# rejoin / repair: given back after the buyer rejoined, or after a removal by hand (SPEC §10);
# left: a note that the buyer left the server (nothing is done about it).
TRIGGERS = ("purchase", "expiry", "refund", "dispute", "relink", "manual", "rejoin", "repair",
            "left")  # fmt: skip
# The triggers of actions that give what an order's access holds (not its alumni role).
GIVE_TRIGGERS = ("purchase", "relink", "rejoin", "repair")


class Grant(BaseModel):
    """What Rolegate did for an order in a guild: a membership or a role."""

    @classmethod
    def live(cls):
        """Grants Rolegate holds or is about to hold."""
        return cls.state.in_(("pending", "active"))

    order = peewee.ForeignKeyField(Order, backref="grants", on_delete="CASCADE")
    customer = peewee.ForeignKeyField(Customer, backref="grants", on_delete="CASCADE")
    app = peewee.ForeignKeyField(App, backref="grants", on_delete="CASCADE")
    guild_id = peewee.CharField(max_length=32)
    kind = peewee.CharField(max_length=16)
    role_id = peewee.CharField(max_length=32, default="")
    discord_user_id = peewee.CharField(max_length=32)
    state = peewee.CharField(max_length=16, default="pending")
    # The buyer had this before Rolegate gave it: it is never taken away (rule 4).
    preexisting = peewee.BooleanField(default=False)
    via = peewee.CharField(max_length=16, default="purchase")
    # When it was given, an expiry automation of the product undid it: the end of access
    # undoes it even if that automation changes later (rule 11).
    ends_with_access = peewee.BooleanField(default=False)
    granted_at = UTCDateTimeField(null=True)
    revoked_at = UTCDateTimeField(null=True)
    # Its member left the server (SPEC §10): noted once, cleared when they are back.
    left_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = (
            (("order", "app", "kind", "role_id", "discord_user_id"), True),
            (("guild_id", "discord_user_id", "kind", "role_id", "state"), False),
            (("customer", "state"), False),
        )


class Action(BaseModel):
    """One Discord operation to perform, its status and its last answer from Discord."""

    seller = peewee.ForeignKeyField(Seller, backref="actions", on_delete="CASCADE")
    order = peewee.ForeignKeyField(Order, backref="actions", on_delete="CASCADE")
    customer = peewee.ForeignKeyField(Customer, backref="actions", on_delete="CASCADE")
    app = peewee.ForeignKeyField(App, backref="actions", on_delete="CASCADE")
    automation = peewee.ForeignKeyField(
        Automation, backref="actions", null=True, on_delete="SET NULL"
    )
    trigger = peewee.CharField(max_length=16)
    kind = peewee.CharField(max_length=32)
    guild_id = peewee.CharField(max_length=32)
    role_id = peewee.CharField(max_length=32, default="")
    discord_user_id = peewee.CharField(max_length=32, null=True)
    # Makes creating the same action twice (a replayed event, a racing sweeper) a no-op.
    dedupe_key = peewee.CharField(max_length=255)
    status = peewee.CharField(max_length=20, default="queued")
    # The seller released it from the brake: it runs without being counted again.
    brake_released = peewee.BooleanField(default=False)
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(null=True)
    last_status = peewee.IntegerField(null=True)
    last_error_code = peewee.IntegerField(null=True)
    last_error = peewee.TextField(default="")
    result = peewee.CharField(max_length=200, default="")
    # The RQ job that should run it next; the sweeper re-enqueues when that job is gone.
    job_id = peewee.CharField(max_length=100, default="")
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)
    started_at = UTCDateTimeField(null=True)
    finished_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = (
            (("seller", "dedupe_key"), True),
            (("order", "created_at"), False),
            (("customer", "status"), False),
            (("status", "next_attempt_at"), False),
            (("seller", "status", "updated_at"), False),
        )
