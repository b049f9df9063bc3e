"""The sandbox's memory: users, servers, tokens, rate-limit windows, faults and counters."""

import hashlib
import itertools
import secrets
import threading
import time
from collections import Counter, deque
from datetime import UTC, datetime

from sandbox import seed

DEFAULT_LIMITS = {
    "default": {"limit": 10, "per": 1.0},
    "global_per_second": 50,
    "invalid_per_10_minutes": 10000,
}


class SandboxState:
    """Everything the sandbox knows; every access goes through `lock`."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        """Back to the seed world, default limits, no faults, zero counters."""
        with self.lock:
            self.users, self.guilds = seed.initial()
            self.codes, self.access, self.refresh = {}, {}, {}
            self.config = {"auto_approve": None, "auto_deny": False}
            self.limits = {
                k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_LIMITS.items()
            }
            self.limits["routes"] = {}
            self.windows, self.global_windows = {}, {}
            self.invalid = deque()
            self.faults = []
            self.stats = Counter()
            self.by_status, self.by_route, self.changes = Counter(), Counter(), Counter()
            self.log = deque(maxlen=200)
            self.dms, self.messages = {}, []
            self.ids = itertools.count(400000000000000001)

    def snowflake(self):
        """A new id."""
        return str(next(self.ids))

    # OAuth

    def new_code(self, user_id, scopes, redirect_uri, guild_id=None, permissions=0):
        """A single-use authorization code, valid 10 minutes."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"user_id": user_id, "scopes": scopes, "redirect_uri": redirect_uri,
                            "guild_id": guild_id, "permissions": int(permissions or 0),
                            "expires": time.time() + 600}  # fmt: skip
        return code

    def new_tokens(self, user_id, scopes):
        """An access and refresh token pair (access lives 7 days)."""
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access[access] = {
            "user_id": user_id,
            "scopes": scopes,
            "expires": time.time() + 604800,
        }
        self.refresh[refresh] = {"user_id": user_id, "scopes": scopes}
        return access, refresh

    def bearer(self, token):
        """The live grant of an access token, or None."""
        grant = self.access.get(token)
        if grant and grant["expires"] > time.time():
            return grant
        return None

    def revoke_user_tokens(self, user_id):
        """Forget every token of a user (they de-authorised the app)."""
        self.access = {k: v for k, v in self.access.items() if v["user_id"] != user_id}
        self.refresh = {k: v for k, v in self.refresh.items() if v["user_id"] != user_id}

    def expire_user_tokens(self, user_id):
        """Access tokens of a user expire now; refresh tokens still work."""
        for grant in self.access.values():
            if grant["user_id"] == user_id:
                grant["expires"] = 0

    # Guilds

    def bot_role(self, guild):
        """The bot's managed role in guild, or None when the bot is not there."""
        return next(
            (r for r in guild["roles"] if r.get("tags", {}).get("bot_id") == seed.BOT_USER_ID), None
        )

    def install_bot(self, guild_id, permissions):
        """The bot joins the guild with a managed role holding `permissions`."""
        guild = self.guilds[guild_id]
        role = self.bot_role(guild)
        if role is None:
            position = guild["bot_position"]
            for r in guild["roles"]:
                if r["position"] >= position and r["id"] != guild_id:
                    r["position"] += 1
            role = {"id": self.snowflake(), "name": "Rolegate Bot", "position": position,
                    "permissions": str(permissions), "color": 0, "hoist": False, "managed": True,
                    "mentionable": False, "tags": {"bot_id": seed.BOT_USER_ID}}  # fmt: skip
            guild["roles"].append(role)
        else:
            role["permissions"] = str(permissions)
        guild["members"][seed.BOT_USER_ID] = {"roles": [role["id"]], "joined_at": now_iso()}
        return guild

    def move_bot_role(self, guild_id, position):
        """Put the bot's role at `position`, shifting the others like Discord's drag and drop."""
        guild = self.guilds[guild_id]
        role = self.bot_role(guild)
        others = sorted((r for r in guild["roles"] if r is not role and r["id"] != guild_id),
                        key=lambda r: r["position"])  # fmt: skip
        position = max(1, min(position, len(others) + 1))
        others.insert(position - 1, role)
        for i, r in enumerate(others, start=1):
            r["position"] = i

    def top_position(self, guild, user_id):
        """Highest role position of a member (the owner outranks everyone)."""
        if user_id == guild["owner_id"]:
            return 10**6
        member = guild["members"].get(user_id)
        if member is None:
            return 0
        positions = {r["id"]: r["position"] for r in guild["roles"]}
        return max([positions.get(r, 0) for r in member["roles"]], default=0)

    def bot_permissions(self, guild):
        """The bot's permission bits in guild."""
        member = guild["members"].get(seed.BOT_USER_ID)
        if member is None:
            return 0
        mine = set(member["roles"]) | {guild["id"]}
        bits = 0
        for role in guild["roles"]:
            if role["id"] in mine:
                bits |= int(role["permissions"])
        return bits

    def member_json(self, guild, user_id):
        """A guild member object as Discord returns it."""
        member = guild["members"][user_id]
        return {"user": self.user_json(user_id), "roles": list(member["roles"]), "nick": None,
                "joined_at": member["joined_at"], "deaf": False, "mute": False}  # fmt: skip

    def user_json(self, user_id):
        """A user object."""
        u = self.users[user_id]
        return {k: u[k] for k in ("id", "username", "global_name", "avatar", "bot")} | {
            "discriminator": "0"
        }

    def guild_json(self, guild):
        """A guild object with its roles."""
        return {"id": guild["id"], "name": guild["name"], "icon": guild["icon"],
                "owner_id": guild["owner_id"], "roles": sorted(guild["roles"], key=lambda r: r["position"])}  # fmt: skip

    # Rate limits

    def route_limit(self, route_key):
        """The (limit, per) of a route."""
        conf = self.limits["routes"].get(route_key) or self.limits["default"]
        return int(conf["limit"]), float(conf["per"])

    def take(self, route_key, major, bot):
        """Count a request; (headers, None) when allowed, (headers, 429 info) when not."""
        now = time.time()
        if bot:
            start, count = self.global_windows.get(bot, (now, 0))
            if now - start >= 1.0:
                start, count = now, 0
            if count >= int(self.limits["global_per_second"]):
                return {}, {
                    "retry_after": round(start + 1.0 - now, 3),
                    "global": True,
                    "scope": "global",
                }
            self.global_windows[bot] = (start, count + 1)
        limit, per = self.route_limit(route_key)
        key = (route_key, major)
        reset_at, count = self.windows.get(key, (now + per, 0))
        if now >= reset_at:
            reset_at, count = now + per, 0
        bucket = hashlib.sha1(route_key.encode()).hexdigest()[:16]
        if count >= limit:
            headers = _rl_headers(limit, 0, reset_at, now, bucket)
            return headers, {
                "retry_after": round(reset_at - now, 3),
                "global": False,
                "scope": "user",
            }
        self.windows[key] = (reset_at, count + 1)
        return _rl_headers(limit, limit - count - 1, reset_at, now, bucket), None

    def count_invalid(self):
        """Remember an invalid request (401, 403, 429) for the Cloudflare ban."""
        now = time.time()
        self.invalid.append(now)
        while self.invalid and self.invalid[0] < now - 600:
            self.invalid.popleft()

    def banned_by_cloudflare(self):
        """True when invalid requests in the last 10 minutes passed the threshold."""
        now = time.time()
        while self.invalid and self.invalid[0] < now - 600:
            self.invalid.popleft()
        return len(self.invalid) >= int(self.limits["invalid_per_10_minutes"])

    def fault_for(self, method, path):
        """The first fault rule matching this request, consumed once; or None."""
        import re

        now = time.time()
        for rule in list(self.faults):
            if rule.get("until") and rule["until"] < now:
                self.faults.remove(rule)
                continue
            if rule.get("method") and rule["method"] != method:
                continue
            if rule.get("path") and not re.search(rule["path"], path):
                continue
            if rule.get("count") is not None:
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.faults.remove(rule)
            return rule
        return None


def _rl_headers(limit, remaining, reset_at, now, bucket):
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{reset_at:.3f}",
        "X-RateLimit-Reset-After": f"{max(reset_at - now, 0):.3f}",
        "X-RateLimit-Bucket": bucket,
    }


def now_iso():
    """Now, ISO 8601 UTC."""
    return datetime.now(UTC).isoformat()
