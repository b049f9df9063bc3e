"""The whole data model of SPEC §3."""

from webapp.models import MODELS


def upgrade(database, migrator):
    """Create every table with its indexes."""
    database.create_tables(MODELS)
