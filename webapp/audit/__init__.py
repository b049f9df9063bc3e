"""Settings → Audit log: every seller change, filterable, exportable as CSV."""

from flask import Blueprint, Response, request
from flask_login import current_user, login_required

from webapp.audit import log
from webapp.pages import render

bp = Blueprint("audit", __name__, url_prefix="/settings/audit")


@bp.before_request
@login_required
def _login():
    """Every page here is the seller's."""


def _filters():
    area = request.args.get("area", "")
    return (area if area in log.AREAS else ""), request.args.get("q", "").strip()[:200]


@bp.route("/")
def index():
    """The newest changes first, 50 a page."""
    area, words = _filters()
    before = request.args.get("before", type=int)
    entries = log.entries(current_user.id, area, words, before, limit=log.PAGE + 1)
    more = len(entries) > log.PAGE
    entries = entries[: log.PAGE]
    return render("audit/index.html", entries=entries, area=area, words=words, areas=log.AREAS,
                  next_before=entries[-1].id if more else None,
                  changes=log.described_changes)  # fmt: skip


@bp.route("/export.csv")
def export():
    """Every matching change, oldest first, as CSV."""
    area, words = _filters()
    return Response(
        log.as_csv(current_user.id, area, words), mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="rolegate-audit-log.csv"'},
    )  # fmt: skip
