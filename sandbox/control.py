"""`SandboxControl`: the Python client of the sandbox's control API (/_sandbox/…)."""

import requests


class SandboxControl:
    """Drive a running sandbox from tests, benchmarks and dev tools."""

    def __init__(self, base_url, timeout=10):
        self.url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def _call(self, method, path, body=None, **params):
        response = self.http.request(method, f"{self.url}/_sandbox{path}", json=body,
                                     params=params or None, timeout=self.timeout)  # fmt: skip
        response.raise_for_status()
        return response.json()

    def _post(self, path, body=None):
        return self._call("POST", path, body or {})

    # The whole world

    def reset(self):
        """Back to the seed world, default limits, no faults, zero counters."""
        return self._post("/reset")

    def config(self, **settings):
        """Set auto_approve=, auto_deny=, redirect_uris=, limits=, invalid_threshold=."""
        return self._post("/config", settings)

    def auto_approve(self, user_id, guild_id=None):
        """The consent page approves at once as user_id (and guild_id for a bot install)."""
        return self.config(auto_approve={"user_id": user_id, "guild_id": guild_id}, auto_deny=False)

    def auto_deny(self):
        """The consent page answers access_denied at once."""
        return self.config(auto_approve=None, auto_deny=True)

    def manual_consent(self):
        """The consent page waits for a click again."""
        return self.config(auto_approve=None, auto_deny=False)

    def limits(
        self, default=None, routes=None, global_per_second=None, invalid_per_10_minutes=None
    ):
        """Tighten or loosen rate limits: routes={"PUT /guilds/{guild_id}/…": {"limit", "per"}}."""
        limits = {"default": default, "routes": routes, "global_per_second": global_per_second,
                  "invalid_per_10_minutes": invalid_per_10_minutes}  # fmt: skip
        return self.config(limits={k: v for k, v in limits.items() if v is not None})

    # Faults

    def fault(self, **rule):
        """Add one fault rule: method, path (regex), status, code, message, retry_after, global,
        scope, delay, count or seconds."""
        return self._post("/faults", {"rules": [rule]})

    def faults(self):
        """The fault rules still live."""
        return self._call("GET", "/faults")["rules"]

    def clear_faults(self):
        """Remove every fault rule."""
        return self._call("DELETE", "/faults")

    # Inspection

    def stats(self):
        """Counters: requests, rate_limited, invalid, by_status, by_route, changes."""
        return self._call("GET", "/stats")

    def changes(self, method, route, guild_id="", user_id="", role_id=""):
        """How many successful calls made this change (e.g. added this role to this user)."""
        ids = " ".join((guild_id, user_id, role_id))
        return self.stats()["changes"].get(f"{method} {route} {ids}".strip(), 0)

    def log(self, limit=None):
        """The latest REST requests, oldest first."""
        return self._call("GET", "/log", **({"limit": limit} if limit else {}))

    def guild(self, guild_id):
        """A guild's roles, members (with role ids and names), bans and the bot's role position."""
        return self._call("GET", f"/guilds/{guild_id}")

    def member_roles(self, guild_id, user_id):
        """The role ids of a member, or None when they are not on the server."""
        members = self.guild(guild_id)["members"]
        return next((m["roles"] for m in members if m["user"]["id"] == user_id), None)

    # Setting the scene

    def add_member(self, guild_id, user_id, roles=()):
        """Put a user on a server beforehand."""
        return self._post(f"/guilds/{guild_id}/members", {"user_id": user_id, "roles": list(roles)})

    def remove_member(self, guild_id, user_id):
        """The user leaves the server by themselves."""
        return self._call("DELETE", f"/guilds/{guild_id}/members/{user_id}")

    def roles_of(self, guild_id, user_id):
        """One member's role ids, or None when they are not on the server."""
        try:
            return self._call("GET", f"/guilds/{guild_id}/members/{user_id}")["roles"]
        except requests.HTTPError as exc:
            if exc.response is not None and exc.response.status_code == 404:
                return None
            raise

    def add_members(self, guild_id, first_id, count, roles=()):
        """Many new users at once, each a member with `roles` (benchmarks)."""
        return self._post(f"/guilds/{guild_id}/members/bulk",
                          {"first_id": first_id, "count": count, "roles": list(roles)})  # fmt: skip

    def remove_role_by_hand(self, guild_id, user_id, role_id):
        """A moderator takes a role from a member (the gateway dispatches the update)."""
        return self._call("DELETE", f"/guilds/{guild_id}/members/{user_id}/roles/{role_id}")

    def gateway(self, **changes):
        """The gateway's counters; members_intent=False switches Server Members Intent off,
        drop=True closes every connection (resumable)."""
        return self._post("/gateway", changes) if changes else self._call("GET", "/gateway")

    def ban(self, guild_id, user_id):
        """Ban a user (and remove them if they are on the server)."""
        return self._post(f"/guilds/{guild_id}/bans", {"user_id": user_id})

    def unban(self, guild_id, user_id):
        """Lift a ban."""
        return self._call("DELETE", f"/guilds/{guild_id}/bans/{user_id}")

    def install_bot(self, guild_id, permissions=268435459):
        """The bot joins a server without the OAuth dance."""
        return self._post(f"/guilds/{guild_id}/bot", {"permissions": permissions})

    def remove_bot(self, guild_id):
        """The bot leaves a server, its role with it."""
        return self._call("DELETE", f"/guilds/{guild_id}/bot")

    def move_bot_role(self, guild_id, position):
        """Drag the bot's role to a position (1 = just above @everyone)."""
        return self._post(f"/guilds/{guild_id}/bot-role", {"position": position})

    def delete_role(self, guild_id, role_id):
        """Delete a role."""
        return self._call("DELETE", f"/guilds/{guild_id}/roles/{role_id}")

    def create_user(self, username, user_id=None):
        """An extra user; returns the user object."""
        return self._post("/users", {"username": username, "user_id": user_id})

    def user(self, user_id, **changes):
        """Change a user (username=, guild_count=100, tokens="revoke"|"expire")."""
        return self._post(f"/users/{user_id}", changes)

    def close_dms(self, user_id, closed=True):
        """The user stops (or allows) DMs from server members: Discord answers 50007."""
        return self._post(f"/users/{user_id}", {"dms": "closed" if closed else "open"})

    def messages(self, user_id=None):
        """The DMs the bot sent (to one user when given)."""
        sent = self._call("GET", "/messages")
        return [m for m in sent if user_id is None or m["to_id"] == user_id]

    def set_guild_count(self, user_id, count):
        """How many servers the user is in (100 makes the next add fail with 30001)."""
        return self.user(user_id, guild_count=count)

    def revoke_tokens(self, user_id):
        """Every token of the user dies (they de-authorised the app)."""
        return self.user(user_id, tokens="revoke")

    def expire_tokens(self, user_id):
        """The user's access tokens expire now; refresh tokens still work."""
        return self.user(user_id, tokens="expire")

    def issue_tokens(self, user_id, scope="identify guilds.join"):
        """Tokens for a user without the consent page: {access_token, refresh_token, …}."""
        return self._post(f"/users/{user_id}/tokens", {"scope": scope})
