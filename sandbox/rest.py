"""Discord's REST API v10 as far as Rolegate uses it: the request pipeline (user agent, auth,
rate limits, faults), then one small handler per endpoint with Discord's answers and errors."""

import re
import time
from http import HTTPStatus
from urllib.parse import unquote

from flask import Blueprint, Response, g, jsonify, request

from sandbox import gateway, seed
from sandbox.ratelimit import Limited, retry_after_header
from sandbox.state import now_iso

bp = Blueprint("rest", __name__)
ROUTES = []
MAJOR_PARAMETERS = ("guild_id", "channel_id")

ERRORS = {
    0: "401: Unauthorized", 10003: "Unknown Channel", 10004: "Unknown Guild",
    10007: "Unknown Member", 10011: "Unknown Role", 10013: "Unknown User",
    30001: "Maximum number of guilds reached (100)", 40007: "The user is banned from this guild.",
    40333: "internal network error", 50001: "Missing Access", 50006: "Cannot send an empty message",
    50007: "Cannot send messages to this user", 50013: "Missing Permissions",
    50025: "Invalid OAuth2 access token", 50035: "Invalid Form Body",
}  # fmt: skip


def route(method, template):
    """Register a handler for METHOD /template (placeholders like {guild_id})."""
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def register(fn):
        ROUTES.append((method, template, pattern, fn))
        return fn

    return register


class Refusal(Exception):
    """A Discord error answer."""

    def __init__(self, status, code=0, message="", errors=None):
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def body(self):
        """Discord's JSON error body."""
        body = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def refuse(status, code, **errors):
    """Raise Discord's error for code (field errors as Discord's 50035 shape)."""
    detail = {
        k: {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": v}]} for k, v in errors.items()
    }
    raise Refusal(status, code, ERRORS.get(code, "error"), detail or None)


def _answer(status, body, headers):
    response = Response(status=204) if status == 204 else jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


def _find(method, path):
    """(template, params, handler) for the request, or the status of a miss (404 or 405)."""
    miss = 404
    for m, template, pattern, fn in ROUTES:
        match = pattern.match(path)
        if match and m == method:
            return template, match.groupdict(), fn
        if match:
            miss = 405
    return miss


@bp.route("/api/v10/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def dispatch(rest):
    """Find the route, then user agent, auth, rate limit, faults, handler; count and log it."""
    state, path, method = g.state, "/" + rest, request.method
    found = _find(method, path)
    if isinstance(found, int):
        text = "404: Not Found" if found == 404 else "405: Method Not Allowed"
        return _answer(found, {"message": text, "code": 0}, {})
    template, params, fn = found
    route_key = f"{method} {template}"
    with state.lock:
        fault = state.faults.match(method, path)
    if fault and fault.get("delay"):
        time.sleep(float(fault["delay"]))  # outside the lock: a slow Discord, not a stuck one
    with state.lock:
        status, body, headers = _handle(state, fn, route_key, params, fault)
        _record(state, method, path, route_key, params, status)
    return _answer(status, body, headers)


def _record(state, method, path, route_key, params, status):
    state.stats["requests"] += 1
    state.by_route[route_key] += 1
    state.by_status[status] += 1
    if status == 429:
        state.stats["rate_limited"] += 1
    if status < 300 and method != "GET":
        # One key per (method, route, guild, user, role): "exactly one call added this role".
        ids = " ".join(params.get(k, "") for k in ("guild_id", "user_id", "role_id"))
        state.changes[f"{route_key} {ids}".strip()] += 1
    state.log.append({"time": time.time(), "method": method, "path": path, "route": route_key,
                      "status": status, "reason": unquote(request.headers.get("X-Audit-Log-Reason", "")),
                      "auth": g.get("auth_kind", "")})  # fmt: skip


def _authenticate(state):
    """Set g.user_id, g.grant and g.auth_kind from the Authorization header; False if refused."""
    kind, _, token = request.headers.get("Authorization", "").partition(" ")
    g.auth_kind, g.token = kind, token
    if kind == "Bot" and token == seed.BOT_TOKEN:
        g.user_id, g.grant = seed.BOT_USER_ID, None
        return True
    grant = state.bearer(token) if kind == "Bearer" else None
    if grant:
        g.user_id, g.grant = grant["user_id"], grant
        return True
    return False


def _limited(retry_after, is_global, scope, headers):
    headers = {
        **headers,
        "Retry-After": retry_after_header(retry_after),
        "X-RateLimit-Scope": scope,
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
    }
    return 429, body, headers


def _handle(state, fn, route_key, params, fault):
    if not request.headers.get("User-Agent", "").startswith("DiscordBot ("):
        # What Cloudflare answers a client without Discord's required User-Agent.
        return 403, {"message": ERRORS[40333], "code": 40333}, {}
    if not _authenticate(state):
        return 401, {"message": "401: Unauthorized", "code": 0}, {}
    major = next((params[k] for k in MAJOR_PARAMETERS if k in params), "")
    bot_token = g.token if g.auth_kind == "Bot" else None
    try:
        headers = state.limiter.take(route_key, major, bot_token)
    except Limited as exc:
        return _limited(
            exc.retry_after, exc.is_global, "global" if exc.is_global else "user", exc.headers
        )
    if fault and "status" in fault:
        return _fault_answer(fault, headers)
    try:
        status, body = fn(state, **params)
    except Refusal as exc:
        return exc.status, exc.body(), headers
    return status, body, headers


def _fault_answer(fault, headers):
    status = int(fault["status"])
    if status == 429:
        is_global = bool(fault.get("global"))
        scope = fault.get("scope") or ("global" if is_global else "user")
        return _limited(float(fault.get("retry_after", 1.0)), is_global, scope, headers)
    code = int(fault.get("code", 0))
    message = fault.get("message") or (ERRORS.get(code) if code else None)
    return (
        status,
        {"message": message or f"{status}: {HTTPStatus(status).phrase}", "code": code},
        headers,
    )


# Guards


def _bot_only():
    if g.user_id != seed.BOT_USER_ID:
        refuse(403, 50001)


def _guild(state, guild_id):
    guild = state.guilds.get(guild_id)
    if guild is None:
        refuse(404, 10004)
    if seed.BOT_USER_ID not in guild["members"]:
        refuse(403, 50001)
    return guild


def _need(state, guild, bit):
    perms = state.bot_permissions(guild)
    if not (perms & seed.ADMINISTRATOR or perms & bit):
        refuse(403, 50013)


def _role_below_bot(state, guild, role_id):
    # Even an ADMINISTRATOR bot can only hand out roles strictly below its highest role.
    role = next((r for r in guild["roles"] if r["id"] == role_id), None)
    if role is None:
        refuse(404, 10011)
    if role["position"] >= state.top_position(guild, seed.BOT_USER_ID) or role.get("managed"):
        refuse(403, 50013)
    return role


def _json():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Refusal(400, 50035, ERRORS[50035])
    return body


# Endpoints


@route("GET", "/users/@me")
def me(state):
    """The caller (a bearer token needs the identify scope)."""
    scopes = g.grant["scopes"] if g.grant else []
    if g.grant is not None and "identify" not in scopes:
        refuse(401, 0)
    return 200, state.user_json(g.user_id, email="email" in scopes)


@route("GET", "/guilds/{guild_id}")
def get_guild(state, guild_id):
    """A guild with its roles."""
    _bot_only()
    return 200, state.guild_json(_guild(state, guild_id))


@route("GET", "/guilds/{guild_id}/roles")
def list_roles(state, guild_id):
    """The roles, lowest first."""
    _bot_only()
    return 200, state.guild_json(_guild(state, guild_id))["roles"]


@route("POST", "/guilds/{guild_id}/roles")
def create_role(state, guild_id):
    """A new role at position 1 (just above @everyone, so below the bot)."""
    _bot_only()
    guild = _guild(state, guild_id)
    _need(state, guild, seed.MANAGE_ROLES)
    body = request.get_json(silent=True) or {}
    for r in guild["roles"]:
        if r["id"] != guild_id:
            r["position"] += 1
    role = {"id": state.snowflake(), "name": str(body.get("name") or "new role")[:100], "position": 1,
            "permissions": str(body.get("permissions", 0)), "color": int(body.get("color", 0)),
            "hoist": bool(body.get("hoist")), "managed": False,
            "mentionable": bool(body.get("mentionable")), "flags": 0}  # fmt: skip
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


@route("GET", "/guilds/{guild_id}/members")
def list_members(state, guild_id):
    """List Guild Members: by user id ascending, after `after`, at most `limit` (1–1000,
    default 1). Needs the Server Members intent, as on Discord (403 50001 without it)."""
    _bot_only()
    guild = _guild(state, guild_id)
    if not state.gateway.members_intent:
        refuse(403, 50001)
    try:
        limit = int(request.args.get("limit", 1))
        after = int(request.args.get("after", 0))
    except ValueError:
        refuse(400, 50035, limit="Value is not int.")
    if not 1 <= limit <= 1000:
        refuse(400, 50035, limit="int value should be less than or equal to 1000.")
    ids = sorted(int(u) for u in guild["members"] if int(u) > after)[:limit]
    return 200, [state.member_json(guild, str(u)) for u in ids]


@route("PUT", "/guilds/{guild_id}/members/{user_id}")
def add_member(state, guild_id, user_id):
    """Add a user with their guilds.join token: 201 added, 204 already a member (roles ignored)."""
    _bot_only()
    guild = _guild(state, guild_id)
    _need(state, guild, seed.CREATE_INSTANT_INVITE)
    if user_id not in state.users:
        refuse(404, 10013)
    body = _json()
    if "access_token" not in body:
        refuse(400, 50035, access_token="This field is required")
    grant = state.bearer(str(body["access_token"]))
    if grant is None or grant["user_id"] != user_id or "guilds.join" not in grant["scopes"]:
        refuse(403, 50025)
    if user_id in guild["members"]:
        return 204, None
    if user_id in guild["bans"]:
        refuse(403, 40007)
    if state.users[user_id]["guild_count"] >= 100:
        refuse(400, 30001)
    roles = [str(r) for r in body.get("roles") or []]
    for role_id in roles:
        _role_below_bot(state, guild, role_id)
    state.add_member(guild_id, user_id, roles)
    return 201, state.member_json(guild, user_id)


@route("GET", "/gateway/bot")
def gateway_bot(state):
    """Where the gateway is, and how many sessions the bot may still start today."""
    _bot_only()
    url = request.host_url.replace("http", "ws", 1).rstrip("/") + "/gateway"
    return 200, gateway.gateway_bot(state, url)


@route("DELETE", "/guilds/{guild_id}/members/{user_id}")
def kick(state, guild_id, user_id):
    """Kick a member (only one whose highest role is below the bot's)."""
    _bot_only()
    guild = _guild(state, guild_id)
    _need(state, guild, seed.KICK_MEMBERS)
    if user_id not in guild["members"]:
        refuse(404, 10007)
    if state.top_position(guild, user_id) >= state.top_position(guild, seed.BOT_USER_ID):
        refuse(403, 50013)
    state.remove_member(guild_id, user_id)
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
    """Give a role (idempotent, like Discord)."""
    member = _member_role(state, guild_id, user_id, role_id)
    if role_id not in member["roles"]:
        member["roles"].append(role_id)
        state.member_roles_changed(guild_id, user_id)
    return 204, None


@route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
def remove_role(state, guild_id, user_id, role_id):
    """Take a role (idempotent, like Discord)."""
    member = _member_role(state, guild_id, user_id, role_id)
    if role_id in member["roles"]:
        member["roles"].remove(role_id)
        state.member_roles_changed(guild_id, user_id)
    return 204, None


@route("POST", "/users/@me/channels")
def create_dm(state):
    """The DM channel with a user (the same one each time)."""
    _bot_only()
    user_id = str(_json().get("recipient_id", ""))
    if user_id not in state.users:
        refuse(404, 10013)
    channel = state.dms.setdefault(user_id, {"id": state.snowflake(), "type": 1, "last_message_id": None,
                                             "recipients": [state.user_json(user_id)]})  # fmt: skip
    return 200, channel


@route("POST", "/channels/{channel_id}/messages")
def send_message(state, channel_id):
    """Post a message in a DM; Discord refuses users who share no server with the bot."""
    _bot_only()
    content = str(_json().get("content") or "")
    channel = next((c for c in state.dms.values() if c["id"] == channel_id), None)
    if channel is None:
        refuse(404, 10003)
    if not content.strip():
        refuse(400, 50006)
    to = channel["recipients"][0]
    shared = any(
        to["id"] in gd["members"] and seed.BOT_USER_ID in gd["members"]
        for gd in state.guilds.values()
    )
    if not shared or to["id"] in state.dms_closed:  # no server in common, or DMs switched off
        refuse(403, 50007)
    message = {"id": state.snowflake(), "channel_id": channel_id, "type": 0, "content": content[:2000],
               "author": state.user_json(seed.BOT_USER_ID), "timestamp": now_iso()}  # fmt: skip
    channel["last_message_id"] = message["id"]
    state.messages.append({**message, "to": to["username"]})
    return 200, message
