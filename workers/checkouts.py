"""Job body: catch a checkout connection up with the events it missed."""

import logging

from webapp import jobs
from webapp.checkouts import catchup
from workers.jobs import body

log = logging.getLogger("rolegate.checkouts")


@body(jobs.CATCH_UP)
def catch_up(checkout_id):
    """Apply the provider's events of the last 30 days that Rolegate never received."""
    result = catchup.run(checkout_id)
    log.info("catch up: %s", result, extra={"checkout_id": checkout_id})
    return result
