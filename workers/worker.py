"""Rolegate's RQ worker class."""

from rq.worker import SimpleWorker

from webapp.services import ensure_configured


class RolegateWorker(SimpleWorker):
    """Runs each job in the worker process instead of a fork per job.

    Our jobs are short, idempotent functions of ids that re-read the database, and they
    spend their time waiting on Discord. Forking per job cost most of the throughput:
    with two forking workers, 1,000 expiries due in one minute started up to 13 s late and
    drove Discord at half the permitted rate; in-process they start within about a second
    and use 98 % of it (`make bench`). A crashed job still cannot lose work: the sweeper
    re-queues what a dead worker left running. The app is configured once, at start.
    """

    def work(self, *args, **kwargs):
        """Configure settings, database and keys, then work."""
        ensure_configured()
        return super().work(*args, **kwargs)
