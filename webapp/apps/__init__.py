"""Automation → Apps: the seller's Discord server connections."""

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_dance.consumer import oauth_authorized, oauth_error
from flask_login import current_user, login_required

from webapp import oauth
from webapp.access import brake, reconcile
from webapp.apps import connection
from webapp.apps.forms import AppForm
from webapp.audit import log as audit
from webapp.models import App
from webapp.pages import render
from webapp.services import get_discord
from webapp.tenancy import get_owned, owned_query

bp = Blueprint("apps", __name__, url_prefix="/apps")
CONNECTING = "connecting_app_id"


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
        audit.record("app", f"App “{app.name}” created",
                     link=url_for("apps.show", app_id=app.id))  # fmt: skip
        flash(f"App “{app.name}” created. Now connect it to your Discord server.", "success")
        return redirect(url_for("apps.show", app_id=app.id))
    return render("apps/new.html", form=form, status=422 if form.errors else 200)


def _context(app):
    from webapp.automations import domain as automations

    listed = automations.for_app(app)
    return {
        "app": app,
        "automations": listed,
        "blocked": connection.blocked_automations(app, listed),
        "checks": connection.permission_checks(app),
        "roles": connection.role_rows(app),
        "bot_role": connection.bot_top_role(app),
        "member_check": reconcile.progress(app.id),
        **_held(app),
    }


def _held(app):
    count, actions = brake.held(app)
    names = {r["id"]: r["name"] for r in app.roles}
    return {"held_count": count, "held_actions": actions, "held_since": app.brake_held_at,
            "role_names": names}  # fmt: skip


@bp.route("/<app_id>/removals/release", methods=["POST"])
def release_removals(app_id):
    """The seller says the held removals are right: run them."""
    app = get_owned(App, app_id)
    count = brake.release(app)
    audit.record("brake", f"Held removals released on “{app.name}”: {count} will run",
                 link=url_for("apps.show", app_id=app.id))  # fmt: skip
    flash(f"{count} held removal(s) released: they run now.", "success")
    return redirect(url_for("apps.show", app_id=app.id))


@bp.route("/<app_id>/removals/cancel", methods=["POST"])
def cancel_removals(app_id):
    """The seller says the held removals are wrong: skip them, keep the roles."""
    app = get_owned(App, app_id)
    count = brake.cancel(app)
    audit.record("brake", f"Held removals cancelled on “{app.name}”: {count} skipped, their "
                 "roles kept", link=url_for("apps.show", app_id=app.id))  # fmt: skip
    flash(f"{count} held removal(s) cancelled: the roles stay.", "success")
    return redirect(url_for("apps.show", app_id=app.id))


@bp.route("/<app_id>")
def show(app_id):
    """One app: its connection and what the bot can do."""
    return render("apps/show.html", **_context(get_owned(App, app_id)))


@bp.route("/<app_id>/connect", methods=["POST"])
def connect(app_id):
    """Send the seller to Discord to add the bot to a server (or the same one again)."""
    app = get_owned(App, app_id)
    session[CONNECTING] = app.id
    params = {"permissions": oauth.BOT_PERMISSIONS}
    if app.guild_id:
        params.update(guild_id=app.guild_id, disable_guild_select="true")
    return oauth.authorization_redirect(oauth.bot_blueprint(), **params)


@bp.route("/<app_id>/check", methods=["POST"])
def check(app_id):
    """Look at the server again (htmx: the connection panel replaces itself)."""
    app = get_owned(App, app_id)
    if app.guild_id and app.status != "disconnected":
        connection.refresh(app, get_discord())
        connection.resume_waiting(app)
    return render("apps/show.html", "partials/_connection.html", **_context(app))


@bp.route("/<app_id>/members", methods=["GET", "POST"])
def check_members(app_id):
    """Check every member now (POST starts it); the progress panel polls itself (htmx)."""
    app = get_owned(App, app_id)
    if request.method == "POST" and not reconcile.start(app):
        flash("Connect the app to its server first.", "error")
    if request.method == "POST" and not request.headers.get("HX-Request"):
        return redirect(url_for("apps.show", app_id=app.id))
    return render("apps/show.html", "partials/_member_check.html", **_context(app))


@bp.route("/<app_id>/disconnect", methods=["POST"])
def disconnect(app_id):
    """Stop acting in the server; work waits and runs once it is connected to it again."""
    app = get_owned(App, app_id)
    name = app.guild_name
    # The guild is kept: waiting actions belong to it, and resume when it is connected again.
    app.status, app.bot_permissions, app.bot_top_position = "disconnected", 0, 0
    app.save()
    connection.report(app)
    audit.record("app", f"App “{app.name}” disconnected from {name or 'its server'}",
                 link=url_for("apps.show", app_id=app.id))  # fmt: skip
    flash(
        f"“{app.name}” is disconnected from {name or 'its server'}. Orders meanwhile wait and "
        "run when you connect it again. To remove the bot from the server too, kick it in "
        "Discord (Server Settings → Members).",
        "info",
    )
    return redirect(url_for("apps.show", app_id=app.id))


def _connecting_app():
    app_id = session.pop(CONNECTING, None)
    if app_id is None or not current_user.is_authenticated:
        abort(404)
    return get_owned(App, app_id)


def on_bot_authorized(blueprint, token):
    """Discord sent the bot-install token: take the guild from it and look at the server."""
    app = _connecting_app()
    guild = token.get("guild")
    if not guild:
        flash("Discord did not say which server the bot joined. Try connecting again.", "error")
        return redirect(url_for("apps.show", app_id=app.id))
    taken = owned_query(App).where((App.guild_id == str(guild["id"])) & (App.id != app.id)).first()
    if taken:
        if taken.status == "disconnected":
            flash(f"{guild.get('name')} belongs to the app “{taken.name}”, disconnected: "
                  "connect that app again to resume its work.", "error")  # fmt: skip
        else:
            flash(f"{guild.get('name')} is already connected as the app “{taken.name}”.", "error")
        return redirect(url_for("apps.show", app_id=taken.id))
    connection.connect(app, guild)
    connection.refresh(app, get_discord())
    connection.resume_waiting(app)
    audit.record("app", f"App “{app.name}” connected to {app.guild_name}",
                 link=url_for("apps.show", app_id=app.id))  # fmt: skip
    flash(f"Connected to {app.guild_name}.", "success")
    return redirect(url_for("apps.show", app_id=app.id))


def on_bot_error(blueprint, error, error_description=None, error_uri=None):
    """The seller cancelled on Discord, or Discord refused: say so on the app's page."""
    app = _connecting_app()
    if error == "access_denied":
        flash("You cancelled on Discord, so nothing changed. Connect again when ready.", "info")
    else:
        flash(f"Discord refused the connection: {error_description or error}.", "error")
    return redirect(url_for("apps.show", app_id=app.id))


def init_app(app):
    """Listen to the bot-install blueprint's signals."""
    bot = app.extensions["discord_bot_oauth"]
    oauth_authorized.connect(on_bot_authorized, sender=bot, weak=False)
    oauth_error.connect(on_bot_error, sender=bot, weak=False)
