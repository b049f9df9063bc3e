"""The scheduler process: rq-scheduler, with our periodic jobs reconciled at start.

Periodic jobs are plain data (PERIODIC); their ids derive from the definition, so a
changed definition replaces the old one and a removed one is cancelled, as redash does.
"""

import argparse
import hashlib
import logging

from rq_scheduler import Scheduler
from rq_scheduler.utils import setup_loghandlers

from webapp.db import utcnow
from webapp.services import ensure_configured, get_redis
from workers.queues import MAINTENANCE, scheduler

log = logging.getLogger("rolegate.scheduler")

PERIODIC_PREFIX = "periodic-"


def periodic():
    """The periodic jobs, as data: function, interval in seconds, queue, timeout."""
    from workers.sweeper import sweep

    return [{"func": sweep, "interval": 30, "queue": MAINTENANCE, "timeout": 600}]


def periodic_job_id(definition):
    """A stable id for a periodic job definition, in RQ's allowed alphabet."""
    func = definition["func"]
    key = f"{func.__module__}.{func.__name__}:{definition['interval']}:{definition.get('timeout')}"
    return PERIODIC_PREFIX + hashlib.sha1(key.encode()).hexdigest()[:16]


def reconcile(sched=None, definitions=None):
    """Schedule every periodic job not scheduled yet; cancel periodic jobs no longer defined."""
    sched = sched or scheduler()
    definitions = periodic() if definitions is None else definitions
    wanted = {periodic_job_id(d): d for d in definitions}
    for job in sched.get_jobs():
        if job.id.startswith(PERIODIC_PREFIX) and job.id not in wanted:
            sched.cancel(job)
            job.delete()
            log.info("cancelled periodic job %s", job.id)
    for job_id, d in wanted.items():
        if job_id in sched:
            continue

        sched.schedule(
            scheduled_time=utcnow(),
            func=d["func"],
            interval=d["interval"],
            repeat=None,
            id=job_id,
            queue_name=d.get("queue", MAINTENANCE),
            timeout=d.get("timeout", 300),
            result_ttl=d["interval"] * 2,
        )
        log.info("scheduled periodic job %s every %s s", job_id, d["interval"])
    return sorted(wanted)


def main(argv=None):
    """Run rq-scheduler (`--interval` seconds between polls) after reconciling."""
    parser = argparse.ArgumentParser(description="Rolegate's scheduler (rq-scheduler)")
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--burst", action="store_true")
    args = parser.parse_args(argv)
    setup_loghandlers("INFO")
    ensure_configured()
    sched = Scheduler(connection=get_redis(), interval=args.interval)
    reconcile(sched)
    sched.run(burst=args.burst)


if __name__ == "__main__":
    main()
