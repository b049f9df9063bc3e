"""Rules of access (SPEC §4): grant intent and origin, link counts, disputes, subscriptions.

Idempotent: a database created by m0001 from today's models has these already.
"""

import peewee

from webapp.migrate import add_missing_columns
from webapp.models import Subscription

COLUMNS = {
    "grant": {
        "via": peewee.CharField(max_length=16, default="purchase"),
        "ends_with_access": peewee.BooleanField(default=False),
    },
    "customer": {"link_count": peewee.IntegerField(default=0)},
    "orders": {"dispute": peewee.CharField(max_length=8, default="")},
}


def upgrade(database, migrator):
    """Add the new columns where missing and the subscriptions table."""
    add_missing_columns(database, migrator, COLUMNS)
    database.create_tables([Subscription], safe=True)
