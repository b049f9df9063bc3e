"""Operations: queues, failed jobs, the scheduler and the oldest waiting work, for operators."""

import peewee
from flask import Blueprint, abort
from flask_login import current_user, login_required
from rq import Queue, Worker
from rq.registry import FailedJobRegistry, StartedJobRegistry

from webapp.db import utcnow
from webapp.discord import gateway_status
from webapp.health import check_scheduler
from webapp.jobs import QUEUES, scheduler
from webapp.models import Action, Order
from webapp.pages import render
from webapp.services import get_redis, settings

bp = Blueprint("operations", __name__, url_prefix="/operations")


@bp.before_request
@login_required
def _operators_only():
    """Sellers not listed in OPERATOR_EMAILS get a 404, like any page not theirs."""
    if not settings().is_operator(current_user.email):
        abort(404)


def snapshot():
    """Queue depths, failed and running jobs, workers, scheduler, outbox health."""
    conn = get_redis()
    queues = []
    for name in QUEUES:
        queue = Queue(name, connection=conn)
        queues.append({
            "name": name, "waiting": queue.count,
            "running": StartedJobRegistry(name, connection=conn).count,
            "failed": FailedJobRegistry(name, connection=conn).count,
        })  # fmt: skip
    now = utcnow()
    oldest = (
        Action.select().where((Action.status == "queued") & (Action.next_attempt_at <= now))
        .order_by(Action.next_attempt_at).first()
    )  # fmt: skip
    mails_due = Order.select(Order.claim_mail_due_at).where(Order.claim_mail_due_at <= now)
    oldest_mail = mails_due.order_by(Order.claim_mail_due_at).first()
    by_status = {
        row.status: row.n
        for row in Action.select(Action.status, peewee.fn.COUNT(Action.id).alias("n")).group_by(
            Action.status
        )
    }
    return {
        "queues": queues,
        "workers": [
            {"name": w.name, "state": w.get_state(), "queues": ", ".join(w.queue_names())}
            for w in Worker.all(connection=conn)
        ],  # fmt: skip
        "scheduler": check_scheduler(),
        "gateway": gateway_status.read(),
        "scheduled": scheduler().count(),
        "oldest": oldest,
        "oldest_age": (now - oldest.next_attempt_at).total_seconds() if oldest else None,
        "by_status": by_status,
        "mails_due": mails_due.count(),
        "oldest_mail_age": (now - oldest_mail.claim_mail_due_at).total_seconds()
        if oldest_mail
        else None,
    }


@bp.route("/")
def index():
    """The operator's page (htmx refreshes it every 5 s)."""
    return render("operations/index.html", "partials/_operations.html", **snapshot())
