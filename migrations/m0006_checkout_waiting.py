"""A connection's count of events that need attention (see `Checkout.waiting`), and the
provider account a post must name (Gumroad's seller ID).

Idempotent: a database created by m0001 from today's models has the column.
"""

import peewee
from playhouse.migrate import migrate


def upgrade(database, migrator):
    """Add the column and count what waits already."""
    have = {c.name for c in database.get_columns("checkout")}
    if "waiting" not in have:
        migrate(migrator.add_column("checkout", "waiting", peewee.IntegerField(default=0)))
    if "account_id" not in have:
        migrate(migrator.add_column("checkout", "account_id",
                                    peewee.CharField(max_length=100, default="")))  # fmt: skip
    database.execute_sql(
        "UPDATE checkout SET waiting = (SELECT COUNT(*) FROM webhook_event "
        "WHERE webhook_event.checkout_id = checkout.id AND webhook_event.status = 'needs_attention')"
    )
