"""The Discord REST client, in the shape of discord.py's http.py (SPEC §7).

A `Route` names an endpoint; each method below is one endpoint; `request()` alone owns
rate limits, retries and turning error answers into exceptions (errors.py).
"""

import time
from urllib.parse import quote

import requests

from webapp.discord.errors import (
    DiscordError,
    RateLimited,
    RetryableError,
    UnknownMember,
    error_for,
)
from webapp.discord.ratelimit import RateLimiter

API = "/api/v10"
USER_AGENT = "DiscordBot (https://github.com/rolegate/rolegate, {version})"
RETRY_DELAYS = (0.25, 1.0)  # 5xx and connection errors: three tries in all


class Route:
    """An endpoint: method, path template and its parameters (the guild is the major one)."""

    def __init__(self, method, path, **params):
        self.method, self.path, self.params = method, path, params
        self.url_path = path.format(**{k: quote(str(v), safe="") for k, v in params.items()})
        self.major = str(params.get("guild_id") or params.get("channel_id") or "")

    @property
    def key(self):
        """Route identity for bucket discovery: method and template."""
        return f"{self.method} {self.path}"


class DiscordHTTP:
    """Bot (and buyer Bearer) calls to Discord with shared rate limits."""

    def __init__(
        self, base_url, bot_token, redis, *, client_id=None, client_secret=None, max_wait=2.0,
        session=None, timeout=10, global_limit=50, version="0.1.0",
    ):  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.bot_token = bot_token
        self.client_id, self.client_secret = client_id, client_secret
        self.max_wait, self.timeout = max_wait, timeout
        self.session = session or requests.Session()
        self.user_agent = USER_AGENT.format(version=version)
        self.limiter = RateLimiter(redis, bot_token, global_limit=global_limit)
        self._bot_user = None

    def request(self, route, *, json=None, reason=None, bearer=None):
        """Send route; return the parsed JSON (None for 204). Raises DiscordError subclasses."""
        headers = {
            "User-Agent": self.user_agent,
            "Authorization": f"Bearer {bearer}" if bearer else f"Bot {self.bot_token}",
        }
        if reason:
            headers["X-Audit-Log-Reason"] = quote(reason[:512], safe=" ")[:512]
        waited = 0.0
        failures = 0
        while True:
            wait = self.limiter.reserve(route.key, route.major)
            if wait:
                if waited + wait > self.max_wait:
                    raise RateLimited(wait, status=None, message="bucket empty: retry later")
                self.limiter.waits += 1
                time.sleep(wait)
                waited += wait
                continue
            try:
                response = self.session.request(
                    route.method, self.base_url + API + route.url_path, json=json,
                    headers=headers, timeout=self.timeout,
                )  # fmt: skip
            except requests.RequestException as exc:
                self.limiter.release_discovery(route.key, route.major)
                failures += 1
                if failures > len(RETRY_DELAYS):
                    raise RetryableError(None, None, f"{type(exc).__name__}: {exc}") from exc
                time.sleep(RETRY_DELAYS[failures - 1])
                continue
            self.limiter.learn(route.key, route.major, response.headers)
            if response.status_code < 300:
                self.limiter.release_discovery(route.key, route.major)
                return response.json() if response.content else None
            body = _json(response)
            if response.status_code in (401, 403) or (
                response.status_code == 429
                and response.headers.get("X-RateLimit-Scope") != "shared"
            ):
                self.limiter.count_invalid()
            if response.status_code == 429:
                retry_after = float(
                    (body or {}).get("retry_after", 0) or response.headers.get("Retry-After", 1)
                )
                is_global = bool((body or {}).get("global")) or bool(
                    response.headers.get("X-RateLimit-Global")
                )
                self.limiter.limited(
                    route.key, route.major, retry_after, is_global, response.headers
                )
                if body is None:
                    # No JSON and no Via header: Cloudflare's ban, not Discord. Back off long.
                    raise RateLimited(max(retry_after, 60.0), message="blocked by Cloudflare")
                if waited + retry_after > self.max_wait:
                    raise RateLimited(retry_after, code=(body or {}).get("code"),
                                      scope=response.headers.get("X-RateLimit-Scope"))  # fmt: skip
                time.sleep(retry_after)
                waited += retry_after
                continue
            self.limiter.release_discovery(route.key, route.major)
            if response.status_code >= 500:
                failures += 1
                if failures > len(RETRY_DELAYS):
                    raise error_for(response.status_code, body)
                time.sleep(RETRY_DELAYS[failures - 1])
                continue
            raise error_for(response.status_code, body, bearer=bool(bearer))

    # Users

    def get_bot_user(self):
        """The bot's own user (cached)."""
        if self._bot_user is None:
            self._bot_user = self.request(Route("GET", "/users/@me"))
        return self._bot_user

    def get_current_user(self, access_token):
        """The buyer behind an OAuth access token (scope identify)."""
        return self.request(Route("GET", "/users/@me"), bearer=access_token)

    # Guilds and roles

    def get_guild(self, guild_id):
        """A guild with its roles."""
        return self.request(Route("GET", "/guilds/{guild_id}", guild_id=guild_id))

    def list_roles(self, guild_id):
        """The guild's roles."""
        return self.request(Route("GET", "/guilds/{guild_id}/roles", guild_id=guild_id))

    def create_role(self, guild_id, name, *, reason):
        """Create a role (Discord puts it just above @everyone, below the bot)."""
        route = Route("POST", "/guilds/{guild_id}/roles", guild_id=guild_id)
        return self.request(route, json={"name": name}, reason=reason)

    # Members

    def get_member(self, guild_id, user_id):
        """A member, or None when the user is not on the server."""
        route = Route(
            "GET", "/guilds/{guild_id}/members/{user_id}", guild_id=guild_id, user_id=user_id
        )
        try:
            return self.request(route)
        except UnknownMember:
            return None

    def add_member(self, guild_id, user_id, access_token, *, roles=(), reason):
        """Add the user with their guilds.join token: True if added (201), False if already in (204)."""
        route = Route(
            "PUT", "/guilds/{guild_id}/members/{user_id}", guild_id=guild_id, user_id=user_id
        )
        body = {"access_token": access_token}
        if roles:
            body["roles"] = list(roles)
        return self.request(route, json=body, reason=reason) is not None

    def remove_member(self, guild_id, user_id, *, reason):
        """Kick: True when removed, False when Discord says the member is gone already."""
        route = Route(
            "DELETE", "/guilds/{guild_id}/members/{user_id}", guild_id=guild_id, user_id=user_id
        )
        try:
            self.request(route, reason=reason)
        except UnknownMember:
            return False
        return True

    def add_role(self, guild_id, user_id, role_id, *, reason):
        """Give a member a role."""
        route = Route(
            "PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
            guild_id=guild_id, user_id=user_id, role_id=role_id,
        )  # fmt: skip
        self.request(route, reason=reason)
        return True

    def remove_role(self, guild_id, user_id, role_id, *, reason):
        """Take a role: False when the member is not on the server (nothing to take)."""
        route = Route(
            "DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
            guild_id=guild_id, user_id=user_id, role_id=role_id,
        )  # fmt: skip
        try:
            self.request(route, reason=reason)
        except UnknownMember:
            return False
        return True

    # Messages

    def create_dm(self, user_id):
        """Open a DM channel with a user."""
        return self.request(Route("POST", "/users/@me/channels"), json={"recipient_id": user_id})

    def send_message(self, channel_id, content):
        """Post a message in a channel."""
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        return self.request(route, json={"content": content})

    # OAuth2 (form-encoded only, client credentials)

    def _token(self, data):
        try:
            response = self.session.post(
                f"{self.base_url}/api/oauth2/token", data=data,
                auth=(self.client_id, self.client_secret),
                headers={"User-Agent": self.user_agent}, timeout=self.timeout,
            )  # fmt: skip
        except requests.RequestException as exc:
            raise RetryableError(None, None, str(exc)) from exc
        body = _json(response)
        if response.status_code >= 400:
            raise error_for(response.status_code, body, bearer=True)
        return body

    def exchange_code(self, code, redirect_uri):
        """Trade an authorization code for tokens."""
        return self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    def refresh_token(self, refresh_token):
        """Trade a refresh token for new tokens."""
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def revoke_token(self, token):
        """Revoke an access or refresh token."""
        response = self.session.post(
            f"{self.base_url}/api/oauth2/token/revoke", data={"token": token},
            auth=(self.client_id, self.client_secret),
            headers={"User-Agent": self.user_agent}, timeout=self.timeout,
        )  # fmt: skip
        if response.status_code >= 400:
            raise error_for(response.status_code, _json(response), bearer=True)
        return True


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


__all__ = ["DiscordError", "DiscordHTTP", "Route"]
