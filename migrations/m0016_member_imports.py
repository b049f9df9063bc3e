"""Imports of existing members (`MemberImport`, `ImportRow`, SPEC §11).

Idempotent: a database created by m0001 from today's models has the tables.
"""

from webapp.models import ImportRow, MemberImport


def upgrade(database, migrator):
    """Create the tables with their indexes."""
    database.create_tables([MemberImport, ImportRow], safe=True)
