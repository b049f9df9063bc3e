"""Job body: compare one Discord member with what Rolegate holds and repair drift."""

from webapp import jobs
from webapp.access import repairs
from workers.jobs import body


@body(jobs.CHECK_MEMBER)
def check_member(guild_id, user_id, why):
    """A gateway event said this member joined or changed: give back what they lost."""
    return len(repairs.check_member(guild_id, user_id, why))
