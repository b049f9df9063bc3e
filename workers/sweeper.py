"""The sweeper: rebuild from the database whatever Redis lost or a dead worker left.

It (1) runs every due expiry not yet done, (2) reschedules future expiries missing from
rq-scheduler, (3) re-enqueues queued actions whose job is gone and running actions whose
worker died. Running it twice at once, or beside the scheduler, is safe: expiries and
action claims are conditional updates, and job ids are deterministic.
"""

import logging
from datetime import timedelta

from rq.job import Job, JobStatus

from webapp.access import events
from webapp.db import utcnow
from webapp.models import Action, Order
from webapp.services import get_redis
from workers import actions, expiry
from workers.jobs import job
from workers.queues import MAINTENANCE, scheduler

log = logging.getLogger("rolegate.sweeper")

BATCH = 500
# A queued action is left alone this long after it was due: its job may just be waiting.
QUEUED_GRACE = timedelta(seconds=30)
LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def _ids(query):
    last = 0
    while True:
        rows = [r.id for r in query.where(Order.id > last).order_by(Order.id).limit(BATCH)]
        if not rows:
            return
        yield rows
        last = rows[-1]


def run_due_expiries(now):
    """Expire every active order whose access has ended (the scheduler may have lost it)."""
    done = 0
    due = Order.select(Order.id).where(
        (Order.status == "active") & Order.access_ends_at.is_null(False)
        & (Order.access_ends_at <= now)
    )  # fmt: skip
    for batch in _ids(due):
        for order_id in batch:
            done += events.expire(order_id)
    return done


def reschedule_missing(now):
    """Schedule future expiries that rq-scheduler does not hold."""
    sched = scheduler()
    fixed = 0
    future = Order.select(Order.id).where((Order.status == "active") & (Order.access_ends_at > now))
    for batch in _ids(future):
        with sched.connection.pipeline(transaction=False) as pipe:
            for order_id in batch:
                pipe.zscore(sched.scheduled_jobs_key, expiry.job_id(order_id))
            scores = pipe.execute()
        missing = [order_id for order_id, score in zip(batch, scores, strict=True) if score is None]
        for order in Order.select().where(Order.id.in_(missing)):
            expiry.schedule(order.id, order.access_ends_at)
            fixed += 1
    return fixed


def _job_alive(job_id, conn):
    job_obj = Job.fetch_many([job_id], connection=conn)[0]
    return job_obj is not None and job_obj.get_status(refresh=False) in LIVE


def requeue_lost_actions(now):
    """Queued actions whose job is gone, and running ones whose worker died, run again."""
    conn = get_redis()
    timeout = timedelta(seconds=actions.run_action.rq_options["timeout"] + 30)
    # A worker killed mid-job leaves the action running (and its job "started"): hand it back.
    dead = [
        a.id
        for a in Action.select(Action.id).where(
            (Action.status == "running") & (Action.started_at <= now - timeout)
        )
    ]
    if dead:
        (
            Action.update(status="queued", next_attempt_at=utcnow(), updated_at=utcnow(), job_id="")
            .where(Action.id.in_(dead) & (Action.status == "running"))
            .execute()
        )
    lost = list(dead)
    stale = Action.select(Action.id, Action.job_id).where(
        (Action.status == "queued") & (Action.next_attempt_at <= now - QUEUED_GRACE)
        & Action.id.not_in(dead or [0])
    )  # fmt: skip
    for action in stale.limit(5000):
        if not _job_alive(action.job_id or actions.job_id(action.id), conn):
            lost.append(action.id)
    if lost:
        Action.update(job_id="", next_attempt_at=utcnow()).where(Action.id.in_(lost)).execute()
        actions.enqueue(lost)
    return len(lost)


@job(MAINTENANCE, timeout=600, result_ttl=600)
def sweep():
    """One pass of repairs; returns what it did."""
    now = utcnow()
    report = {
        "expired": run_due_expiries(now),
        "rescheduled": reschedule_missing(now),
        "requeued": requeue_lost_actions(now),
    }
    if any(report.values()):
        log.info("sweep repaired %s", report)
    return report
