"""The scheduler process: rq-scheduler, with our periodic jobs kept registered."""

import argparse
import logging
import time

import peewee
from rq_scheduler import Scheduler
from rq_scheduler.utils import setup_loghandlers

from webapp import alerts, jobs
from webapp.claim import mails
from webapp.messages import outbox as buyer_messages
from webapp.services import ensure_configured, get_redis, settings

log = logging.getLogger("rolegate.scheduler")


class RolegateScheduler(Scheduler):
    """rq-scheduler that re-registers what Redis lost, on every poll.

    rq-scheduler registers itself and our periodic jobs (the sweeper) once, at start. If
    Redis is flushed or restarted empty under a running scheduler, both vanish until a
    restart — and with them every repair the sweeper makes. Each poll checks (a few Redis
    reads) and puts back what is missing.
    """

    next_plan = 0.0

    def enqueue_jobs(self):
        """Re-register the scheduler and the periodic jobs if gone, queue the claim-mail
        sender and the alert mailer when mails are due, then move due jobs."""
        if not self.connection.exists(self.key):
            self.register_birth()
        jobs.reconcile_periodic(self)
        try:
            mails.queue_sender_if_due()
            alerts.queue_mailer_if_due()
            if time.monotonic() >= self.next_plan:  # reminders: planned once a minute
                buyer_messages.plan_reminders()
                self.next_plan = time.monotonic() + settings().reminder_plan_every
            buyer_messages.queue_sender_if_due()
        except peewee.DatabaseError as exc:  # the database is away: mails wait for it
            log.warning("could not look for due mails (%s)", exc)
        return super().enqueue_jobs()

    def get_jobs_to_queue(self, with_times=False):
        """Jobs due now, to the microsecond (rq-scheduler compares whole seconds).

        With whole seconds a job due at 12:00:00.2 waits for the first poll after 12:00:01;
        our producer stores exact scores (`webapp.jobs`), so it goes at the first poll after
        12:00:00.2.
        """
        return self.get_jobs(time.time(), with_times=with_times)


def main(argv=None):
    """Run rq-scheduler (`--interval` seconds between polls) after reconciling."""
    parser = argparse.ArgumentParser(description="Rolegate's scheduler (rq-scheduler)")
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--burst", action="store_true")
    args = parser.parse_args(argv)
    setup_loghandlers("INFO")
    ensure_configured()
    sched = RolegateScheduler(connection=get_redis(), interval=args.interval)
    jobs.cancel_stale_periodic(sched)
    jobs.reconcile_periodic(sched)
    sched.run(burst=args.burst)


if __name__ == "__main__":
    main()
