"""Buyers as a checkout names them (`CheckoutCustomer`): Paddle's payments carry a customer id,
not an email.

Idempotent: a database created by m0001 from today's models has the table.
"""

from webapp.models import CheckoutCustomer


def upgrade(database, migrator):
    """Create the table with its unique (checkout, ref) index."""
    database.create_tables([CheckoutCustomer], safe=True)
