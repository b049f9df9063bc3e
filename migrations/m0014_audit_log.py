"""The audit log (`AuditEntry`): every seller change with its time (SPEC §11).

Idempotent: a database created by m0001 from today's models has the table.
"""

from webapp.models import AuditEntry


def upgrade(database, migrator):
    """Create the table with its indexes."""
    database.create_tables([AuditEntry], safe=True)
