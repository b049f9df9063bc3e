"""Job body: the periodic sweeper (`webapp.access.sweeper`)."""

from webapp import jobs
from webapp.access import sweeper
from workers.jobs import body


@body(jobs.SWEEP)
def sweep():
    """One pass of repairs; returns what it did."""
    return sweeper.sweep()
