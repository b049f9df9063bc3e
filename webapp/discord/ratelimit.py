"""Discord rate limits shared by every process through Redis.

Per bucket and major parameter we keep Discord's own numbers (limit, remaining, when the
window resets) and reserve a slot atomically before each request, so processes on several
machines never overrun a bucket together. Reservations still in flight are remembered (a
sorted set per bucket) so a new window never hands out the slots of requests Discord may
count in it. A route whose bucket is not known yet is discovered by one request at a time.
The global limit (50 requests/s per bot) is a sliding one-second log. Times are local
(`now + Reset-After`), never Discord's clock.

Keys, all under `discord:rl:<bot token hash>:` and all with a TTL:
  route:<METHOD /template>        the bucket hash Discord named for a route (24 h)
  tpl:<bucket>                    limit and window of a bucket, to start a new guild's state
  b:<bucket>:<major>              limit, remaining, reset_at, window of one bucket and guild
  b:<bucket>:<major>:inflight     reservations sent and not answered yet (id → time)
  discover:<route>:<major>        the one request allowed while a bucket is unknown
  global, global-block            the last second's sends; a global 429's block
  invalid:<10-minute window>      401, 403 and 429 answers, toward Cloudflare's ban
"""

import hashlib
import time
import uuid

# The script reads keys it derives from the stored bucket hash: fine on one Redis (our
# deployment), not on Redis Cluster.
RESERVE = """
local now, glimit, invalid_max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ns, major, id = ARGV[5], ARGV[6], ARGV[7]
local gwindow = tonumber(ARGV[9])
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return {0, tostring(blocked - now)} end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= invalid_max then return {0, ARGV[4]} end
if glimit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - gwindow)
  if redis.call('ZCARD', KEYS[4]) >= glimit then
    local oldest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
    return {0, tostring(math.max(tonumber(oldest[2]) + gwindow - now, 0.001))}
  end
end
local bucket = redis.call('GET', KEYS[1])
local state
if bucket then
  state = ns .. ':b:' .. bucket .. ':' .. major
  local s = redis.call('HMGET', state, 'limit', 'remaining', 'reset_at', 'window')
  local limit, rem, reset, window = tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), tonumber(s[4])
  if not limit then
    -- A guild not seen lately on a known bucket: start from the bucket's shape.
    local t = redis.call('HMGET', ns .. ':tpl:' .. bucket, 'limit', 'window')
    limit, window, reset = tonumber(t[1]), tonumber(t[2]), 0
  end
  if limit then
    local inflight = state .. ':inflight'
    redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now - 60)
    if now >= reset then
      -- A new window; requests still in flight may land in it, so they use it up.
      rem = limit - redis.call('ZCARD', inflight)
      reset = now + window
    end
    if rem <= 0 then return {0, tostring(math.max(reset - now, 0.001))} end
    redis.call('HSET', state, 'limit', limit, 'remaining', rem - 1,
               'reset_at', tostring(reset), 'window', tostring(window))
    redis.call('PEXPIRE', state, math.ceil((reset - now + 60) * 1000))
    redis.call('ZADD', inflight, now, id)
    redis.call('PEXPIRE', inflight, 60000)
  else
    bucket = false
  end
end
if not bucket then
  if not redis.call('SET', KEYS[5], id, 'NX', 'PX', ARGV[8]) then return {0, '0.05'} end
end
if glimit > 0 then
  redis.call('ZADD', KEYS[4], now, id)
  redis.call('PEXPIRE', KEYS[4], math.ceil(gwindow * 2000))
end
return {1, '0'}
"""

LEARN = """
local limit, rem, reset_after, now = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local id = ARGV[6]
local reset, window = now + reset_after, math.max(reset_after, 0.001)
local inflight = KEYS[2] .. ':inflight'
redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400)
redis.call('ZREM', inflight, id)
if redis.call('GET', KEYS[4]) == id then redis.call('DEL', KEYS[4]) end
local t = redis.call('HGET', KEYS[3], 'window')
if t then window = math.max(window, tonumber(t)) end
redis.call('HSET', KEYS[3], 'limit', limit, 'window', tostring(window))
redis.call('EXPIRE', KEYS[3], 86400)
local s = redis.call('HMGET', KEYS[2], 'remaining', 'reset_at')
local cur_rem, cur_reset = tonumber(s[1]), tonumber(s[2])
local others = redis.call('ZCARD', inflight)
if cur_reset and reset < cur_reset - window / 2 then
  return 0  -- an answer from an older window: it must not refill this one
elseif cur_reset and reset <= cur_reset + window / 2 then
  rem = math.min(rem, cur_rem)  -- the same window: our own count already holds the in-flight
  reset = math.max(reset, cur_reset)
else
  rem = math.max(rem - others, 0)  -- a new window: in-flight requests may still land in it
end
redis.call('HSET', KEYS[2], 'limit', limit, 'remaining', rem, 'reset_at', tostring(reset),
           'window', tostring(window))
redis.call('PEXPIRE', KEYS[2], math.ceil((reset - now + 60) * 1000))
return 1
"""

LIMITED = """
local block_end, now = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREM', KEYS[1] .. ':inflight', ARGV[3])
local cur = tonumber(redis.call('HGET', KEYS[1], 'reset_at') or '0')
redis.call('HSET', KEYS[1], 'remaining', 0, 'reset_at', tostring(math.max(block_end, cur)))
redis.call('HSETNX', KEYS[1], 'limit', 1)
redis.call('HSETNX', KEYS[1], 'window', tostring(block_end - now))
redis.call('PEXPIRE', KEYS[1], math.ceil((math.max(block_end, cur) - now + 60) * 1000))
return 1
"""

INVALID_WINDOW = 600
# Sends are spaced by a whole second plus a margin, because Discord counts arrivals, which
# jitter by a few milliseconds against our send times.
GLOBAL_WINDOW = 1.025
DISCOVERY_PX = 5000


class Reservation:
    """One permitted request: where its slot was taken, to settle it with the answer."""

    __slots__ = ("route_key", "major", "id", "bucket")

    def __init__(self, route_key, major, bucket):
        self.route_key, self.major, self.bucket = route_key, major, bucket
        self.id = uuid.uuid4().hex


class RateLimiter:
    """Reservations against Discord's buckets and global limit, kept in Redis."""

    def __init__(
        self, redis, bot_token, global_limit=50, invalid_threshold=5000, clock=time.time
    ):  # fmt: skip
        self.redis = redis
        self.ns = "discord:rl:" + hashlib.sha256(bot_token.encode()).hexdigest()[:12]
        self.global_limit = global_limit
        self.invalid_threshold = invalid_threshold
        self.clock = clock
        self._reserve = redis.register_script(RESERVE)
        self._learn = redis.register_script(LEARN)
        self._limited = redis.register_script(LIMITED)
        # Counters of this process, for tests and benchmarks.
        self.waits = 0
        self.reserved = 0

    def _state_key(self, bucket, major):
        return f"{self.ns}:b:{bucket}:{major}"

    def _invalid_key(self, now):
        return f"{self.ns}:invalid:{int(now // INVALID_WINDOW)}"

    def bucket_of(self, route_key):
        """The bucket hash Discord told us for this route, or None."""
        value = self.redis.get(f"{self.ns}:route:{route_key}")
        return value.decode() if value else None

    def reserve(self, route_key, major, *, bot=True):
        """(Reservation, 0) when a request may go now, else (None, seconds to wait first)."""
        now = self.clock()
        reservation = Reservation(route_key, major, None)
        allowed, wait = self._reserve(
            keys=[
                f"{self.ns}:route:{route_key}",
                f"{self.ns}:global-block",
                self._invalid_key(now),
                f"{self.ns}:global",
                f"{self.ns}:discover:{route_key}:{major}",
            ],
            args=[
                now,
                self.global_limit if bot else 0,
                self.invalid_threshold,
                # Far below Cloudflare's 10,000 per 10 minutes: stop until the window ends.
                INVALID_WINDOW - now % INVALID_WINDOW,
                self.ns,
                major,
                reservation.id,
                DISCOVERY_PX,
                GLOBAL_WINDOW,
            ],
        )
        if not allowed:
            return None, max(float(wait), 0.001)
        self.reserved += 1
        return reservation, 0

    def learn(self, reservation, headers):
        """Record the bucket numbers of an answer and settle its reservation."""
        bucket = headers.get("X-RateLimit-Bucket")
        limit = headers.get("X-RateLimit-Limit")
        if not bucket or limit is None:
            self.release(reservation)
            return
        now = self.clock()
        reset_after = headers.get("X-RateLimit-Reset-After")
        if reset_after is None and headers.get("X-RateLimit-Reset"):
            # Only the absolute time: trust Discord's clock as little as possible.
            reset_after = max(float(headers["X-RateLimit-Reset"]) - now, 0.0)
        self._learn(
            keys=[
                f"{self.ns}:route:{reservation.route_key}",
                self._state_key(bucket, reservation.major),
                f"{self.ns}:tpl:{bucket}",
                f"{self.ns}:discover:{reservation.route_key}:{reservation.major}",
            ],
            args=[
                bucket,
                int(limit),
                int(headers.get("X-RateLimit-Remaining", 0)),
                float(reset_after or 0),
                now,
                reservation.id,
            ],
        )

    def release(self, reservation):
        """A request ended without bucket numbers: free its discovery lock and in-flight slot."""
        bucket = self.bucket_of(reservation.route_key)
        with self.redis.pipeline() as pipe:
            if bucket:
                pipe.zrem(f"{self._state_key(bucket, reservation.major)}:inflight", reservation.id)
            discover = f"{self.ns}:discover:{reservation.route_key}:{reservation.major}"
            # Delete the lock only if it is ours; another process may hold it by now.
            pipe.eval(
                "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end",
                1,
                discover,
                reservation.id,
            )
            pipe.execute()

    def limited(self, reservation, retry_after, is_global, headers):
        """A 429: block the bucket (or the whole bot) until retry_after has passed."""
        now = self.clock()
        until = now + retry_after
        if is_global:
            self.redis.set(f"{self.ns}:global-block", until, px=int(retry_after * 1000) + 1000)
        bucket = headers.get("X-RateLimit-Bucket") or self.bucket_of(reservation.route_key)
        if bucket and not is_global:
            self._limited(
                keys=[self._state_key(bucket, reservation.major)],
                args=[until, now, reservation.id],
            )
        self.release(reservation)

    def count_invalid(self):
        """Count a 401, 403 or 429 toward Cloudflare's invalid-request limit."""
        key = self._invalid_key(self.clock())
        with self.redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, INVALID_WINDOW * 2)
            pipe.execute()

    def invalid_count(self):
        """Invalid requests counted in the current 10-minute window."""
        return int(self.redis.get(self._invalid_key(self.clock())) or 0)
