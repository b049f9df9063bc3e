"""Job body: perform one outbox action (`webapp.access.perform`)."""

from webapp import jobs
from webapp.access import perform
from workers.jobs import body


@body(jobs.RUN_ACTION)
def run_action(action_id):
    """Perform the action once (a second run of the same action does nothing)."""
    return perform.run(action_id)
