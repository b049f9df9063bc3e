"""Rate limits like Discord's: bucket headers, per-guild buckets, 429s, the global limit and
the Cloudflare ban after too many invalid requests."""

import time

from sandbox import seed
from tests.sandbox.conftest import Api

GUILD = seed.GUILD_ID
ROUTE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
PATH = f"/guilds/{GUILD}/members/{seed.ANN}/roles/{seed.PRO_ROLE_ID}"


def test_every_answer_carries_bucket_headers(installed, api):
    headers = api("GET", f"/guilds/{GUILD}").headers
    assert headers["X-RateLimit-Limit"] == "10" and headers["X-RateLimit-Remaining"] == "9"
    assert 0 < float(headers["X-RateLimit-Reset-After"]) <= 1.0
    assert abs(float(headers["X-RateLimit-Reset"]) - time.time() - 1.0) < 0.5
    other_guild = api("GET", f"/guilds/{seed.SECOND_GUILD_ID}").headers  # 403, same bucket hash
    assert other_guild["X-RateLimit-Bucket"] == headers["X-RateLimit-Bucket"]


def test_exhausting_a_tightened_bucket_gives_a_429_with_retry_after(installed, api):
    installed.add_member(GUILD, seed.ANN)
    installed.limits(routes={ROUTE: {"limit": 2, "per": 5.0}})
    assert [api("PUT", PATH).status_code for _ in range(2)] == [204, 204]
    limited = api("PUT", PATH)
    assert limited.status_code == 429
    body = limited.json()
    assert body["message"] == "You are being rate limited." and body["global"] is False
    assert 4 < body["retry_after"] <= 5
    assert limited.headers["Retry-After"] == "5" and limited.headers["X-RateLimit-Scope"] == "user"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Global" not in limited.headers
    stats = installed.stats()
    assert stats["rate_limited"] == 1 and stats["invalid"] == 1
    assert installed.changes("PUT", ROUTE.split(" ", 1)[1], GUILD, seed.ANN, seed.PRO_ROLE_ID) == 2


def test_buckets_are_per_guild(installed, api):
    installed.install_bot(seed.SECOND_GUILD_ID)
    installed.limits(routes={"GET /guilds/{guild_id}": {"limit": 1, "per": 5.0}})
    assert api("GET", f"/guilds/{GUILD}").status_code == 200
    assert api("GET", f"/guilds/{seed.SECOND_GUILD_ID}").status_code == 200
    assert api("GET", f"/guilds/{GUILD}").status_code == 429


def test_the_global_limit_is_per_bot_token(installed, api):
    installed.limits(global_per_second=3, default={"limit": 100, "per": 1.0})
    statuses = [api("GET", "/users/@me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api("GET", "/users/@me")
    assert limited.json()["global"] is True
    assert (
        limited.headers["X-RateLimit-Global"] == "true"
        and limited.headers["X-RateLimit-Scope"] == "global"
    )
    time.sleep(1.05)
    assert api("GET", "/users/@me").status_code == 200


def test_too_many_invalid_requests_trigger_the_cloudflare_ban(installed):
    installed.limits(invalid_per_10_minutes=3)
    wrong = Api(installed.url, "wrong")
    assert [wrong("GET", "/users/@me").status_code for _ in range(3)] == [401] * 3
    banned = Api(installed.url)("GET", "/users/@me")
    assert banned.status_code == 429 and "Via" not in banned.headers
    assert banned.headers["Content-Type"].startswith("text/plain")
    installed.reset()
    assert Api(installed.url)("GET", "/users/@me").status_code == 200
