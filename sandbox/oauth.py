"""Discord's OAuth2: the consent page, the token endpoint (form-encoded only), revocation."""

import base64
import binascii
import time
from urllib.parse import urlencode

from flask import Blueprint, g, jsonify, redirect, render_template, request

from sandbox import seed

bp = Blueprint("oauth", __name__)
DENIED = "The resource owner or authorization server denied the request"
SCOPES = {"identify", "email", "guilds", "guilds.join", "guilds.members.read", "connections",
          "bot", "applications.commands"}  # fmt: skip


def _back(redirect_uri, **params):
    sep = "&" if "?" in redirect_uri else "?"
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return redirect(redirect_uri + sep + query)


def _page_error(message, status=400):
    return render_template("error.html", message=message), status


def _approve(args, user_id, guild_id):
    """Issue a code and send the browser back, as Discord does after "Authorize"."""
    state = g.state
    scopes = args.get("scope", "").split()
    bot = "bot" in scopes
    with state.lock:
        if user_id not in state.users or state.users[user_id]["bot"]:
            return _page_error("Choose a Discord account.")
        if bot:
            guild = state.guilds.get(guild_id)
            if guild is None:
                return _page_error("Choose a server.")
            # Discord only lists servers where the user has Manage Server; here, the owner's.
            if guild["owner_id"] != user_id:
                return _page_error("You need the Manage Server permission to add a bot here.", 403)
        code = state.new_code(user_id, scopes, args["redirect_uri"], guild_id if bot else None,
                              args.get("permissions", 0))  # fmt: skip
    extra = {"guild_id": guild_id, "permissions": args.get("permissions")} if bot else {}
    return _back(args["redirect_uri"], code=code, state=args.get("state"), **extra)


def _deny(args):
    return _back(args["redirect_uri"], error="access_denied", error_description=DENIED,
                 state=args.get("state"))  # fmt: skip


@bp.route("/oauth2/authorize", methods=["GET", "POST"])
def authorize():
    """The consent page (GET) and its buttons (POST); tests can switch to approve or deny at once."""
    args, state = request.args, g.state
    with state.lock:
        allowed = state.config.get("redirect_uris")
        auto, deny = state.config.get("auto_approve"), state.config.get("auto_deny")
        users = [u for u in state.users.values() if not u["bot"]]
        guilds = [{"id": gd["id"], "name": gd["name"]} for gd in state.guilds.values()]
    if args.get("client_id") != seed.CLIENT_ID:
        return _page_error("Unknown application: invalid client_id.")
    redirect_uri = args.get("redirect_uri")
    if not redirect_uri or (allowed and redirect_uri not in allowed):
        return _page_error("Invalid OAuth2 redirect_uri.")
    if args.get("response_type", "code") != "code":
        return _back(redirect_uri, error="unsupported_response_type", state=args.get("state"))
    scopes = args.get("scope", "").split()
    if not scopes or set(scopes) - SCOPES:
        return _back(redirect_uri, error="invalid_scope", state=args.get("state"),
                     error_description="The requested scope is invalid, unknown, or malformed.")  # fmt: skip
    if request.method == "POST":
        if request.form.get("decision") != "authorize":
            return _deny(args)
        return _approve(args, request.form.get("user_id"), request.form.get("guild_id"))
    if deny:
        return _deny(args)
    if auto:
        return _approve(args, auto["user_id"], auto.get("guild_id") or args.get("guild_id"))
    if "bot" in scopes:
        users = [u for u in users if u["id"] == seed.OWNER_ID]
    return render_template("authorize.html", scopes=scopes, users=users, guilds=guilds,
                           chosen_guild=args.get("guild_id"), bot="bot" in scopes,
                           permissions=args.get("permissions"))  # fmt: skip


def _client_ok():
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Basic "):
        try:
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
    else:
        cid, secret = request.form.get("client_id"), request.form.get("client_secret")
    return cid == seed.CLIENT_ID and secret == seed.CLIENT_SECRET


def _oauth_error(error, description=None, status=400):
    body = {"error": error}
    if description:
        body["error_description"] = description
    response = jsonify(body)
    response.status_code = status
    return response


def _form_and_client():
    """An error answer for a fault, a body not form-encoded or a wrong client, else None."""
    path = request.path.removeprefix("/api").removeprefix("/v10")  # "/oauth2/token…"
    with g.state.lock:
        fault = g.state.faults.match("POST", path)
    if fault and fault.get("delay"):
        time.sleep(float(fault["delay"]))
    if fault and "status" in fault:
        # Token endpoint faults answer as Discord's edge does: a JSON message and a status.
        response = jsonify(message=fault.get("message") or "Service unavailable", code=0)
        response.status_code = int(fault["status"])
        if response.status_code == 429:
            response.headers["Retry-After"] = str(int(float(fault.get("retry_after", 1))) or 1)
        return response
    if request.mimetype != "application/x-www-form-urlencoded":
        # Discord reads only form fields, so a JSON body looks like a missing grant_type.
        return _oauth_error("unsupported_grant_type", 'Unsupported "grant_type"')
    if not _client_ok():
        return _oauth_error("invalid_client", status=401)
    return None


def _tokens(access, refresh, scopes, **extra):
    return {"token_type": "Bearer", "access_token": access, "expires_in": 604800,
            "refresh_token": refresh, "scope": " ".join(scopes), **extra}  # fmt: skip


@bp.route("/api/oauth2/token", methods=["POST"])
@bp.route("/api/v10/oauth2/token", methods=["POST"])
def token():
    """Trade a code or a refresh token for tokens (application/x-www-form-urlencoded only)."""
    refused = _form_and_client()
    if refused:
        return refused
    state, form = g.state, request.form
    grant_type = form.get("grant_type")
    with state.lock:
        if grant_type == "authorization_code":
            grant = state.codes.pop(form.get("code", ""), None)  # single use, even when refused
            if grant is None or grant["expires"] < time.time():
                return _oauth_error("invalid_grant", 'Invalid "code" in request.')
            if grant["redirect_uri"] != form.get("redirect_uri"):
                return _oauth_error("invalid_grant", 'Invalid "redirect_uri" in request.')
            access, refresh = state.new_tokens(grant["user_id"], grant["scopes"])
            scopes, extra = list(grant["scopes"]), {}
            if "bot" in scopes:
                guild = state.install_bot(grant["guild_id"], grant["permissions"])
                extra["guild"] = state.guild_json(guild)
                if "applications.commands" not in scopes:
                    scopes.append("applications.commands")  # Discord adds it to every bot grant
            return jsonify(_tokens(access, refresh, scopes, **extra))
        if grant_type == "refresh_token":
            grant = state.refresh.pop(form.get("refresh_token", ""), None)  # rotated: old one dies
            if grant is None:
                return _oauth_error("invalid_grant", 'Invalid "refresh_token" in request.')
            access, refresh = state.new_tokens(grant["user_id"], grant["scopes"], grant["grant"])
            return jsonify(_tokens(access, refresh, grant["scopes"]))
    return _oauth_error("unsupported_grant_type", 'Unsupported "grant_type"')


@bp.route("/api/oauth2/token/revoke", methods=["POST"])
@bp.route("/api/v10/oauth2/token/revoke", methods=["POST"])
def revoke():
    """Revoke an access or refresh token, and with it the whole authorization."""
    refused = _form_and_client()
    if refused:
        return refused
    with g.state.lock:
        g.state.revoke(request.form.get("token", ""))
    return jsonify({})
