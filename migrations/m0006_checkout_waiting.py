"""A connection's count of events that need attention (see `Checkout.waiting`), and the
provider account a post must name (Gumroad's seller ID).

Idempotent: a database created by m0001 from today's models has the column.
"""

import peewee

from webapp.migrate import add_missing_columns


def upgrade(database, migrator):
    """Add the column and count what waits already."""
    add_missing_columns(database, migrator, {"checkout": {
        "waiting": peewee.IntegerField(default=0),
        "account_id": peewee.CharField(max_length=100, default=""),
    }})  # fmt: skip
    database.execute_sql(
        "UPDATE checkout SET waiting = (SELECT COUNT(*) FROM webhook_event "
        "WHERE webhook_event.checkout_id = checkout.id AND webhook_event.status = 'needs_attention')"
    )
