"""How every job body runs: a configured process and a database connection of its own."""

import functools


def body(kind):
    """Mark a function as the body of `kind` (a `webapp.jobs.JobKind`) and wrap it.

    The wrapper configures the process on first use and gives the job its own database
    connection. `kind.func` must name the wrapped function: `tests/test_architecture.py`
    checks every kind against its body.
    """
    from webapp.db import db
    from webapp.services import ensure_configured

    def decorate(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            ensure_configured()
            with db.connection_context():
                return fn(*args, **kwargs)

        run.kind = kind
        return run

    return decorate
