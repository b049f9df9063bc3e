"""Orders say where they came from (`Order.source`: checkout, manual) and may carry their own
length of access (`Order.access_days`: access given by hand for N days, SPEC §11).

Idempotent: a database created by m0001 from today's models has the columns.
"""

import peewee

from webapp.migrate import add_missing_columns


def upgrade(database, migrator):
    """Add the columns; every existing order came from a checkout."""
    add_missing_columns(database, migrator, {"orders": {
        "source": peewee.CharField(max_length=16, default="checkout"),
        "access_days": peewee.IntegerField(null=True),
    }})  # fmt: skip
