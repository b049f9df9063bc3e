"""The brake on mass removals (SPEC §11): an app remembers when it tripped
(`App.brake_held_at`); an action released by the seller is not counted again
(`Action.brake_released`).

Idempotent: a database created by m0001 from today's models has the columns.
"""

import peewee

from webapp.db import UTCDateTimeField
from webapp.migrate import add_missing_columns


def upgrade(database, migrator):
    """Add the columns; no brake has tripped yet."""
    add_missing_columns(database, migrator, {
        "app": {"brake_held_at": UTCDateTimeField(null=True)},
        "action": {"brake_released": peewee.BooleanField(default=False)},
    })  # fmt: skip
