"""Claim mails become an outbox in the order's row (`Order.claim_mail_due_at`), so a paid order
and its mail are committed together and a lost Redis job loses no mail.

Idempotent: a database created by m0001 from today's models has the column and index.
"""

from webapp.db import UTCDateTimeField
from webapp.migrate import add_missing_columns, add_missing_index


def upgrade(database, migrator):
    """Add the column and its index."""
    add_missing_columns(database, migrator, {"orders": {
        "claim_mail_due_at": UTCDateTimeField(null=True),
    }})  # fmt: skip
    add_missing_index(database, migrator, "orders", ("claim_mail_due_at",))
