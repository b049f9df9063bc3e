"""Job body: compare one Discord member with what Rolegate holds and repair drift."""

from webapp import jobs
from webapp.access import reconcile as reconciliation
from webapp.access import repairs
from webapp.apps import connection
from webapp.services import get_discord, settings
from workers.jobs import body


@body(jobs.CHECK_MEMBER)
def check_member(guild_id, user_id, why):
    """A gateway event said this member joined or changed: give back what they lost."""
    return len(repairs.check_member(guild_id, user_id, why))


@body(jobs.RECONCILE)
def reconcile():
    """The periodic safety net: start checking every connected server, spread over the
    period."""
    return reconciliation.start_all(spread=settings().reconcile_every * 0.8)


@body(jobs.RECONCILE_BATCH)
def reconcile_batch(app_id, after, until=""):
    """Check one batch of an app's members; the next batch is queued by it."""
    return reconciliation.run_batch(app_id, after, until)


@body(jobs.REFRESH_SERVER)
def refresh_server(guild_id):
    """A role was deleted or moved, or the bot removed: refresh the apps on that server."""
    return connection.refresh_guild(guild_id, get_discord())
