"""Discord-like rate limits: per-route buckets per major parameter, a global limit per bot
token, and the invalid-request counter behind Cloudflare's temporary IP ban."""

import hashlib
import math
import time
from collections import deque

# Discord publishes no per-route numbers; these are realistic and leave room for a demo.
# Member and role changes are the tight ones on real Discord, reads are looser.
_WRITE = {"limit": 5, "per": 1.0}
DEFAULT_ROUTES = {
    "default": {"limit": 10, "per": 1.0},
    "PUT /guilds/{guild_id}/members/{user_id}": _WRITE,
    "DELETE /guilds/{guild_id}/members/{user_id}": _WRITE,
    "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}": _WRITE,
    "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}": _WRITE,
    "POST /guilds/{guild_id}/roles": _WRITE,
}
GLOBAL_PER_SECOND = 50
INVALID_PER_10_MINUTES = 10_000


def bucket_hash(route_key):
    """An opaque, stable bucket id per route template (the same for every guild)."""
    return hashlib.sha1(route_key.encode()).hexdigest()[:16]


def retry_after_header(seconds):
    """Discord's Retry-After header: whole seconds, rounded up."""
    return str(max(1, math.ceil(seconds)))


class Limited(Exception):
    """A request over a limit: retry_after seconds, global or per-route."""

    def __init__(self, retry_after, is_global, headers):
        super().__init__("rate limited")
        self.retry_after, self.is_global, self.headers = retry_after, is_global, headers


class RateLimiter:
    """Fixed windows that start at the first request; callers hold the state lock."""

    def __init__(self):
        self.routes = {k: dict(v) for k, v in DEFAULT_ROUTES.items()}
        self.global_per_second = GLOBAL_PER_SECOND
        self.invalid_per_10_minutes = INVALID_PER_10_MINUTES
        self.windows, self.global_windows = {}, {}
        self.invalid = deque()

    def configure(self, routes=None, default=None, global_per_second=None, invalid=None):
        """Change limits; windows already open keep counting."""
        for key, conf in (routes or {}).items():
            self.routes[key] = {"limit": int(conf["limit"]), "per": float(conf["per"])}
        if default:
            self.routes["default"] = {"limit": int(default["limit"]), "per": float(default["per"])}
        if global_per_second is not None:
            self.global_per_second = int(global_per_second)
        if invalid is not None:
            self.invalid_per_10_minutes = int(invalid)

    def as_json(self):
        """The limits in force."""
        return {
            "routes": self.routes,
            "default": self.routes["default"],
            "global_per_second": self.global_per_second,
            "invalid_per_10_minutes": self.invalid_per_10_minutes,
        }

    def take(self, route_key, major, bot_token):
        """Count one request; return its X-RateLimit headers or raise Limited."""
        now = time.time()
        if bot_token:
            start, count = self.global_windows.get(bot_token, (now, 0))
            if now - start >= 1.0:
                start, count = now, 0
            if count >= self.global_per_second:
                # A global 429 carries no bucket headers, only the global flag.
                raise Limited(round(start + 1.0 - now, 3), True, {})
            self.global_windows[bot_token] = (start, count + 1)
        conf = self.routes.get(route_key) or self.routes["default"]
        limit, per = conf["limit"], conf["per"]
        reset_at, count = self.windows.get((route_key, major), (now + per, 0))
        if now >= reset_at:
            reset_at, count = now + per, 0
        bucket = bucket_hash(route_key)
        if count >= limit:
            headers = _headers(limit, 0, reset_at, now, bucket)
            raise Limited(round(reset_at - now, 3), False, headers)
        self.windows[(route_key, major)] = (reset_at, count + 1)
        return _headers(limit, limit - count - 1, reset_at, now, bucket)

    def count_invalid(self):
        """Remember one invalid request (401, 403, or a 429 not of scope shared)."""
        self.invalid.append(time.time())

    def banned(self):
        """True while invalid requests of the last 10 minutes reach the threshold."""
        horizon = time.time() - 600
        while self.invalid and self.invalid[0] < horizon:
            self.invalid.popleft()
        return len(self.invalid) >= self.invalid_per_10_minutes


def _headers(limit, remaining, reset_at, now, bucket):
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{reset_at:.3f}",
        "X-RateLimit-Reset-After": f"{max(reset_at - now, 0):.3f}",
        "X-RateLimit-Bucket": bucket,
    }
