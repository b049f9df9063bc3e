"""Job body: an order's end of access, fired by rq-scheduler at `access_ends_at`."""

import logging

from webapp import jobs
from webapp.access import events
from workers.jobs import body

log = logging.getLogger("rolegate.expiry")


@body(jobs.EXPIRE_ORDER)
def expire_order(order_id):
    """Run the order's expiry if it is due (a renewed or ended order: nothing)."""
    expired = events.expire(order_id)
    log.info(
        "expiry %s", "ran" if expired else "not due: nothing to do", extra={"order_id": order_id}
    )
    return expired
