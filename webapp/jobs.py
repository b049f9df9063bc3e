"""The producer side of the job system: queues, job kinds, enqueue, schedule and cancel.

Every job kind is declared once here as data (`JobKind`): the dotted path of its body in
`workers/`, its queue and its limits. The domain calls the helpers below and never imports
`workers/`; the worker side (`workers.jobs.body`) checks each body against its kind, and a
test checks that every kind resolves. Work is handed to Redis only after the database
commits (`after_commit`); if Redis is down then, the work is late, not lost: the sweeper
finds it again in the database.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq_scheduler import Scheduler

from webapp.db import db, utcnow
from webapp.services import get_redis

log = logging.getLogger("rolegate.jobs")

ACTIONS = "rolegate-actions"  # Discord operations of the outbox
EXPIRY = "rolegate-expiry"  # end-of-access jobs fired by the scheduler
MAINTENANCE = "rolegate-maintenance"  # sweeper, mail, housekeeping

# A worker takes from the first non-empty queue in this order: expiries are quick
# database work and must start on time, even behind a backlog of rate-limited actions.
QUEUES = (EXPIRY, ACTIONS, MAINTENANCE)


@dataclass(frozen=True)
class JobKind:
    """A kind of job: where its body lives, which queue runs it, and its limits."""

    func: str
    queue: str
    timeout: int
    result_ttl: int = 600
    failure_ttl: int = 7 * 24 * 3600


RUN_ACTION = JobKind("workers.actions.run_action", ACTIONS, timeout=60)
EXPIRE_ORDER = JobKind("workers.expiry.expire_order", EXPIRY, timeout=120)
SEND_CLAIM_MAILS = JobKind("workers.mail.send_claim_mails", MAINTENANCE, timeout=600)
CHECK_IMPORT = JobKind("workers.imports.check", MAINTENANCE, timeout=3600)
APPLY_IMPORT = JobKind("workers.imports.apply", MAINTENANCE, timeout=7200)
GIVE_TO_LIVE = JobKind("workers.automations.give_to_live", MAINTENANCE, timeout=3600)
SEND_BUYER_MESSAGES = JobKind("workers.mail.send_buyer_messages", MAINTENANCE, timeout=600)
SEND_ALERT_MAILS = JobKind("workers.mail.send_alert_mails", MAINTENANCE, timeout=600)
SEND_SWITCH_NOTICE = JobKind("workers.mail.send_switch_notice", MAINTENANCE, timeout=60)
SWEEP = JobKind("workers.sweeper.sweep", MAINTENANCE, timeout=600)
CATCH_UP = JobKind("workers.checkouts.catch_up", MAINTENANCE, timeout=1800)
CHECK_MEMBER = JobKind("workers.members.check_member", ACTIONS, timeout=60)
REFRESH_SERVER = JobKind("workers.members.refresh_server", ACTIONS, timeout=60)
RECONCILE = JobKind("workers.members.reconcile", MAINTENANCE, timeout=120)
RECONCILE_BATCH = JobKind("workers.members.reconcile_batch", MAINTENANCE, timeout=600)
KINDS = (
    RUN_ACTION, EXPIRE_ORDER, SEND_CLAIM_MAILS, SEND_SWITCH_NOTICE, SWEEP, CATCH_UP, CHECK_MEMBER,
    RECONCILE, RECONCILE_BATCH, REFRESH_SERVER, SEND_ALERT_MAILS, GIVE_TO_LIVE,
    CHECK_IMPORT, APPLY_IMPORT, SEND_BUYER_MESSAGES,
)  # fmt: skip


@dataclass(frozen=True)
class Periodic:
    """A job that runs every `interval` seconds; its id derives from the definition."""

    kind: JobKind
    interval: int

    @property
    def job_id(self):
        """A stable id in RQ's alphabet: a changed definition gets a new one."""
        key = f"{self.kind.func}:{self.interval}:{self.kind.timeout}"
        return PERIODIC_PREFIX + hashlib.sha1(key.encode()).hexdigest()[:16]


PERIODIC_PREFIX = "periodic-"
PERIODIC = (Periodic(SWEEP, interval=30),)


def periodic():
    """Every periodic job: the sweeper, and the reconciliation every RECONCILE_EVERY seconds
    (0 turns it off)."""
    from webapp.services import settings

    every = settings().reconcile_every
    return PERIODIC + ((Periodic(RECONCILE, interval=every),) if every > 0 else ())


def queue(name):
    """The RQ queue `name` on the shared connection."""
    return Queue(name, connection=get_redis())


def scheduler(**kwargs):
    """rq-scheduler on the shared connection."""
    return Scheduler(connection=get_redis(), **kwargs)


# Job ids: RQ allows only [A-Za-z0-9_-].


def action_job_id(action_id, attempt=None):
    """The RQ job id of an action's run (a retry gets its own)."""
    return f"action-{action_id}" if attempt is None else f"action-{action_id}-retry-{attempt}"


def expiry_job_id(order_id):
    """The one scheduled expiry job of an order."""
    return f"expire-order-{order_id}"


# Sending now.


def enqueue_actions_now(action_ids):
    """Queue the run jobs of these actions, in one Redis round trip."""
    kind = RUN_ACTION
    queue(kind.queue).enqueue_many(
        [
            Queue.prepare_data(
                kind.func,
                args=(action_id,),
                job_id=action_job_id(action_id),
                timeout=kind.timeout,
                result_ttl=kind.result_ttl,
                failure_ttl=kind.failure_ttl,
            )  # fmt: skip
            for action_id in action_ids
        ]
    )


def schedule_action_retry(action_id, when, attempt_tag):
    """Run the action again at `when` (a retry after backoff or a rate limit)."""
    job_id = action_job_id(action_id, attempt_tag)
    kind = RUN_ACTION
    _enqueue_at_exactly(
        scheduler(), when, kind.func, action_id, job_id=job_id, queue_name=kind.queue,
        timeout=kind.timeout, job_result_ttl=kind.result_ttl,
    )  # fmt: skip
    return job_id


def schedule_expiry_now(order_id, when):
    """Schedule (or move) the order's expiry job to `when` (timezone-aware UTC)."""
    kind = EXPIRE_ORDER
    _enqueue_at_exactly(
        scheduler(), when, kind.func, order_id, job_id=expiry_job_id(order_id),
        queue_name=kind.queue, timeout=kind.timeout, job_result_ttl=kind.result_ttl,
    )  # fmt: skip


def _enqueue_at_exactly(sched, when, *args, **kwargs):
    """`enqueue_at`, keeping `when` to the microsecond.

    rq-scheduler stores whole seconds (it truncates, so a job could fire up to a second
    early). The job goes in at the next whole second — never early, even if we stop right
    here — and then its score is set to the exact time, which our scheduler compares with
    the clock to the microsecond (workers.scheduler).
    """
    ceiling = when.replace(microsecond=0) + timedelta(seconds=1) if when.microsecond else when
    job = sched.enqueue_at(ceiling, *args, **kwargs)
    sched.connection.zadd(sched.scheduled_jobs_key, {job.id: when.timestamp()})
    return job


def cancel_expiry_now(order_id):
    """Remove the order's scheduled expiry and its job hash (rq-scheduler leaves it)."""
    sched = scheduler()
    sched.cancel(expiry_job_id(order_id))
    try:
        Job.fetch(expiry_job_id(order_id), connection=sched.connection).delete()
    except NoSuchJobError:
        pass


def expiry_scheduled_at(order_id):
    """When the order's expiry is scheduled in Redis, as epoch seconds, or None."""
    sched = scheduler()
    return sched.connection.zscore(sched.scheduled_jobs_key, expiry_job_id(order_id))


CLAIM_MAILS_JOB_ID = "claim-mails"


ALERT_MAILS_JOB_ID = "alert-mails"
BUYER_MESSAGES_JOB_ID = "buyer-messages"


def enqueue_claim_mails():
    """Queue the claim-mail sender unless it is queued or running already (the mails wait in
    the database: `claim.mails`); True when queued."""
    return _enqueue_single(SEND_CLAIM_MAILS, CLAIM_MAILS_JOB_ID)


def enqueue_buyer_messages():
    """Queue the buyer-message sender unless it is queued or running (`messages.outbox`)."""
    return _enqueue_single(SEND_BUYER_MESSAGES, BUYER_MESSAGES_JOB_ID)


def enqueue_alert_mails():
    """Queue the alert mailer unless it is queued or running already (`webapp.alerts`)."""
    return _enqueue_single(SEND_ALERT_MAILS, ALERT_MAILS_JOB_ID)


def enqueue_give_to_live(automation_id):
    """Give a newly added purchase automation to the live orders (`automations.live`)."""
    _enqueue_one(GIVE_TO_LIVE, (automation_id,), f"give-to-live-{automation_id}-{time.time_ns()}")


def enqueue_import(kind, import_id):
    """Check or apply a member import (`imports.domain`), after the transaction commits."""
    after_commit(f"queue {kind.func} of import {import_id}",
                 lambda: _enqueue_one(kind, (import_id,), f"import-{import_id}-{time.time_ns()}"))  # fmt: skip


def _enqueue_single(kind, job_id):
    try:
        status = Job.fetch(job_id, connection=get_redis()).get_status()
    except NoSuchJobError:
        status = None
    if status in (JobStatus.QUEUED, JobStatus.STARTED):
        return False
    _enqueue_one(kind, (), job_id)
    return True


def enqueue_switch_notice_now(switch_id, old_name):
    """Queue the mail that tells a buyer their access moved to another account."""
    _enqueue_one(SEND_SWITCH_NOTICE, (switch_id, old_name), f"switch-notice-{switch_id}")


def enqueue_member_check(guild_id, user_id, why):
    """Compare one member with what Rolegate holds (a gateway event said they changed)."""
    _enqueue_one(CHECK_MEMBER, (guild_id, user_id, why),
                 f"member-{guild_id}-{user_id}-{time.time_ns()}")  # fmt: skip


def enqueue_server_refresh(guild_id):
    """Look at a server again (a gateway event said its roles or the bot changed)."""
    _enqueue_one(REFRESH_SERVER, (guild_id,), f"server-{guild_id}-{time.time_ns()}")


def urgent_work_waiting():
    """True when expiries or Discord actions wait in their queues (one Redis round trip):
    a long maintenance job stops to let a worker take them."""
    pipe = get_redis().pipeline(transaction=False)
    for name in (EXPIRY, ACTIONS):
        pipe.llen(queue(name).key)
    return any(pipe.execute())


def enqueue_reconcile_batch(app_id, after, until="", delay=0):
    """Queue the next batch of an app's reconciliation (after `delay` seconds when spread)."""
    job_id = f"reconcile-{app_id}-{time.time_ns()}"
    if delay > 0:
        scheduler().enqueue_in(timedelta(seconds=delay), RECONCILE_BATCH.func, app_id, after,
                               until, job_id=job_id, queue_name=RECONCILE_BATCH.queue,
                               timeout=RECONCILE_BATCH.timeout)  # fmt: skip
    else:
        _enqueue_one(RECONCILE_BATCH, (app_id, after, until), job_id)


def enqueue_catch_up(checkout_id):
    """Catch a checkout connection up (one at a time per connection: a fixed job id)."""
    _enqueue_one(CATCH_UP, (checkout_id,), f"catch-up-{checkout_id}")


def _enqueue_one(kind, args, job_id):
    """Queue one job in one Redis round trip (`enqueue` takes several)."""
    queue(kind.queue).enqueue_many(
        [Queue.prepare_data(kind.func, args=args, job_id=job_id, timeout=kind.timeout,
                            result_ttl=kind.result_ttl, failure_ttl=kind.failure_ttl)]
    )  # fmt: skip


# Sending after the transaction commits.


def after_commit(what, send):
    """Run send() once the current transaction commits (at once outside one).

    A Redis failure is logged, not raised: the database holds the work and the sweeper
    hands it to Redis again.
    """

    def guarded():
        try:
            send()
        except redis.RedisError as exc:
            log.warning("could not %s (%s); the sweeper will", what, exc)

    if db.transaction_depth() > 0:
        db.after_commit(guarded)
    else:
        guarded()


def enqueue_actions(action_ids):
    """Queue these actions' jobs once the current transaction has committed."""
    ids = list(action_ids)
    if ids:
        after_commit(f"enqueue actions {ids}", lambda: enqueue_actions_now(ids))


def schedule_expiry(order_id, when):
    """(Re)schedule the order's expiry at `when`, or cancel it when `when` is None."""

    def send():
        if when is None:
            cancel_expiry_now(order_id)
        else:
            schedule_expiry_now(order_id, when)

    after_commit(f"schedule the expiry of order {order_id}", send)


def enqueue_switch_notice(switch_id, old_name):
    """Mail the buyer about a switch once it is committed."""
    after_commit(
        f"queue the switch notice {switch_id}",
        lambda: enqueue_switch_notice_now(switch_id, old_name),
    )


# Periodic jobs.


def reconcile_periodic(sched=None, definitions=None):
    """Schedule every periodic job that is missing; cancel those no longer defined.

    Called at scheduler start and on every poll, so a flushed Redis gets them back.
    """
    sched = sched or scheduler()
    wanted = {p.job_id: p for p in (definitions or periodic())}
    conn = sched.connection
    scores = [conn.zscore(sched.scheduled_jobs_key, job_id) for job_id in wanted]
    added = []
    for (job_id, p), score in zip(wanted.items(), scores, strict=True):
        if score is not None and conn.exists(Job.key_for(job_id)):
            continue
        sched.schedule(
            scheduled_time=utcnow(), func=p.kind.func, interval=p.interval, repeat=None,
            id=job_id, queue_name=p.kind.queue, timeout=p.kind.timeout,
            result_ttl=p.interval * 2,
        )  # fmt: skip
        added.append(job_id)
        log.info("scheduled periodic job %s every %s s", job_id, p.interval)
    return added


def cancel_stale_periodic(sched=None, definitions=None):
    """Cancel periodic jobs whose definition is gone (a changed interval, a removed job)."""
    sched = sched or scheduler()
    wanted = {p.job_id for p in (definitions or periodic())}
    cancelled = []
    for job in sched.get_jobs():
        if job.id.startswith(PERIODIC_PREFIX) and job.id not in wanted:
            sched.cancel(job)
            job.delete()
            cancelled.append(job.id)
    return cancelled
