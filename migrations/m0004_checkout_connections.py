"""Checkout connections (SPEC §5.1): every seller's endpoint becomes their "Rolegate webhooks"
connection; events know their connection and what became of them; orders keep the
checkout's payment reference.

Idempotent: a database created by m0001 from today's models has the tables and columns.
"""

import peewee

from webapp.migrate import add_missing_columns, add_missing_index
from webapp.models import Checkout, Seller

COLUMNS = {
    "webhook_event": {
        "checkout_id": peewee.ForeignKeyField(
            Checkout, null=True, on_delete="SET NULL", field=Checkout.id
        ),
        "status": peewee.CharField(max_length=16, default="applied"),
        "reason": peewee.TextField(default=""),
    },
    "orders": {"payment_ref": peewee.CharField(max_length=255, null=True)},
}


def upgrade(database, migrator):
    """Create the checkout table, add the columns, and one Rolegate connection per seller."""
    database.create_tables([Checkout], safe=True)
    add_missing_columns(database, migrator, COLUMNS)
    add_missing_index(database, migrator, "orders", ("seller_id", "payment_ref"))
    add_missing_index(database, migrator, "webhook_event", ("checkout_id", "received_at"))
    have = {
        c.seller_id for c in Checkout.select(Checkout.seller).where(Checkout.provider == "rolegate")
    }
    for seller in Seller.select(Seller.id, Seller.webhook_endpoint_id):
        if seller.id not in have:
            Checkout.create(seller=seller.id, name="Rolegate webhooks", provider="rolegate",
                            endpoint_id=seller.webhook_endpoint_id)  # fmt: skip
