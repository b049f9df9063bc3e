"""The control API (/_sandbox/…): reset, configure, inject faults, inspect, and set the scene.

Not part of Discord: tests, benchmarks and dev tools drive it through `SandboxControl`."""

from flask import Blueprint, g, jsonify, request

from sandbox import seed

bp = Blueprint("control", __name__, url_prefix="/_sandbox")


@bp.errorhandler(LookupError)
def _unknown(exc):
    return jsonify(error=f"unknown: {exc}"), 404


@bp.errorhandler(ValueError)
@bp.errorhandler(TypeError)
def _bad(exc):
    return jsonify(error=str(exc)), 400


def _body():
    body = request.get_json(silent=True)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


def _guild(guild_id):
    return g.state.guilds[guild_id]  # KeyError → 404


@bp.post("/reset")
def reset():
    """Back to the seed world."""
    g.state.reset()
    return jsonify(ok=True)


@bp.route("/config", methods=["GET", "POST"])
def config():
    """auto_approve {user_id, guild_id} | null, auto_deny, redirect_uris, limits, invalid_threshold."""
    body, state = _body(), g.state
    with state.lock:
        for key in ("auto_approve", "auto_deny", "redirect_uris"):
            if key in body:
                state.config[key] = body[key]
        limits = body.get("limits") or {}
        invalid = body.get("invalid_threshold", limits.get("invalid_per_10_minutes"))
        state.limiter.configure(limits.get("routes"), limits.get("default"),
                                limits.get("global_per_second"), invalid)  # fmt: skip
        return jsonify(config=state.config, limits=state.limiter.as_json())


@bp.route("/gateway", methods=["GET", "POST"])
def gateway():
    """The gateway's sessions and counters; POST {"members_intent": bool} switches the
    developer portal's "Server Members Intent", {"drop": true} closes every connection
    (4000, resumable)."""
    body, hub = _body(), g.state.gateway
    if "members_intent" in body:
        hub.members_intent = bool(body["members_intent"])
    if body.get("drop"):
        hub.drop()
    return jsonify(hub.as_json())


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults():
    """Add rules ({"rules": [...]} or one rule), list them, or clear them all (DELETE)."""
    state = g.state
    with state.lock:
        if request.method == "DELETE":
            state.faults.clear()
        elif request.method == "POST":
            body = _body()
            for rule in body.get("rules", [body] if body else []):
                state.faults.add(rule)
        return jsonify(faults=len(state.faults.rules), rules=state.faults.as_json())


@bp.get("/stats")
def stats():
    """Counters: requests, statuses, routes, 429s, invalid requests, successful changes."""
    state = g.state
    with state.lock:
        return jsonify(
            requests=state.stats["requests"], rate_limited=state.stats["rate_limited"],
            invalid=state.stats["invalid"], cloudflare_banned=state.stats["cloudflare_banned"],
            by_status={str(k): v for k, v in state.by_status.items()},
            by_route=dict(state.by_route), changes=dict(state.changes),
        )  # fmt: skip


@bp.get("/log")
def log():
    """The latest REST requests, oldest first (?limit=N for the last N)."""
    limit = request.args.get("limit", type=int)
    with g.state.lock:
        entries = list(g.state.log)
    return jsonify(entries[-limit:] if limit else entries)


@bp.get("/guilds/<guild_id>")
def guild(guild_id):
    """A guild's roles, members (role ids and names), bans and the bot's role position."""
    state = g.state
    with state.lock:
        gd = _guild(guild_id)
        names = {r["id"]: r["name"] for r in gd["roles"]}
        bot = state.bot_role(gd)
        members = [
            state.member_json(gd, uid) | {"role_names": [names.get(r, r) for r in m["roles"]]}
            for uid, m in gd["members"].items()
        ]
        return jsonify(
            id=guild_id, name=gd["name"], owner_id=gd["owner_id"],
            roles=state.guild_json(gd)["roles"], members=members,
            bot_in_guild=seed.BOT_USER_ID in gd["members"],
            bot_position=bot["position"] if bot else None,
            bot_permissions=str(state.bot_permissions(gd)), bans=sorted(gd["bans"]),
        )  # fmt: skip


@bp.delete("/guilds/<guild_id>/members/<user_id>/roles/<role_id>")
def remove_role_by_hand(guild_id, user_id, role_id):
    """A moderator takes a role from a member in Discord's own client."""
    state = g.state
    with state.lock:
        member = _guild(guild_id)["members"][user_id]  # KeyError → 404
        if role_id in member["roles"]:
            member["roles"].remove(role_id)
            state.member_roles_changed(guild_id, user_id)
        return jsonify(roles=member["roles"])


@bp.get("/guilds/<guild_id>/members/<user_id>")
def get_member(guild_id, user_id):
    """One member's roles (404 when not on the server), without Discord's rate limits."""
    state = g.state
    with state.lock:
        member = _guild(guild_id)["members"][user_id]  # KeyError → 404
        return jsonify(roles=list(member["roles"]))


@bp.post("/guilds/<guild_id>/members/bulk")
def put_members(guild_id):
    """Many new users, each a member with `roles` (benchmarks): {"first_id", "count", "roles"}."""
    body, state = _body(), g.state
    first, count = int(body["first_id"]), int(body["count"])
    if not 0 < count <= 100_000:
        raise ValueError("count must be 1–100000")
    with state.lock:
        _guild(guild_id)
        for n in range(count):
            user_id = str(first + n)
            state.users.setdefault(user_id, seed.user(user_id, f"member{n}", guild_count=0))
            state.add_member(guild_id, user_id, body.get("roles", []))
    return jsonify(added=count)


@bp.post("/guilds/<guild_id>/members")
def put_member(guild_id):
    """Put a user on a server beforehand (a member who joined before buying)."""
    body, state = _body(), g.state
    with state.lock:
        _guild(guild_id)
        if body["user_id"] not in state.users:
            raise LookupError(f"user {body['user_id']}")
        state.add_member(guild_id, body["user_id"], body.get("roles", []))
    return jsonify(ok=True)


@bp.delete("/guilds/<guild_id>/members/<user_id>")
def remove_member(guild_id, user_id):
    """The user leaves the server by themselves."""
    with g.state.lock:
        _guild(guild_id)
        g.state.remove_member(guild_id, user_id)
    return jsonify(ok=True)


@bp.post("/guilds/<guild_id>/bans")
def ban(guild_id):
    """Ban a user from a server (a member is removed, as on Discord)."""
    user_id = _body()["user_id"]
    with g.state.lock:
        _guild(guild_id)["bans"].add(user_id)
        if user_id in g.state.users:
            g.state.remove_member(guild_id, user_id)
    return jsonify(ok=True)


@bp.delete("/guilds/<guild_id>/bans/<user_id>")
def unban(guild_id, user_id):
    """Lift a ban."""
    with g.state.lock:
        _guild(guild_id)["bans"].discard(user_id)
    return jsonify(ok=True)


@bp.post("/guilds/<guild_id>/bot")
def install_bot(guild_id):
    """The bot joins without the OAuth dance (permissions default to Rolegate's 268435459)."""
    permissions = int(_body().get("permissions", seed.BOT_PERMISSIONS))
    with g.state.lock:
        _guild(guild_id)
        g.state.install_bot(guild_id, permissions)
    return jsonify(ok=True)


@bp.delete("/guilds/<guild_id>/bot")
def remove_bot(guild_id):
    """The bot leaves (or is kicked from) a server, its managed role with it."""
    with g.state.lock:
        _guild(guild_id)
        g.state.remove_bot(guild_id)
    return jsonify(ok=True)


@bp.post("/guilds/<guild_id>/bot-role")
def bot_role(guild_id):
    """Move the bot's role to a position (1 = just above @everyone)."""
    position = int(_body()["position"])
    with g.state.lock:
        _guild(guild_id)
        g.state.move_bot_role(guild_id, position)
    return jsonify(ok=True)


@bp.delete("/guilds/<guild_id>/roles/<role_id>")
def delete_role(guild_id, role_id):
    """Delete a role (members lose it)."""
    with g.state.lock:
        _guild(guild_id)
        if not g.state.delete_role(guild_id, role_id):
            raise LookupError(f"role {role_id}")
    return jsonify(ok=True)


@bp.post("/users")
def create_user():
    """An extra user: {"username", "user_id"?} → the user object."""
    body, state = _body(), g.state
    with state.lock:
        user_id = str(body.get("user_id") or state.snowflake())
        username = body.get("username") or f"user{user_id[-4:]}"
        state.users.setdefault(user_id, seed.user(user_id, username, guild_count=0))
        return jsonify(state.user_json(user_id, email=True))


@bp.post("/users/<user_id>")
def user(user_id):
    """Change a user: username, guild_count, dms "closed" | "open", tokens "revoke" |
    "expire" (created when new)."""
    body, state = _body(), g.state
    with state.lock:
        if user_id not in state.users:
            username = body.get("username") or f"user{user_id[-4:]}"
            state.users[user_id] = seed.user(user_id, username, guild_count=0)
        if "username" in body:
            state.users[user_id]["username"] = body["username"]
        if "guild_count" in body:
            state.users[user_id]["guild_count"] = int(body["guild_count"])
        if body.get("dms") == "closed":
            state.dms_closed.add(user_id)
        elif body.get("dms") == "open":
            state.dms_closed.discard(user_id)
        if body.get("tokens") == "revoke":
            state.revoke_user_tokens(user_id)
        elif body.get("tokens") == "expire":
            state.expire_user_tokens(user_id)
    return jsonify(ok=True)


@bp.post("/users/<user_id>/tokens")
def issue_tokens(user_id):
    """Tokens for a user without the consent page: {"scope": "identify guilds.join"}."""
    scopes = str(_body().get("scope", "identify guilds.join")).split()
    with g.state.lock:
        if user_id not in g.state.users:
            raise LookupError(f"user {user_id}")
        access, refresh = g.state.new_tokens(user_id, scopes)
    return jsonify(access_token=access, refresh_token=refresh, token_type="Bearer",
                   expires_in=604800, scope=" ".join(scopes))  # fmt: skip


@bp.get("/messages")
def messages():
    """Every DM the bot sent, oldest first (to: the recipient's user id)."""
    with g.state.lock:
        return jsonify([{**m, "to_id": next((c["recipients"][0]["id"] for c in g.state.dms.values()
                                              if c["id"] == m["channel_id"]), None)}
                        for m in g.state.messages])  # fmt: skip
