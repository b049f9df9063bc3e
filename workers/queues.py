"""The queues, named once; every enqueue goes through here."""

from rq import Queue
from rq_scheduler import Scheduler

from webapp.services import get_redis

ACTIONS = "rolegate-actions"  # Discord operations of the outbox
EXPIRY = "rolegate-expiry"  # end-of-access jobs fired by the scheduler
MAINTENANCE = "rolegate-maintenance"  # sweeper, mail, housekeeping

# A worker takes from the first non-empty queue in this order: expiries are quick
# database work and must start on time, even behind a backlog of rate-limited actions.
QUEUES = (EXPIRY, ACTIONS, MAINTENANCE)


def queue(name):
    """The RQ queue `name` on the shared connection."""
    return Queue(name, connection=get_redis())


def scheduler():
    """rq-scheduler on the shared connection."""
    return Scheduler(connection=get_redis())
