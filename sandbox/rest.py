"""Discord's REST API v10, as far as Rolegate uses it, with Discord's answers and errors."""

import re
import time
from urllib.parse import unquote

from flask import Blueprint, Response, g, jsonify, request

from sandbox import seed
from sandbox.state import now_iso

bp = Blueprint("rest", __name__)
ROUTES = []


def route(method, template):
    """Register a handler for METHOD /template."""
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def register(fn):
        ROUTES.append((method, template, pattern, fn))
        return fn

    return register


class Refusal(Exception):
    """A Discord error answer."""

    def __init__(self, status, code=0, message=""):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


ERRORS = {
    0: "401: Unauthorized", 10004: "Unknown Guild", 10007: "Unknown Member", 10011: "Unknown Role",
    10013: "Unknown User", 30001: "Maximum number of guilds reached (100)",
    40007: "The user is banned from this guild.", 40333: "internal network error",
    50001: "Missing Access", 50013: "Missing Permissions",
    50025: "Invalid OAuth2 access token", 50035: "Invalid Form Body",
}  # fmt: skip


def refuse(status, code):
    """Raise Discord's error for code."""
    raise Refusal(status, code, ERRORS.get(code, "error"))


def _answer(status, body, headers):
    if status == 204:
        response = Response(status=204)
    else:
        response = jsonify(body)
        response.status_code = status
    response.headers.update(headers)
    return response


@bp.route("/api/v10/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def dispatch(rest):
    """Find the route, authenticate, rate-limit, apply faults, then run the handler."""
    state = g.state
    path = "/" + rest
    found = next(
        (
            (m, t, p.match(path), f)
            for m, t, p, f in ROUTES
            if m == request.method and p.match(path)
        ),
        None,
    )
    if found is None:
        return jsonify(message="404: Not Found", code=0), 404
    method, template, match, fn = found
    route_key = f"{method} {template}"
    params = match.groupdict()
    with state.lock:
        state.stats["requests"] += 1
        state.by_route[route_key] += 1
        if state.banned_by_cloudflare():
            state.by_status[429] += 1
            return Response("error code: 1015", status=429, mimetype="text/plain")
    fault = None
    with state.lock:
        fault = state.fault_for(method, path)
    if fault and fault.get("delay"):
        time.sleep(float(fault["delay"]))
    with state.lock:
        status, body, headers = _handle(state, fn, route_key, params, fault)
        state.by_status[status] += 1
        if status == 429:
            state.stats["rate_limited"] += 1
        if status in (401, 403) or (status == 429 and headers.get("X-RateLimit-Scope") != "shared"):
            state.count_invalid()
            state.stats["invalid"] += 1
        if status < 300 and method != "GET":
            state.changes[
                f"{route_key} {params.get('guild_id', '')} {params.get('user_id', '')} {params.get('role_id', '')}".strip()
            ] += 1
        state.log.append({"time": time.time(), "method": method, "path": path, "status": status,
                          "reason": unquote(request.headers.get("X-Audit-Log-Reason", "")),
                          "auth": g.get("auth_kind", "")})  # fmt: skip
    return _answer(status, body, headers)


def _handle(state, fn, route_key, params, fault):
    if not request.headers.get("User-Agent", "").startswith("DiscordBot ("):
        return (
            403,
            {"message": "Please set a User-Agent: DiscordBot (url, version)", "code": 40333},
            {},
        )
    auth = request.headers.get("Authorization", "")
    kind, _, token = auth.partition(" ")
    g.auth_kind = kind
    if kind == "Bot" and token == seed.BOT_TOKEN:
        g.user_id, g.grant = seed.BOT_USER_ID, None
    elif kind == "Bearer" and state.bearer(token):
        g.grant = state.bearer(token)
        g.user_id = g.grant["user_id"]
    else:
        return 401, {"message": "401: Unauthorized", "code": 0}, {}
    headers, limited = state.take(
        route_key, params.get("guild_id", ""), token if kind == "Bot" else None
    )
    if limited:
        headers = {**headers, "Retry-After": str(max(1, round(limited["retry_after"]))),
                   "X-RateLimit-Scope": limited["scope"]}  # fmt: skip
        if limited["global"]:
            headers["X-RateLimit-Global"] = "true"
        return 429, {"message": "You are being rate limited.", "retry_after": limited["retry_after"],
                     "global": limited["global"]}, headers  # fmt: skip
    if fault:
        status = int(fault.get("status", 500))
        if status == 429:
            after = float(fault.get("retry_after", 1.0))
            return (
                429,
                {"message": "You are being rate limited.", "retry_after": after, "global": False},
                {**headers, "Retry-After": str(max(1, round(after))), "X-RateLimit-Scope": "user"},
            )
        return status, {"message": fault.get("message") or ERRORS.get(fault.get("code", 0), "Server error"),
                        "code": int(fault.get("code", 0))}, headers  # fmt: skip
    try:
        status, body = fn(state, **params)
    except Refusal as exc:
        return exc.status, {"message": exc.message, "code": exc.code}, headers
    return status, body, headers


def _guild(state, guild_id, bot_must_be_in=True):
    guild = state.guilds.get(guild_id)
    if guild is None:
        refuse(404, 10004)
    if (
        bot_must_be_in
        and g.user_id == seed.BOT_USER_ID
        and seed.BOT_USER_ID not in guild["members"]
    ):
        refuse(403, 50001)
    return guild


def _need(state, guild, bit):
    perms = state.bot_permissions(guild)
    if not (perms & seed.ADMINISTRATOR or perms & bit):
        refuse(403, 50013)


def _role_below_bot(state, guild, role_id):
    role = next((r for r in guild["roles"] if r["id"] == role_id), None)
    if role is None:
        refuse(404, 10011)
    if role["position"] >= state.top_position(guild, seed.BOT_USER_ID) or role.get("managed"):
        refuse(403, 50013)
    return role


def _bot_only():
    if g.user_id != seed.BOT_USER_ID:
        refuse(403, 50001)


@route("GET", "/users/@me")
def me(state):
    """The caller."""
    if g.grant is not None and "identify" not in g.grant["scopes"]:
        refuse(401, 0)
    return 200, state.user_json(g.user_id)


@route("GET", "/guilds/{guild_id}")
def get_guild(state, guild_id):
    """A guild with its roles."""
    _bot_only()
    return 200, state.guild_json(_guild(state, guild_id))


@route("GET", "/guilds/{guild_id}/roles")
def list_roles(state, guild_id):
    """The roles."""
    _bot_only()
    return 200, state.guild_json(_guild(state, guild_id))["roles"]


@route("POST", "/guilds/{guild_id}/roles")
def create_role(state, guild_id):
    """A new role at position 1 (just above @everyone)."""
    _bot_only()
    guild = _guild(state, guild_id)
    _need(state, guild, seed.MANAGE_ROLES)
    body = request.get_json(silent=True) or {}
    for r in guild["roles"]:
        if r["id"] != guild_id:
            r["position"] += 1
    role = {"id": state.snowflake(), "name": str(body.get("name") or "new role")[:100], "position": 1,
            "permissions": str(body.get("permissions", 0)), "color": int(body.get("color", 0)),
            "hoist": False, "managed": False, "mentionable": False}  # fmt: skip
    guild["roles"].append(role)
    return 200, role


@route("GET", "/guilds/{guild_id}/members/{user_id}")
def get_member(state, guild_id, user_id):
    """A member."""
    _bot_only()
    guild = _guild(state, guild_id)
    if user_id not in state.users:
        refuse(404, 10013)
    if user_id not in guild["members"]:
        refuse(404, 10007)
    return 200, state.member_json(guild, user_id)


@route("PUT", "/guilds/{guild_id}/members/{user_id}")
def add_member(state, guild_id, user_id):
    """Add a user with their guilds.join token: 201 added, 204 already a member."""
    _bot_only()
    guild = _guild(state, guild_id)
    _need(state, guild, seed.CREATE_INSTANT_INVITE)
    if user_id not in state.users:
        refuse(404, 10013)
    body = request.get_json(silent=True) or {}
    grant = state.bearer(str(body.get("access_token", "")))
    if grant is None or grant["user_id"] != user_id or "guilds.join" not in grant["scopes"]:
        refuse(403, 50025)
    if user_id in guild["members"]:
        return 204, None
    if user_id in guild["bans"]:
        refuse(403, 40007)
    if state.users[user_id]["guild_count"] >= 100:
        refuse(400, 30001)
    roles = [str(r) for r in body.get("roles", [])]
    for role_id in roles:
        _role_below_bot(state, guild, role_id)
    guild["members"][user_id] = {"roles": roles, "joined_at": now_iso()}
    state.users[user_id]["guild_count"] += 1
    return 201, state.member_json(guild, user_id)


@route("DELETE", "/guilds/{guild_id}/members/{user_id}")
def kick(state, guild_id, user_id):
    """Kick a member."""
    _bot_only()
    guild = _guild(state, guild_id)
    _need(state, guild, seed.KICK_MEMBERS)
    if user_id not in guild["members"]:
        refuse(404, 10007)
    if state.top_position(guild, user_id) >= state.top_position(guild, seed.BOT_USER_ID):
        refuse(403, 50013)
    del guild["members"][user_id]
    state.users[user_id]["guild_count"] -= 1
    return 204, None


def _member_role(state, guild_id, user_id, role_id):
    _bot_only()
    guild = _guild(state, guild_id)
    _need(state, guild, seed.MANAGE_ROLES)
    _role_below_bot(state, guild, role_id)
    if user_id not in guild["members"]:
        refuse(404, 10007)
    return guild["members"][user_id]


@route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
def add_role(state, guild_id, user_id, role_id):
    """Give a role."""
    member = _member_role(state, guild_id, user_id, role_id)
    if role_id not in member["roles"]:
        member["roles"].append(role_id)
    return 204, None


@route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
def remove_role(state, guild_id, user_id, role_id):
    """Take a role."""
    member = _member_role(state, guild_id, user_id, role_id)
    if role_id in member["roles"]:
        member["roles"].remove(role_id)
    return 204, None


@route("POST", "/users/@me/channels")
def create_dm(state):
    """A DM channel with a user."""
    body = request.get_json(silent=True) or {}
    user_id = str(body.get("recipient_id", ""))
    if user_id not in state.users:
        refuse(404, 10013)
    channel = state.dms.setdefault(user_id, {"id": state.snowflake(), "type": 1,
                                             "recipients": [state.user_json(user_id)]})  # fmt: skip
    return 200, channel


@route("POST", "/channels/{channel_id}/messages")
def send_message(state, channel_id):
    """Post a message."""
    body = request.get_json(silent=True) or {}
    channel = next((c for c in state.dms.values() if c["id"] == channel_id), None)
    if channel is None:
        refuse(404, 10003)
    message = {"id": state.snowflake(), "channel_id": channel_id, "content": str(body.get("content", ""))[:2000],
               "to": channel["recipients"][0]["username"], "timestamp": now_iso()}  # fmt: skip
    state.messages.append(message)
    return 200, message
