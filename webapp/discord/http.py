"""The Discord REST client, in the shape of discord.py's http.py (SPEC §7).

A `Route` names an endpoint; each method below is one endpoint; `request()` alone owns
rate limits, retries and turning error answers into exceptions (errors.py).
"""

import hashlib
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

    @property
    def bucket_key(self):
        """Method, template and major parameter: what one rate-limit bucket is kept under."""
        return f"{self.key} {self.major}"


class DiscordHTTP:
    """Bot (and buyer Bearer) calls to Discord with shared rate limits."""

    def __init__(
        self, base_url, bot_token, redis, *, client_id=None, client_secret=None, max_wait=2.0,
        session=None, timeout=10, global_limit=50, invalid_threshold=5000, version="0.1.0",
    ):  # fmt: skip
        self.base_url = base_url.rstrip("/")
        self.bot_token = bot_token
        self.client_id, self.client_secret = client_id, client_secret
        self.max_wait, self.timeout = max_wait, timeout
        self.session = session or requests.Session()
        self.user_agent = USER_AGENT.format(version=version)
        self.limiter = RateLimiter(
            redis, bot_token, global_limit=global_limit, invalid_threshold=invalid_threshold
        )
        self._bot_user = None

    def request(self, route, *, json=None, reason=None, bearer=None):
        """Send route; return the parsed JSON (None for 204). Raises DiscordError subclasses."""
        headers = {
            "User-Agent": self.user_agent,
            "Authorization": f"Bearer {bearer}" if bearer else f"Bot {self.bot_token}",
        }
        if reason:
            headers["X-Audit-Log-Reason"] = audit_reason(reason)
        # A buyer's token has its own buckets and no part in the bot's global limit.
        major = f"bearer-{_digest(bearer)}" if bearer else route.major
        waited = 0.0
        failures = 0
        while True:
            reservation, wait = self.limiter.reserve(route.key, major, bot=not bearer)
            if reservation is None:
                if waited + wait > self.max_wait:
                    raise RateLimited(wait, status=None, message="rate limit reached: retry later")
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
                self.limiter.release(reservation)
                failures += 1
                # A POST that may have reached Discord is not sent twice (a second role...).
                resend = route.method != "POST" or isinstance(exc, requests.ConnectionError)
                if failures > len(RETRY_DELAYS) or not resend:
                    raise RetryableError(None, None, f"{type(exc).__name__}: {exc}") from exc
                time.sleep(RETRY_DELAYS[failures - 1])
                continue
            status = response.status_code
            if status == 429:
                body = _json(response)
                scope = response.headers.get("X-RateLimit-Scope")
                if scope != "shared":
                    self.limiter.count_invalid()
                retry_after = float(
                    (body or {}).get("retry_after") or response.headers.get("Retry-After") or 1
                )
                is_global = bool((body or {}).get("global")) or bool(
                    response.headers.get("X-RateLimit-Global")
                )
                self.limiter.limited(reservation, retry_after, is_global, response.headers)
                if body is None and "Via" not in response.headers:
                    # No JSON and no Via header: Cloudflare's IP ban, not Discord. Back off long.
                    raise RateLimited(max(retry_after, 60.0), message="blocked by Cloudflare")
                if waited + retry_after > self.max_wait:
                    raise RateLimited(
                        retry_after, code=(body or {}).get("code"), scope=scope,
                        message=(body or {}).get("message") or "rate limited",
                    )  # fmt: skip
                time.sleep(retry_after)
                waited += retry_after
                continue
            self.limiter.learn(reservation, response.headers)
            if status < 300:
                return response.json() if response.content else None
            if status in (401, 403):
                self.limiter.count_invalid()
            body = _json(response)
            if status >= 500:
                failures += 1
                if failures > len(RETRY_DELAYS):
                    raise error_for(status, body)
                time.sleep(RETRY_DELAYS[failures - 1])
                continue
            raise error_for(status, body, bearer=bool(bearer))

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

    def list_members(self, guild_id, after="0", limit=1000):
        """One page of the server's members, by user id, after `after` (List Guild Members;
        needs the Server Members intent)."""
        route = Route("GET", "/guilds/{guild_id}/members", guild_id=guild_id)
        route.url_path += f"?limit={int(limit)}&after={int(after)}"
        return self.request(route)

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

    def _oauth(self, path, data):
        # Discord's token endpoints take only form bodies, with the client's credentials.
        try:
            response = self.session.post(
                f"{self.base_url}/api/oauth2/{path}", data=data,
                auth=(self.client_id, self.client_secret),
                headers={"User-Agent": self.user_agent}, timeout=self.timeout,
            )  # fmt: skip
        except requests.RequestException as exc:
            raise RetryableError(None, None, f"{type(exc).__name__}: {exc}") from exc
        body = _json(response)
        if response.status_code >= 400:
            raise error_for(response.status_code, body, bearer=True)
        return body

    def exchange_code(self, code, redirect_uri):
        """Trade an authorization code for tokens."""
        return self._oauth(
            "token",
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        )

    def refresh_token(self, refresh_token):
        """Trade a refresh token for new tokens."""
        return self._oauth("token", {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def revoke_token(self, token):
        """Revoke an access or refresh token (Discord answers an empty object)."""
        self._oauth("token/revoke", {"token": token})
        return True


def audit_reason(reason):
    """`reason` URL-encoded for X-Audit-Log-Reason, cut to 512 characters without splitting an escape."""
    encoded = quote(reason, safe=" ")
    while len(encoded) > 512:
        # One character encodes to at most 12 (%XX x 4): never cut more than needed.
        reason = reason[: len(reason) - max(1, (len(encoded) - 512) // 12)]
        encoded = quote(reason, safe=" ")
    return encoded


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


__all__ = ["DiscordError", "DiscordHTTP", "Route"]
