"""End-of-access jobs, fired by rq-scheduler at each order's `access_ends_at`."""

import logging
from datetime import timedelta

from rq.exceptions import NoSuchJobError
from rq.job import Job

from webapp.access import events
from workers.jobs import job
from workers.queues import EXPIRY, scheduler

log = logging.getLogger("rolegate.expiry")


def job_id(order_id):
    """The one scheduled job of an order (ids allow only [A-Za-z0-9_-])."""
    return f"expire-order-{order_id}"


@job(EXPIRY, timeout=120, result_ttl=600)
def expire_order(order_id):
    """Run the order's expiry if it is due (a renewed or ended order: nothing)."""
    expired = events.expire(order_id)
    log.info(
        "expiry %s", "ran" if expired else "not due: nothing to do", extra={"order_id": order_id}
    )
    return expired


def schedule(order_id, when):
    """Schedule (or move) the order's expiry job to `when` (timezone-aware UTC)."""
    opts = expire_order.rq_options
    # rq-scheduler keeps whole seconds (it truncates): round up, so it never fires early.
    if when.microsecond:
        when = when.replace(microsecond=0) + timedelta(seconds=1)
    scheduler().enqueue_at(
        when,
        expire_order,
        order_id,
        job_id=job_id(order_id),
        queue_name=opts["queue"],
        timeout=opts["timeout"],
        job_result_ttl=opts["result_ttl"],
    )


def cancel(order_id):
    """Remove the order's scheduled expiry and its job hash (rq-scheduler leaves it)."""
    sched = scheduler()
    sched.cancel(job_id(order_id))
    try:
        Job.fetch(job_id(order_id), connection=sched.connection).delete()
    except NoSuchJobError:
        pass


def scheduled_at(order_id):
    """When the order's expiry is scheduled in Redis, as epoch seconds, or None."""
    sched = scheduler()
    return sched.connection.zscore(sched.scheduled_jobs_key, job_id(order_id))
