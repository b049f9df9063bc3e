"""Apps (a seller's Discord server connections) and the automations attached to them."""

import json

import peewee

from webapp.db import BaseModel, UTCDateTimeField, utcnow
from webapp.models.accounts import Seller
from webapp.models.catalog import Product

# disconnected: the seller disconnected it; its guild is kept so waiting work resumes
# when it is connected to that server again (SPEC §4 rule 10).
APP_STATUSES = ("pending", "connected", "broken", "disconnected")
EVENTS = ("purchase", "expiry")
ACTIONS = ("add_to_server", "remove_from_server", "assign_role", "revoke_role")


class App(BaseModel):
    """One Discord server connection of a seller, with what the bot could do when last seen."""

    seller = peewee.ForeignKeyField(Seller, backref="apps", on_delete="CASCADE")
    name = peewee.CharField(max_length=100)
    notes = peewee.TextField(default="")
    status = peewee.CharField(max_length=16, default="pending")
    guild_id = peewee.CharField(max_length=32, null=True)
    guild_name = peewee.CharField(max_length=100, default="")
    guild_icon = peewee.CharField(max_length=64, null=True)
    bot_permissions = peewee.BigIntegerField(default=0)
    bot_top_position = peewee.IntegerField(default=0)
    roles_json = peewee.TextField(default="[]")
    status_detail = peewee.TextField(default="")
    checked_at = UTCDateTimeField(null=True)
    connected_at = UTCDateTimeField(null=True)
    # The removal brake tripped (SPEC §11): removals wait for the seller's Release or Cancel.
    brake_held_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("seller", "created_at"), False), (("seller", "guild_id"), True))

    @property
    def roles(self):
        """The server's roles as last seen (dicts from Discord), highest first."""
        return sorted(json.loads(self.roles_json), key=lambda r: -r.get("position", 0))


class Automation(BaseModel):
    """When `event` happens for `product` (or any product) do `action` in `app`'s server."""

    seller = peewee.ForeignKeyField(Seller, backref="automations", on_delete="CASCADE")
    app = peewee.ForeignKeyField(App, backref="automations", on_delete="CASCADE")
    product = peewee.ForeignKeyField(Product, backref="automations", null=True, on_delete="CASCADE")
    event = peewee.CharField(max_length=16)
    action = peewee.CharField(max_length=32)
    role_id = peewee.CharField(max_length=32, null=True)
    role_name = peewee.CharField(max_length=100, default="")
    enabled = peewee.BooleanField(default=True)
    # A role it gave that someone removes by hand while access is live comes back (SPEC §10).
    give_back = peewee.BooleanField(default=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        indexes = ((("app", "event", "enabled"), False), (("product", "event"), False))
