"""The shared rate limiter on a real Redis, with a clock the tests move by hand."""

from urllib.parse import unquote

import pytest

from webapp.discord.http import audit_reason
from webapp.discord.ratelimit import GLOBAL_WINDOW, INVALID_WINDOW, RateLimiter

ROUTE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def limiter(redis_conn, clock):
    return RateLimiter(redis_conn, "token", global_limit=1000, clock=clock)


def headers(remaining, reset_after, limit=2, bucket="abc"):
    return {
        "X-RateLimit-Bucket": bucket,
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset-After": str(reset_after),
    }


def test_an_unknown_bucket_is_discovered_by_one_request_at_a_time(limiter):
    first, _ = limiter.reserve(ROUTE, "g1")
    second, wait = limiter.reserve(ROUTE, "g1")
    assert first and second is None and wait > 0
    other_guild, _ = limiter.reserve(ROUTE, "g2")
    assert other_guild
    limiter.learn(first, headers(1, 1.0))
    assert limiter.reserve(ROUTE, "g1")[0]


def test_a_bucket_at_zero_asks_to_wait_until_its_reset(limiter, clock):
    first, _ = limiter.reserve(ROUTE, "g1")
    limiter.learn(first, headers(1, 1.0))
    assert limiter.reserve(ROUTE, "g1")[0]
    clock.now += 0.25
    reservation, wait = limiter.reserve(ROUTE, "g1")
    assert reservation is None and wait == pytest.approx(0.75)


def test_a_late_answer_from_the_old_window_does_not_refill_the_new_one(limiter, clock):
    first, _ = limiter.reserve(ROUTE, "g1")
    limiter.learn(first, headers(1, 1.0))
    clock.now += 0.1
    slow, _ = limiter.reserve(ROUTE, "g1")  # the last slot of the window; its answer is late
    clock.now += 0.95
    # A new window: the slow request may still land in it, so only one slot is left.
    assert limiter.reserve(ROUTE, "g1")[0]
    assert limiter.reserve(ROUTE, "g1")[0] is None
    clock.now += 0.01
    limiter.learn(slow, headers(0, 0.0))  # Discord counted it in the old window after all
    reservation, wait = limiter.reserve(ROUTE, "g1")
    assert reservation is None and wait > 0.9


def test_an_answer_of_a_new_window_counts_requests_still_in_flight(limiter, clock):
    first, _ = limiter.reserve(ROUTE, "g1")
    limiter.learn(first, headers(3, 1.0, limit=4))
    a, _ = limiter.reserve(ROUTE, "g1")
    b, _ = limiter.reserve(ROUTE, "g1")
    clock.now += 1.5
    # `a` reached Discord in its next window and says 3 are left; `b` is still in flight.
    limiter.learn(a, headers(3, 0.9, limit=4))
    assert [limiter.reserve(ROUTE, "g1")[0] is not None for _ in range(3)] == [True, True, False]


def test_a_new_guild_on_a_known_bucket_is_limited_from_its_first_request(limiter):
    first, _ = limiter.reserve(ROUTE, "g1")
    limiter.learn(first, headers(1, 1.0))
    granted = [limiter.reserve(ROUTE, "g2")[0] is not None for _ in range(3)]
    assert granted == [True, True, False]


def test_the_global_limit_is_a_sliding_second_shared_by_every_route(redis_conn, clock):
    limiter = RateLimiter(redis_conn, "token", global_limit=3, clock=clock)
    for i in range(3):
        assert limiter.reserve(f"GET /r{i}", "")[0]
        clock.now += 0.3
    reservation, wait = limiter.reserve("GET /r9", "")
    assert reservation is None and wait == pytest.approx(GLOBAL_WINDOW - 0.9)
    clock.now += wait
    assert limiter.reserve("GET /r9", "")[0]
    assert limiter.reserve("GET /users/@me", "bearer-x", bot=False)[0]  # not the bot's limit


def test_a_global_429_blocks_every_route_of_the_bot(limiter, clock):
    reservation, _ = limiter.reserve(ROUTE, "g1")
    limiter.limited(reservation, 2.0, True, {})
    blocked, wait = limiter.reserve("GET /guilds/{guild_id}", "g9")
    assert blocked is None and wait == pytest.approx(2.0)
    clock.now += 2.01
    assert limiter.reserve("GET /guilds/{guild_id}", "g9")[0]


def test_a_bucket_429_blocks_that_bucket_and_guild_only(limiter, clock):
    first, _ = limiter.reserve(ROUTE, "g1")
    limiter.learn(first, headers(1, 1.0))
    reservation, _ = limiter.reserve(ROUTE, "g1")
    limiter.limited(reservation, 5.0, False, {"X-RateLimit-Bucket": "abc"})
    blocked, wait = limiter.reserve(ROUTE, "g1")
    assert blocked is None and wait == pytest.approx(5.0)
    assert limiter.reserve(ROUTE, "g2")[0]


def test_too_many_invalid_requests_stop_every_request_until_the_window_ends(redis_conn, clock):
    limiter = RateLimiter(redis_conn, "token", invalid_threshold=3, clock=clock)
    for _ in range(3):
        limiter.count_invalid()
    reservation, wait = limiter.reserve(ROUTE, "g1")
    assert reservation is None and 0 < wait <= INVALID_WINDOW
    assert limiter.invalid_count() == 3


def test_every_key_expires(limiter, redis_conn):
    first, _ = limiter.reserve(ROUTE, "g1")
    limiter.learn(first, headers(1, 1.0))
    limiter.reserve(ROUTE, "g1")
    limiter.count_invalid()
    keys = redis_conn.keys("discord:rl:*")
    assert keys and all(redis_conn.pttl(key) > 0 for key in keys)


def test_the_audit_log_reason_is_url_encoded_and_cut_to_512_characters():
    assert audit_reason("Rolegate: order ord_1 ✓") == "Rolegate%3A order ord_1 %E2%9C%93"
    long = audit_reason("é" * 600)
    assert len(long) <= 512 and unquote(long) == "é" * (len(long) // 6)
