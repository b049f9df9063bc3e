"""Settings → Webhooks: the checkout's endpoint and its signing secret."""

from flask import Blueprint, url_for
from flask_login import current_user, login_required

from webapp.pages import render
from webapp.services import settings as app_settings

bp = Blueprint("webhooks", __name__)


@bp.route("/settings/webhooks")
@login_required
def settings():
    """The endpoint URL to paste into the checkout."""
    endpoint = app_settings().public_url.rstrip("/") + url_for("webhooks.settings").replace(
        "/settings/webhooks", f"/hooks/{current_user.webhook_endpoint_id}"
    )
    return render("webhooks/settings.html", endpoint=endpoint)
