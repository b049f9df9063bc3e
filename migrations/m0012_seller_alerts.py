"""Seller alerts (`Alert`): an app or automation broken, shown as a banner and mailed in a
digest at most once an hour (SPEC §10, §12).

Idempotent: a database created by m0001 from today's models has the table.
"""

from webapp.models import Alert


def upgrade(database, migrator):
    """Create the table with its indexes."""
    database.create_tables([Alert], safe=True)
