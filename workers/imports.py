"""Job bodies: check a member import against the server, then import it."""

from webapp import jobs
from webapp.imports import domain
from workers.jobs import body


@body(jobs.CHECK_IMPORT)
def check(import_id):
    """Decide every line of the file: refused, already imported, or OK with its plan."""
    return domain.check(import_id)


@body(jobs.APPLY_IMPORT)
def apply(import_id):
    """The seller confirmed: every OK line becomes an order."""
    return domain.apply(import_id)
