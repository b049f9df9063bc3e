"""Each seller gets the address of their buyers' "My access" page (`Seller.public_id`,
SPEC §12): existing sellers get one each.

Idempotent: a database created by m0001 from today's models has the column.
"""

import peewee

from webapp.migrate import add_missing_columns, add_missing_index
from webapp.models.accounts import Seller, new_token


def upgrade(database, migrator):
    """Add the column, give every seller their own value, then make it unique."""
    have = {c.name for c in database.get_columns("seller")}
    if "public_id" in have:
        return
    add_missing_columns(database, migrator, {"seller": {
        "public_id": peewee.CharField(max_length=32, default=""),
    }})  # fmt: skip
    for (seller_id,) in Seller.select(Seller.id).tuples():
        Seller.update(public_id=new_token(12)).where(Seller.id == seller_id).execute()
    add_missing_index(database, migrator, "seller", ["public_id"], unique=True)
