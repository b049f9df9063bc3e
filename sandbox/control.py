"""The control API (/_sandbox/…) for tests and benchmarks, and its Python client."""

import requests
from flask import Blueprint, g, jsonify, request

bp = Blueprint("control", __name__, url_prefix="/_sandbox")


@bp.route("/reset", methods=["POST"])
def reset():
    """Back to the seed world."""
    g.state.reset()
    return jsonify(ok=True)


@bp.route("/config", methods=["POST"])
def config():
    """auto_approve {user_id, guild_id} | null, auto_deny bool, limits {...}."""
    body = request.get_json(force=True)
    state = g.state
    with state.lock:
        for key in ("auto_approve", "auto_deny"):
            if key in body:
                state.config[key] = body[key]
        limits = body.get("limits") or {}
        if "routes" in limits:
            state.limits["routes"].update(limits["routes"])
        for key in ("default", "global_per_second", "invalid_per_10_minutes"):
            if key in limits:
                state.limits[key] = limits[key]
    return jsonify(config=state.config, limits=state.limits)


@bp.route("/faults", methods=["POST", "DELETE"])
def faults():
    """Add fault rules (method, path regex, status, code, message, retry_after, delay, count, seconds)."""
    import time

    state = g.state
    with state.lock:
        if request.method == "DELETE":
            state.faults.clear()
        else:
            for rule in request.get_json(force=True).get("rules", []):
                if rule.get("seconds"):
                    rule["until"] = time.time() + float(rule["seconds"])
                state.faults.append(rule)
        return jsonify(faults=len(state.faults))


@bp.route("/stats")
def stats():
    """Counters: requests, statuses, routes, 429s, invalid requests, state changes."""
    state = g.state
    with state.lock:
        return jsonify(
            requests=state.stats["requests"], rate_limited=state.stats["rate_limited"],
            invalid=state.stats["invalid"], by_status={str(k): v for k, v in state.by_status.items()},
            by_route=dict(state.by_route), changes=dict(state.changes),
        )  # fmt: skip


@bp.route("/log")
def log():
    """The latest requests."""
    with g.state.lock:
        return jsonify(list(g.state.log))


@bp.route("/guilds/<guild_id>")
def guild(guild_id):
    """A guild's roles, members (with roles) and the bot's role position."""
    state = g.state
    with state.lock:
        gd = state.guilds[guild_id]
        bot = state.bot_role(gd)
        return jsonify(
            id=guild_id, name=gd["name"], roles=state.guild_json(gd)["roles"],
            members=[state.member_json(gd, uid) for uid in gd["members"]],
            bot_position=bot["position"] if bot else None, bans=sorted(gd["bans"]),
        )  # fmt: skip


@bp.route("/guilds/<guild_id>/members", methods=["POST"])
def put_member(guild_id):
    """Put a user on a server beforehand (a member who joined before buying)."""
    from sandbox.state import now_iso

    body = request.get_json(force=True)
    state = g.state
    with state.lock:
        state.guilds[guild_id]["members"][body["user_id"]] = {
            "roles": list(body.get("roles", [])),
            "joined_at": now_iso(),
        }
    return jsonify(ok=True)


@bp.route("/guilds/<guild_id>/bans", methods=["POST"])
def ban(guild_id):
    """Ban a user from a server."""
    with g.state.lock:
        g.state.guilds[guild_id]["bans"].add(request.get_json(force=True)["user_id"])
    return jsonify(ok=True)


@bp.route("/guilds/<guild_id>/bot-role", methods=["POST"])
def bot_role(guild_id):
    """Move the bot's role to a position."""
    with g.state.lock:
        g.state.move_bot_role(guild_id, int(request.get_json(force=True)["position"]))
    return jsonify(ok=True)


@bp.route("/guilds/<guild_id>/roles/<role_id>", methods=["DELETE"])
def delete_role(guild_id, role_id):
    """Delete a role."""
    with g.state.lock:
        gd = g.state.guilds[guild_id]
        gd["roles"] = [r for r in gd["roles"] if r["id"] != role_id]
        for member in gd["members"].values():
            member["roles"] = [r for r in member["roles"] if r != role_id]
    return jsonify(ok=True)


@bp.route("/guilds/<guild_id>/bot", methods=["DELETE"])
def remove_bot(guild_id):
    """The bot leaves (or is kicked from) a server."""
    from sandbox import seed

    with g.state.lock:
        g.state.guilds[guild_id]["members"].pop(seed.BOT_USER_ID, None)
    return jsonify(ok=True)


@bp.route("/users/<user_id>", methods=["POST"])
def user(user_id):
    """Change a user: guild_count, tokens ("revoke" or "expire")."""
    body = request.get_json(force=True)
    state = g.state
    with state.lock:
        if user_id not in state.users:
            state.users[user_id] = {"id": user_id, "username": body.get("username", f"user{user_id[-4:]}"),
                                    "global_name": None, "avatar": None, "bot": False, "guild_count": 0,
                                    "email": f"{user_id}@sandbox.example"}  # fmt: skip
        if "guild_count" in body:
            state.users[user_id]["guild_count"] = int(body["guild_count"])
        if body.get("tokens") == "revoke":
            state.revoke_user_tokens(user_id)
        elif body.get("tokens") == "expire":
            state.expire_user_tokens(user_id)
    return jsonify(ok=True)


class SandboxControl:
    """Python client of the control API."""

    def __init__(self, url):
        self.url = url.rstrip("/")
        self.http = requests.Session()

    def _post(self, path, body=None):
        response = self.http.post(f"{self.url}/_sandbox{path}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self):
        """Back to the seed world."""
        return self._post("/reset")

    def config(self, **settings):
        """auto_approve=…, auto_deny=…, limits=…"""
        return self._post("/config", settings)

    def limits(
        self, default=None, routes=None, global_per_second=None, invalid_per_10_minutes=None
    ):
        """Tighten or loosen the rate limits."""
        limits = {k: v for k, v in {"default": default, "routes": routes, "global_per_second": global_per_second,
                                    "invalid_per_10_minutes": invalid_per_10_minutes}.items() if v is not None}  # fmt: skip
        return self.config(limits=limits)

    def fault(self, **rule):
        """Add one fault rule."""
        return self._post("/faults", {"rules": [rule]})

    def clear_faults(self):
        """Remove every fault rule."""
        self.http.delete(f"{self.url}/_sandbox/faults", timeout=10).raise_for_status()

    def stats(self):
        """The counters."""
        return self.http.get(f"{self.url}/_sandbox/stats", timeout=10).json()

    def log(self):
        """The latest requests."""
        return self.http.get(f"{self.url}/_sandbox/log", timeout=10).json()

    def guild(self, guild_id):
        """A guild's state."""
        return self.http.get(f"{self.url}/_sandbox/guilds/{guild_id}", timeout=10).json()

    def add_member(self, guild_id, user_id, roles=()):
        """Put a user on a server beforehand."""
        return self._post(f"/guilds/{guild_id}/members", {"user_id": user_id, "roles": list(roles)})

    def ban(self, guild_id, user_id):
        """Ban a user."""
        return self._post(f"/guilds/{guild_id}/bans", {"user_id": user_id})

    def move_bot_role(self, guild_id, position):
        """Drag the bot's role to a position."""
        return self._post(f"/guilds/{guild_id}/bot-role", {"position": position})

    def delete_role(self, guild_id, role_id):
        """Delete a role."""
        self.http.delete(
            f"{self.url}/_sandbox/guilds/{guild_id}/roles/{role_id}", timeout=10
        ).raise_for_status()

    def remove_bot(self, guild_id):
        """The bot leaves a server."""
        self.http.delete(
            f"{self.url}/_sandbox/guilds/{guild_id}/bot", timeout=10
        ).raise_for_status()

    def user(self, user_id, **changes):
        """Change a user (guild_count=100, tokens="revoke"|"expire")."""
        return self._post(f"/users/{user_id}", changes)
