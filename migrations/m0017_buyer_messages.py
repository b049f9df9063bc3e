"""Messages to buyers (SPEC §12): the product's settings, the end a reminder was planned
for, and the outbox (`BuyerMessage`).

Idempotent: a database created by m0001 from today's models has them.
"""

import peewee

from webapp.db import UTCDateTimeField
from webapp.migrate import add_missing_columns
from webapp.models import BuyerMessage


def upgrade(database, migrator):
    """Add the columns and the table; no message is set up yet."""
    add_missing_columns(database, migrator, {
        "product": {
            "renewal_url": peewee.CharField(max_length=500, default=""),
            "reminder_days": peewee.IntegerField(null=True),
            "reminder_by": peewee.CharField(max_length=8, default="dm"),
            "reminder_text": peewee.TextField(default=""),
            "welcome_text": peewee.TextField(default=""),
            "payment_failed_text": peewee.TextField(default=""),
        },
        "orders": {"reminded_end": UTCDateTimeField(null=True)},
    })  # fmt: skip
    database.create_tables([BuyerMessage], safe=True)
