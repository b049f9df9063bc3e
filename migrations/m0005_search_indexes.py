"""Indexes for the Orders page: "ending soon" served in (end, id) order by its index, and on
PostgreSQL an email-prefix index that works under any collation (`varchar_pattern_ops`).

Idempotent: a database created by m0001 from today's models has the orders index already.
"""

import peewee
from playhouse.migrate import migrate

from webapp.migrate import add_missing_index

OLD = "orders_seller_id_status_access_ends_at"


def upgrade(database, migrator):
    """Replace the ending index with one that includes the id; add the email pattern index."""
    add_missing_index(database, migrator, "orders", ("seller_id", "status", "access_ends_at", "id"))
    if OLD in {i.name for i in database.get_indexes("orders")}:
        migrate(migrator.drop_index("orders", OLD))
    if isinstance(database, peewee.PostgresqlDatabase):
        database.execute_sql(
            "CREATE INDEX IF NOT EXISTS customer_seller_email_prefix "
            "ON customer (seller_id, email varchar_pattern_ops)"
        )
