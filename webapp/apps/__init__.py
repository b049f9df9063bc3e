"""Automation → Apps: the seller's Discord server connections."""

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from webapp.apps.forms import AppForm
from webapp.models import App
from webapp.pages import render
from webapp.tenancy import get_owned, owned_query

bp = Blueprint("apps", __name__, url_prefix="/apps")


@bp.before_request
@login_required
def _login():
    """Every page here is the seller's."""


@bp.route("/")
def index():
    """Every app of the seller, with its status."""
    apps = owned_query(App).order_by(App.created_at)
    return render("apps/index.html", apps=list(apps))


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Name a new app, then connect it to Discord."""
    form = AppForm()
    if form.validate_on_submit():
        app = App.create(
            seller=current_user.id, name=form.name.data.strip(), notes=form.notes.data or ""
        )
        flash(f"App “{app.name}” created. Now connect it to your Discord server.", "success")
        return redirect(url_for("apps.show", app_id=app.id))
    return render("apps/new.html", form=form, status=422 if form.errors else 200)


@bp.route("/<app_id>")
def show(app_id):
    """One app: its connection and what the bot can do."""
    app = get_owned(App, app_id)
    return render("apps/show.html", app=app)
