"""The seller's hand on the outbox: retry what failed."""

from webapp import alerts, jobs
from webapp.db import db, utcnow
from webapp.models import Action

RETRYABLE = ("failed",)


def retry(action):
    """Queue a failed action again from its first attempt; False when it is not failed."""
    with db.atomic():
        updated = (
            Action.update(
                status="queued",
                attempts=0,
                next_attempt_at=utcnow(),
                updated_at=utcnow(),
                finished_at=None,
                job_id="",
            )  # fmt: skip
            .where((Action.id == action.id) & Action.status.in_(RETRYABLE))
            .execute()
        )
        if updated:
            jobs.enqueue_actions([action.id])
            alerts.review_failures(action.seller_id)
    return bool(updated)
