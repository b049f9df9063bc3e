"""Discord OAuth2 through flask-dance: the seller's bot install and the buyer's link.

Both blueprints keep no token in the session (NullStorage): the `oauth_authorized`
handlers of apps/ and claim/ store what they need in the database. Authorization URLs with
per-request parameters are built in our own views (see `authorization_redirect`).
"""

import os

from flask import current_app, redirect, request, session, url_for
from flask_dance.consumer import OAuth2ConsumerBlueprint
from flask_dance.consumer.storage import NullStorage
from oauthlib.oauth2.rfc6749.errors import MismatchingStateError, OAuth2Error

from webapp.errors import error_page

BOT_SCOPE = ["bot"]
BOT_PERMISSIONS = 268435459  # CREATE_INSTANT_INVITE | KICK_MEMBERS | MANAGE_ROLES
BUYER_SCOPE = ["identify", "guilds.join"]


def _blueprint(name, import_name, settings, scope, url_prefix):
    base = settings.discord_url.rstrip("/")
    return OAuth2ConsumerBlueprint(
        name,
        import_name,
        client_id=settings.discord_client_id,
        client_secret=settings.discord_client_secret,
        scope=scope,
        base_url=f"{base}/api/v10/",
        authorization_url=f"{base}/oauth2/authorize",
        token_url=f"{base}/api/oauth2/token",
        url_prefix=url_prefix,
        login_url="/login",
        authorized_url="/authorized",
        storage=NullStorage(),
    )


def authorization_redirect(bp, **params):
    """Redirect to Discord's consent page with params, keeping the state where flask-dance looks."""
    bp.session.redirect_uri = url_for(f"{bp.name}.authorized", _external=True)
    url, state = bp.session.authorization_url(bp.authorization_url, **params)
    session[f"{bp.name}_oauth_state"] = state
    return redirect(url)


def init_app(app, settings):
    """Create the two OAuth blueprints and friendly errors for failed OAuth exchanges."""
    # Discord answers the bot scope with "bot applications.commands": not a failure.
    os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    if not settings.production and (
        settings.discord_url.startswith("http://") or settings.public_url.startswith("http://")
    ):
        # The sandbox and tests speak plain http; never in production.
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

    bot = _blueprint("discord_bot", __name__, settings, BOT_SCOPE, "/apps/connect")
    buyer = _blueprint("discord", __name__, settings, BUYER_SCOPE, "/claim/discord")
    for bp in (bot, buyer):
        bp.before_request(_guard(bp))
        app.register_blueprint(bp)
    app.extensions["discord_bot_oauth"] = bot
    app.extensions["discord_oauth"] = buyer

    @app.errorhandler(MismatchingStateError)
    def state_mismatch(exc):
        return error_page(
            400,
            "Discord sign-in expired",
            "This Discord authorisation did not match the one we started (it was opened "
            "twice, or is too old). Start again from the button on the page.",
        )

    @app.errorhandler(OAuth2Error)
    def oauth_failed(exc):
        current_app.logger.warning("OAuth2 exchange failed: %s", exc)
        return error_page(
            400,
            "Discord did not accept the authorisation",
            "Discord refused the authorisation code (it may have been used already or be "
            "too old). Start again from the button on the page.",
        )


def _guard(bp):
    def guard():
        if request.endpoint == f"{bp.name}.login":
            # Our own POST views start the dance (with CSRF and per-request parameters).
            return error_page(404)
        if (
            request.endpoint == f"{bp.name}.authorized"
            and not request.args.get("error")
            and f"{bp.name}_oauth_state" not in session
        ):
            return error_page(
                400,
                "Discord sign-in expired",
                "We did not start this Discord authorisation in this browser, or it was "
                "already used. Start again from the button on the page.",
            )
        return None

    return guard


def bot_blueprint():
    """The seller's bot-install OAuth blueprint."""
    return current_app.extensions["discord_bot_oauth"]


def buyer_blueprint():
    """The buyer's identify + guilds.join OAuth blueprint."""
    return current_app.extensions["discord_oauth"]
