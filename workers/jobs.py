"""How every job runs: configured process, a database connection, declared queue and limits."""

import functools

from webapp.db import db
from webapp.services import ensure_configured


def job(queue, timeout, ttl=None, result_ttl=3600, failure_ttl=7 * 24 * 3600):
    """Declare a job function's queue and limits where it is defined (as redash does).

    The wrapper configures the process on first use and gives the job its own database
    connection; the limits are read by the enqueue helpers from `fn.rq_options`.
    """

    def decorate(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            ensure_configured()
            with db.connection_context():
                return fn(*args, **kwargs)

        run.rq_options = {
            "queue": queue,
            "timeout": timeout,
            "ttl": ttl,
            "result_ttl": result_ttl,
            "failure_ttl": failure_ttl,
        }
        return run

    return decorate
