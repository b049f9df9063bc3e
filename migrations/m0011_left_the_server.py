"""Grants remember that their member left the server (`Grant.left_at`, SPEC §10): set by the
gateway's member-remove event or a reconciliation that finds the member gone, cleared when
they are back.

Idempotent: a database created by m0001 from today's models has the column.
"""

from webapp.db import UTCDateTimeField
from webapp.migrate import add_missing_columns


def upgrade(database, migrator):
    """Add the column; nobody is known to have left yet."""
    add_missing_columns(database, migrator, {"grant": {"left_at": UTCDateTimeField(null=True)}})
