"""Discord's OAuth2: the consent page, the token endpoint (form-encoded only), revocation."""

import base64
import time
from urllib.parse import urlencode

from flask import Blueprint, g, jsonify, redirect, render_template, request

from sandbox import seed

bp = Blueprint("oauth", __name__)
DENIED = "The resource owner or authorization server denied the request"


def _back(redirect_uri, **params):
    sep = "&" if "?" in redirect_uri else "?"
    return redirect(
        redirect_uri + sep + urlencode({k: v for k, v in params.items() if v is not None})
    )


def _approve(args, user_id, guild_id):
    state = g.state
    scopes = args.get("scope", "").split()
    with state.lock:
        if "bot" in scopes:
            if guild_id not in state.guilds:
                return "Choose a server", 400
        code = state.new_code(user_id, scopes, args.get("redirect_uri"), guild_id if "bot" in scopes else None,
                              args.get("permissions", 0))  # fmt: skip
    extra = (
        {"guild_id": guild_id, "permissions": args.get("permissions")} if "bot" in scopes else {}
    )
    return _back(args["redirect_uri"], code=code, state=args.get("state"), **extra)


@bp.route("/oauth2/authorize", methods=["GET", "POST"])
def authorize():
    """The consent page; the test switches approve or deny at once."""
    args = request.args
    if args.get("client_id") != seed.CLIENT_ID or not args.get("redirect_uri"):
        return render_template(
            "error.html", message="Unknown application or missing redirect_uri."
        ), 400
    if args.get("response_type", "code") != "code":
        return _back(
            args["redirect_uri"], error="unsupported_response_type", state=args.get("state")
        )
    state = g.state
    if request.method == "POST":
        if request.form.get("decision") != "authorize":
            return _back(args["redirect_uri"], error="access_denied", error_description=DENIED,
                         state=args.get("state"))  # fmt: skip
        return _approve(args, request.form.get("user_id"), request.form.get("guild_id"))
    with state.lock:
        auto, deny = state.config.get("auto_approve"), state.config.get("auto_deny")
    if deny:
        return _back(args["redirect_uri"], error="access_denied", error_description=DENIED,
                     state=args.get("state"))  # fmt: skip
    if auto:
        return _approve(args, auto["user_id"], auto.get("guild_id") or args.get("guild_id"))
    scopes = args.get("scope", "").split()
    with state.lock:
        users = [u for u in state.users.values() if not u["bot"]]
        guilds = list(state.guilds.values())
    return render_template("authorize.html", scopes=scopes, users=users, guilds=guilds,
                           chosen_guild=args.get("guild_id"), owner=seed.OWNER_ID)  # fmt: skip


def _client_ok():
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Basic "):
        try:
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return False
    else:
        cid, secret = request.form.get("client_id"), request.form.get("client_secret")
    return cid == seed.CLIENT_ID and secret == seed.CLIENT_SECRET


def _oauth_error(error, description, status=400):
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return response


@bp.route("/api/oauth2/token", methods=["POST"])
@bp.route("/api/v10/oauth2/token", methods=["POST"])
def token():
    """Trade a code or a refresh token for tokens (application/x-www-form-urlencoded only)."""
    if not request.mimetype == "application/x-www-form-urlencoded":
        return _oauth_error("unsupported_grant_type", "Unsupported grant type")
    if not _client_ok():
        return _oauth_error("invalid_client", "Invalid client", 401)
    state = g.state
    form = request.form
    with state.lock:
        if form.get("grant_type") == "authorization_code":
            grant = state.codes.pop(form.get("code", ""), None)
            if (
                grant is None
                or grant["expires"] < time.time()
                or grant["redirect_uri"] != form.get("redirect_uri")
            ):
                return _oauth_error("invalid_grant", 'Invalid "code" in request.')
            access, refresh = state.new_tokens(grant["user_id"], grant["scopes"])
            scopes = list(grant["scopes"])
            body = {"access_token": access, "token_type": "Bearer", "expires_in": 604800,
                    "refresh_token": refresh}  # fmt: skip
            if "bot" in scopes:
                guild = state.install_bot(grant["guild_id"], grant["permissions"])
                body["guild"] = state.guild_json(guild)
                scopes.append("applications.commands")
            body["scope"] = " ".join(scopes)
            return jsonify(body)
        if form.get("grant_type") == "refresh_token":
            grant = state.refresh.pop(form.get("refresh_token", ""), None)
            if grant is None:
                return _oauth_error("invalid_grant", "Invalid refresh token")
            access, refresh = state.new_tokens(grant["user_id"], grant["scopes"])
            return jsonify(access_token=access, token_type="Bearer", expires_in=604800,
                           refresh_token=refresh, scope=" ".join(grant["scopes"]))  # fmt: skip
    return _oauth_error("unsupported_grant_type", "Unsupported grant type")


@bp.route("/api/oauth2/token/revoke", methods=["POST"])
@bp.route("/api/v10/oauth2/token/revoke", methods=["POST"])
def revoke():
    """Revoke an access or refresh token."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return _oauth_error("unsupported_grant_type", "Unsupported grant type")
    if not _client_ok():
        return _oauth_error("invalid_client", "Invalid client", 401)
    with g.state.lock:
        token = request.form.get("token", "")
        g.state.access.pop(token, None)
        g.state.refresh.pop(token, None)
    return jsonify({})
