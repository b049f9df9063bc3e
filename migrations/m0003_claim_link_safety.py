"""Claim links as bearer credentials (SPEC §6): switch codes and the switches made.

Idempotent: a database created by m0001 from today's models has these already.
"""

import peewee

from webapp.db import UTCDateTimeField
from webapp.migrate import add_missing_columns
from webapp.models import AccountSwitch

COLUMNS = {
    "switch_code_hash": peewee.CharField(max_length=128, default=""),
    "switch_code_expires_at": UTCDateTimeField(null=True),
    "switch_code_attempts": peewee.IntegerField(default=0),
}


def upgrade(database, migrator):
    """Add the customer's switch-code columns and the account_switch table."""
    add_missing_columns(database, migrator, {"customer": COLUMNS})
    database.create_tables([AccountSwitch], safe=True)
