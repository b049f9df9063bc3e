"""Job body: give a newly added purchase automation to the orders with live access."""

from webapp import jobs
from webapp.automations import live
from workers.jobs import body


@body(jobs.GIVE_TO_LIVE)
def give_to_live(automation_id):
    """The seller chose "Also give it to the members with live access"."""
    return live.give_to_live(automation_id)
