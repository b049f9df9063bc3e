"""Claim links as bearer credentials (SPEC §6): switch codes and the switches made.

Idempotent: a database created by m0001 from today's models has these already.
"""

import peewee
from playhouse.migrate import migrate

from webapp.db import UTCDateTimeField
from webapp.models import AccountSwitch

COLUMNS = {
    "switch_code_hash": peewee.CharField(max_length=128, default=""),
    "switch_code_expires_at": UTCDateTimeField(null=True),
    "switch_code_attempts": peewee.IntegerField(default=0),
}


def upgrade(database, migrator):
    """Add the customer's switch-code columns and the account_switch table."""
    have = {c.name for c in database.get_columns("customer")}
    ops = [migrator.add_column("customer", n, f) for n, f in COLUMNS.items() if n not in have]
    if ops:
        migrate(*ops)
    database.create_tables([AccountSwitch], safe=True)
