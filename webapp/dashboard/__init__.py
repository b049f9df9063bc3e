"""The seller's overview: setup checklist and latest activity."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from webapp.dashboard import overview as domain
from webapp.pages import is_htmx, render

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index():
    """Home: the dashboard for a seller, the sign-up page for a visitor."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.overview"))
    return redirect(url_for("accounts.signup"))


@bp.route("/overview")
@login_required
def overview():
    """Setup checklist and the latest activity."""
    from webapp.dashboard import charts, svg

    if is_htmx():  # the activity list refreshing itself
        return render("partials/_activity.html", activity=domain.latest_activity(current_user))
    return render(
        "dashboard/overview.html",
        checklist=domain.checklist(current_user),
        activity=domain.latest_activity(current_user),
        attention=domain.needing_attention(current_user),
        business=charts.history(current_user.id),
        svg=svg,
    )


@bp.route("/alerts")
@login_required
def alerts():
    """The bell: what needs the seller now, and what was fixed lately."""
    from webapp import alerts as seller_alerts

    return render("dashboard/alerts.html", alerts=seller_alerts.recent(current_user.id))
