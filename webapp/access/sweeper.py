"""The sweeper: rebuild from the database whatever Redis lost or a dead worker left.

It (1) runs every due expiry not yet done, (2) reschedules future expiries missing from
rq-scheduler, (3) re-enqueues queued actions whose job is gone, and hands back running
actions whose worker died — failing, with a sentence, one that has used up its attempts, so
nothing loops. Running it twice at once, or beside the scheduler, is safe: expiries and
action claims are conditional updates, and job ids are deterministic.
"""

import logging
from datetime import timedelta

from rq.job import Job, JobStatus

from webapp import jobs
from webapp.access import events, locks, perform
from webapp.db import utcnow
from webapp.models import Action, Order
from webapp.services import get_redis

log = logging.getLogger("rolegate.sweeper")

BATCH = 500
# A queued action is left alone this long after it was due: its job may just be waiting.
QUEUED_GRACE = timedelta(seconds=30)
LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
DIED = (
    "The worker doing this stopped {n} times before it finished (a crash or a timeout). "
    "Retry it; if it stops again, contact Rolegate's operator."
)


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
    sched = jobs.scheduler()
    fixed = 0
    future = Order.select(Order.id).where((Order.status == "active") & (Order.access_ends_at > now))
    for batch in _ids(future):
        with sched.connection.pipeline(transaction=False) as pipe:
            for order_id in batch:
                pipe.zscore(sched.scheduled_jobs_key, jobs.expiry_job_id(order_id))
            scores = pipe.execute()
        missing = [order_id for order_id, score in zip(batch, scores, strict=True) if score is None]
        for order in Order.select().where(Order.id.in_(missing)):
            jobs.schedule_expiry_now(order.id, order.access_ends_at)
            fixed += 1
    return fixed


def _job_alive(job_id, conn):
    job_obj = Job.fetch_many([job_id], connection=conn)[0]
    return job_obj is not None and job_obj.get_status(refresh=False) in LIVE


def requeue_lost_actions(now):
    """Queued actions whose job is gone, and running ones whose worker died, run again."""
    conn = get_redis()
    timeout = timedelta(seconds=jobs.RUN_ACTION.timeout + 30)
    dead = list(
        Action.select(Action.id, Action.attempts, Action.guild_id, Action.discord_user_id).where(
            (Action.status == "running") & (Action.started_at <= now - timeout)
        )
    )
    limit = perform.max_attempts()
    spent = [a.id for a in dead if a.attempts >= limit]
    if spent:
        Action.update(
            status="failed", last_error=DIED.format(n=limit), finished_at=now, updated_at=now
        ).where(Action.id.in_(spent) & (Action.status == "running")).execute()
        log.warning("actions %s failed: their worker died %s times", spent, limit)
    for action in dead:
        locks.break_member_lock(action.guild_id, action.discord_user_id, action.id)
    back = [a.id for a in dead if a.attempts < limit]
    if back:
        # A worker killed mid-job leaves the action running (and its job "started").
        Action.update(status="queued", next_attempt_at=now, updated_at=now, job_id="").where(
            Action.id.in_(back) & (Action.status == "running")
        ).execute()
    lost = list(back)
    stale = Action.select(Action.id, Action.job_id).where(
        (Action.status == "queued") & (Action.next_attempt_at <= now - QUEUED_GRACE)
        & Action.id.not_in(back or [0])
    )  # fmt: skip
    for action in stale.limit(5000):
        if not _job_alive(action.job_id or jobs.action_job_id(action.id), conn):
            lost.append(action.id)
    if lost:
        Action.update(job_id="", next_attempt_at=utcnow()).where(Action.id.in_(lost)).execute()
        jobs.enqueue_actions_now(lost)
    return len(lost)


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
