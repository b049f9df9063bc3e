"""The sandbox's memory: users, servers, OAuth grants, limits, faults, counters and the log."""

import itertools
import secrets
import threading
import time
from collections import Counter, deque
from datetime import UTC, datetime

from sandbox import gateway, seed
from sandbox.faults import Faults
from sandbox.ratelimit import RateLimiter

CODE_TTL = 600  # authorization codes live 10 minutes
ACCESS_TTL = 604800  # access tokens live 7 days


class SandboxState:
    """Everything the sandbox knows; every read and write holds `lock` (one, not re-entrant)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        """Back to the seed world, default limits, no faults, zero counters."""
        with self.lock:
            self.users, self.guilds = seed.initial()
            self.codes, self.access, self.refresh = {}, {}, {}
            self.config = {"auto_approve": None, "auto_deny": False, "redirect_uris": None}
            self.limiter = RateLimiter()
            self.faults = Faults()
            self.stats = Counter()
            self.by_status, self.by_route, self.changes = Counter(), Counter(), Counter()
            self.log = deque(maxlen=500)
            self.dms, self.messages, self.dms_closed = {}, [], set()
            self.ids = itertools.count(400000000000000001)
            self.gateway = gateway.Hub()

    def snowflake(self):
        """A new id."""
        return str(next(self.ids))

    # OAuth

    def new_code(self, user_id, scopes, redirect_uri, guild_id=None, permissions=0):
        """A single-use authorization code, valid 10 minutes."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"user_id": user_id, "scopes": scopes, "redirect_uri": redirect_uri,
                            "guild_id": guild_id, "permissions": int(permissions or 0),
                            "expires": time.time() + CODE_TTL}  # fmt: skip
        return code

    def new_tokens(self, user_id, scopes, grant_id=None):
        """An access and refresh token pair of one authorization (grant)."""
        grant_id = grant_id or secrets.token_hex(8)
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        record = {"grant": grant_id, "user_id": user_id, "scopes": list(scopes)}
        self.access[access] = {**record, "expires": time.time() + ACCESS_TTL}
        self.refresh[refresh] = record
        return access, refresh

    def bearer(self, token):
        """The live grant behind an access token, or None."""
        grant = self.access.get(token)
        if grant and grant["expires"] > time.time():
            return grant
        return None

    def revoke(self, token):
        """Revoke the authorization behind an access or refresh token (both tokens die)."""
        record = self.access.get(token) or self.refresh.get(token)
        if record:
            self._drop(lambda t: t["grant"] == record["grant"])

    def revoke_user_tokens(self, user_id):
        """Forget every token of a user (they de-authorised the app)."""
        self._drop(lambda t: t["user_id"] == user_id)

    def expire_user_tokens(self, user_id):
        """Access tokens of a user expire now; refresh tokens still work."""
        for grant in self.access.values():
            if grant["user_id"] == user_id:
                grant["expires"] = 0

    def _drop(self, doomed):
        self.access = {k: v for k, v in self.access.items() if not doomed(v)}
        self.refresh = {k: v for k, v in self.refresh.items() if not doomed(v)}

    # Guilds

    def bot_role(self, guild):
        """The bot's managed role in guild, or None when the bot never joined."""
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
            role = {"id": self.snowflake(), "name": seed.BOT_USERNAME, "position": position,
                    "permissions": str(permissions), "color": 0, "hoist": False, "managed": True,
                    "mentionable": False, "flags": 0, "tags": {"bot_id": seed.BOT_USER_ID}}  # fmt: skip
            guild["roles"].append(role)
        else:
            role["permissions"] = str(permissions)
        joined = seed.BOT_USER_ID not in guild["members"]
        guild["members"][seed.BOT_USER_ID] = {"roles": [role["id"]], "joined_at": now_iso()}
        if joined:
            gateway.bot_added(self, guild_id)
        return guild

    def remove_bot(self, guild_id):
        """The bot leaves (or is kicked); like Discord, its managed role goes with it."""
        guild = self.guilds[guild_id]
        was_there = guild["members"].pop(seed.BOT_USER_ID, None) is not None
        role = self.bot_role(guild)
        if role is not None:
            self.delete_role(guild_id, role["id"])
        if was_there:
            gateway.bot_removed(self, guild_id)

    def delete_role(self, guild_id, role_id):
        """Delete a role; members lose it and the roles above move down one."""
        guild = self.guilds[guild_id]
        gone = next((r for r in guild["roles"] if r["id"] == role_id), None)
        if gone is None:
            return False
        guild["roles"].remove(gone)
        for r in guild["roles"]:
            if r["position"] > gone["position"]:
                r["position"] -= 1
        for member in guild["members"].values():
            member["roles"] = [r for r in member["roles"] if r != role_id]
        gateway.role_deleted(self, guild_id, role_id)
        return True

    def move_bot_role(self, guild_id, position):
        """Put the bot's role at `position`, shifting the others like Discord's drag and drop."""
        guild = self.guilds[guild_id]
        role = self.bot_role(guild)
        if role is None:
            raise LookupError("the bot is not on this server")
        others = sorted((r for r in guild["roles"] if r is not role and r["id"] != guild_id),
                        key=lambda r: r["position"])  # fmt: skip
        position = max(1, min(position, len(others) + 1))
        others.insert(position - 1, role)
        for i, r in enumerate(others, start=1):
            if r["position"] != i:
                r["position"] = i
                gateway.role_updated(self, guild_id, r)

    def add_member(self, guild_id, user_id, roles=()):
        """Put a user on a server (counts towards their 100 servers)."""
        guild = self.guilds[guild_id]
        new = user_id not in guild["members"]
        if new:
            self.users[user_id]["guild_count"] += 1
        guild["members"][user_id] = {"roles": [str(r) for r in roles], "joined_at": now_iso()}
        (gateway.member_added if new else gateway.member_updated)(self, guild_id, user_id)

    def remove_member(self, guild_id, user_id):
        """Take a user off a server."""
        if self.guilds[guild_id]["members"].pop(user_id, None) is not None:
            self.users[user_id]["guild_count"] -= 1
            gateway.member_removed(self, guild_id, user_id)

    def member_roles_changed(self, guild_id, user_id):
        """A member's roles changed (REST or the live page): tell the gateway."""
        gateway.member_updated(self, guild_id, user_id)

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
        """The bot's permission bits in guild (@everyone's plus its roles')."""
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
                "avatar": None, "joined_at": member["joined_at"], "premium_since": None,
                "deaf": False, "mute": False, "flags": 0, "pending": False}  # fmt: skip

    def user_json(self, user_id, email=False):
        """A user object (with email and verified when the token has the email scope)."""
        u = self.users[user_id]
        body = {k: u[k] for k in ("id", "username", "global_name", "avatar", "bot")}
        body.update(discriminator="0", public_flags=0)
        if email:
            body.update(email=u["email"], verified=u["verified"])
        return body

    def guild_json(self, guild):
        """A guild object with its roles."""
        return {"id": guild["id"], "name": guild["name"], "icon": guild["icon"],
                "owner_id": guild["owner_id"], "features": [],
                "roles": sorted(guild["roles"], key=lambda r: r["position"])}  # fmt: skip


def now_iso():
    """Now, ISO 8601 UTC."""
    return datetime.now(UTC).isoformat()
