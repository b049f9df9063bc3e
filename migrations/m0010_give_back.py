"""Automations say whether a role removed by hand comes back (`Automation.give_back`, on by
default, SPEC §10).

Idempotent: a database created by m0001 from today's models has the column.
"""

import peewee

from webapp.migrate import add_missing_columns


def upgrade(database, migrator):
    """Add the column; existing automations give back."""
    add_missing_columns(database, migrator, {"automation": {
        "give_back": peewee.BooleanField(default=True),
    }})  # fmt: skip
