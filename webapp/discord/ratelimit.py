"""Discord rate limits shared by every process through Redis.

Per bucket and major parameter we keep Discord's own numbers (limit, remaining, when the
window resets) and reserve a slot atomically before each request, so processes on several
machines never overrun a bucket together. A route whose bucket is not known yet is
discovered by one request at a time. The global limit (50 requests/s per bot) is a
per-second counter. Times are local (`now + Reset-After`), never Discord's clock.
"""

import hashlib
import time

ACQUIRE = """
local s = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset_at', 'window')
if not s[1] then return {-1, '0'} end
local limit, rem, reset, window = tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), tonumber(s[4])
local now = tonumber(ARGV[1])
if now >= reset then
  rem = limit
  reset = now + window
end
if rem > 0 then
  redis.call('HSET', KEYS[1], 'remaining', rem - 1, 'reset_at', tostring(reset))
  redis.call('PEXPIRE', KEYS[1], math.ceil((reset - now + 60) * 1000))
  return {1, '0'}
end
return {0, tostring(reset - now)}
"""

UPDATE = """
local limit, rem, reset, window, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local s = redis.call('HMGET', KEYS[1], 'remaining', 'reset_at', 'window')
if s[2] then
  local cur_rem, cur_reset, cur_window = tonumber(s[1]), tonumber(s[2]), tonumber(s[3])
  window = math.max(window, cur_window)
  if reset < cur_reset - window / 2 then return 0 end  -- an answer from an older window
  rem = math.min(rem, cur_rem)
  reset = math.max(reset, cur_reset)
end
redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', rem, 'reset_at', tostring(reset), 'window', tostring(window))
redis.call('PEXPIRE', KEYS[1], math.ceil((reset - now + 60) * 1000))
return 1
"""

GLOBAL = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
"""

INVALID_WINDOW = 600


class RateLimiter:
    """Reservations against Discord's buckets and global limit, kept in Redis."""

    def __init__(self, redis, bot_token, global_limit=50, invalid_threshold=5000, clock=time.time):
        self.redis = redis
        self.ns = "discord:rl:" + hashlib.sha256(bot_token.encode()).hexdigest()[:12]
        self.global_limit = global_limit
        self.invalid_threshold = invalid_threshold
        self.clock = clock
        self._acquire = redis.register_script(ACQUIRE)
        self._update = redis.register_script(UPDATE)
        self._global = redis.register_script(GLOBAL)
        self.waits = 0

    def _state_key(self, bucket, major):
        return f"{self.ns}:b:{bucket}:{major}"

    def bucket_of(self, route_key):
        """The bucket hash Discord told us for this route, or None."""
        value = self.redis.get(f"{self.ns}:route:{route_key}")
        return value.decode() if value else None

    def reserve(self, route_key, major):
        """0 when a request may go now (slot taken), else seconds to wait first."""
        now = self.clock()
        blocked = self.redis.get(f"{self.ns}:global-block")
        if blocked and float(blocked) > now:
            return float(blocked) - now
        invalid = self.redis.get(f"{self.ns}:invalid:{int(now // INVALID_WINDOW)}")
        if invalid and int(invalid) >= self.invalid_threshold:
            # Far below Cloudflare's 10,000 per 10 minutes: stop before an IP ban.
            return INVALID_WINDOW - now % INVALID_WINDOW
        bucket = self.bucket_of(route_key)
        lock = f"{self.ns}:discover:{route_key}:{major}"
        if bucket is None:
            # Unknown bucket: one discovering request at a time for this route and guild.
            if not self.redis.set(lock, "1", nx=True, px=5000):
                return 0.05
        else:
            allowed, wait = self._acquire(keys=[self._state_key(bucket, major)], args=[now])
            if allowed == 0:
                return max(float(wait), 0.01)
        if not self._global(keys=[f"{self.ns}:g:{int(now)}"], args=[self.global_limit]):
            # The second is full: hand back what we took, wait for the next second.
            if bucket is None:
                self.redis.delete(lock)
            else:
                self.redis.hincrby(self._state_key(bucket, major), "remaining", 1)
            return max(1.0 - (now % 1.0), 0.01)
        return 0

    def learn(self, route_key, major, headers):
        """Record the bucket numbers of an answer."""
        bucket = headers.get("X-RateLimit-Bucket")
        if not bucket or headers.get("X-RateLimit-Limit") is None:
            return
        now = self.clock()
        self.redis.set(f"{self.ns}:route:{route_key}", bucket, ex=24 * 3600)
        reset_after = float(headers.get("X-RateLimit-Reset-After", 0) or 0)
        self._update(
            keys=[self._state_key(bucket, major)],
            args=[
                int(headers["X-RateLimit-Limit"]),
                int(headers.get("X-RateLimit-Remaining", 0)),
                now + reset_after,
                reset_after,
                now,
            ],
        )
        self.redis.delete(f"{self.ns}:discover:{route_key}:{major}")

    def limited(self, route_key, major, retry_after, is_global, headers):
        """A 429: block the bucket (or the whole bot) until retry_after has passed."""
        now = self.clock()
        until = now + retry_after
        if is_global:
            self.redis.set(f"{self.ns}:global-block", until, px=int(retry_after * 1000) + 1000)
            return
        bucket = headers.get("X-RateLimit-Bucket") or self.bucket_of(route_key)
        if bucket:
            key = self._state_key(bucket, major)
            self.redis.hset(key, mapping={"remaining": 0, "reset_at": until})
            self.redis.hsetnx(key, "limit", 1)
            self.redis.hsetnx(key, "window", retry_after)
            self.redis.pexpire(key, int((retry_after + 60) * 1000))
        self.redis.delete(f"{self.ns}:discover:{route_key}:{major}")

    def release_discovery(self, route_key, major):
        """A discovering request ended without bucket headers: let the next one go."""
        self.redis.delete(f"{self.ns}:discover:{route_key}:{major}")

    def count_invalid(self):
        """Count a 401, 403 or 429 toward Cloudflare's invalid-request limit."""
        key = f"{self.ns}:invalid:{int(self.clock() // INVALID_WINDOW)}"
        with self.redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, INVALID_WINDOW * 2)
            pipe.execute()
