"""The Discord REST client against the sandbox: errors, retries and shared rate limits."""

import multiprocessing
import time

import pytest

from sandbox import seed
from webapp.discord import DiscordHTTP
from webapp.discord import errors as e

GUILD = seed.GUILD_ID
ANN = "200000000000000001"
BEN = "200000000000000002"
PRO = "310000000000000003"
ADMIN = "310000000000000009"


@pytest.fixture
def installed(sandbox):
    """The sandbox with the bot installed on the first server (through OAuth, as a seller does)."""
    import requests

    sandbox.config(auto_approve={"user_id": seed.OWNER_ID, "guild_id": GUILD})
    consent = requests.get(
        f"{sandbox.url}/oauth2/authorize",
        params={"client_id": seed.CLIENT_ID, "redirect_uri": "http://localhost/cb", "response_type": "code",
                "scope": "bot", "permissions": "268435459", "state": "s"},
        allow_redirects=False, timeout=5,
    )  # fmt: skip
    code = consent.headers["Location"].split("code=")[1].split("&")[0]
    token = requests.post(
        f"{sandbox.url}/api/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/cb"},
        auth=(seed.CLIENT_ID, seed.CLIENT_SECRET), timeout=5,
    ).json()  # fmt: skip
    assert token["guild"]["id"] == GUILD
    sandbox.add_member(GUILD, ANN)
    return sandbox


@pytest.fixture
def client(installed, redis_conn):
    return DiscordHTTP(installed.url, seed.BOT_TOKEN, redis_conn, client_id=seed.CLIENT_ID,
                       client_secret=seed.CLIENT_SECRET, max_wait=2.0)  # fmt: skip


def test_role_changes_carry_the_user_agent_and_an_audit_log_reason(client, installed):
    client.add_role(GUILD, ANN, PRO, reason="Rolegate: purchase of order ord_1")
    entry = installed.log()[-1]
    assert entry["status"] == 204 and entry["reason"] == "Rolegate: purchase of order ord_1"
    roles = next(m["roles"] for m in installed.guild(GUILD)["members"] if m["user"]["id"] == ANN)
    assert PRO in roles


@pytest.mark.parametrize(
    ("code", "status", "cls", "words"),
    [
        (50013, 403, e.MissingPermissions, "drag the Rolegate bot's role above"),
        (50001, 403, e.MissingAccess, "Reconnect the app"),
        (10004, 404, e.UnknownGuild, "Reconnect the app"),
        (10011, 404, e.UnknownRole, "Choose another role"),
        (40007, 403, e.Banned, "Unban them"),
        (30001, 400, e.TooManyGuilds, "100 servers"),
        (340015, 403, e.OnboardingRequired, "onboarding"),
    ],
)
def test_each_permanent_error_maps_to_its_exception_and_sentence(
    client, installed, code, status, cls, words
):
    installed.fault(method="PUT", path="/roles/", status=status, code=code, count=1)
    with pytest.raises(cls) as caught:
        client.add_role(GUILD, ANN, PRO, reason="test")
    assert caught.value.permanent and caught.value.code == code
    assert words in caught.value.seller_message
    assert caught.value.buyer_message


def test_real_conditions_give_the_same_errors(client, installed):
    with pytest.raises(e.MissingPermissions):
        client.add_role(GUILD, ANN, ADMIN, reason="above the bot")
    with pytest.raises(e.UnknownRole):
        client.add_role(GUILD, ANN, "999", reason="no such role")
    with pytest.raises(e.MissingAccess):
        client.get_guild(seed.SECOND_GUILD_ID)


def test_a_refused_buyer_token_is_a_token_error(client):
    with pytest.raises(e.TokenError):
        client.add_member(GUILD, "200000000000000002", "not-a-token", reason="x")
    with pytest.raises(e.TokenError):
        client.get_current_user("not-a-token")


def test_removing_someone_already_gone_counts_as_done(client):
    assert client.remove_member(GUILD, "200000000000000003", reason="x") is False
    assert client.remove_role(GUILD, "200000000000000003", PRO, reason="x") is False
    assert client.remove_member(GUILD, ANN, reason="x") is True


def test_a_5xx_is_retried_and_then_succeeds(client, installed):
    installed.fault(method="PUT", path="/roles/", status=502, count=2)
    client.add_role(GUILD, ANN, PRO, reason="x")
    statuses = [entry["status"] for entry in installed.log() if entry["method"] == "PUT"]
    assert statuses == [502, 502, 204]


def test_a_5xx_that_persists_is_retryable_not_permanent(client, installed):
    installed.fault(method="PUT", path="/roles/", status=503, count=5)
    with pytest.raises(e.RetryableError) as caught:
        client.add_role(GUILD, ANN, PRO, reason="x")
    assert not caught.value.permanent


def test_a_bucket_at_zero_makes_the_client_wait_instead_of_sending(client, installed):
    installed.limits(
        routes={
            "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}": {"limit": 3, "per": 1.0}
        }
    )
    started = time.monotonic()
    for _ in range(7):
        client.add_role(GUILD, ANN, PRO, reason="x")
    elapsed = time.monotonic() - started
    assert installed.stats()["rate_limited"] == 0
    assert client.limiter.waits >= 1
    assert elapsed >= 1.0  # 7 requests at 3 per second need at least two windows


def test_a_long_wait_becomes_retry_after_instead_of_sleeping(installed, redis_conn):
    installed.limits(
        routes={
            "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}": {"limit": 1, "per": 30.0}
        }
    )
    client = DiscordHTTP(installed.url, seed.BOT_TOKEN, redis_conn, max_wait=0.5)
    client.add_role(GUILD, ANN, PRO, reason="x")
    with pytest.raises(e.RateLimited) as caught:
        client.add_role(GUILD, ANN, PRO, reason="x")
    assert 25 < caught.value.retry_after <= 30
    assert installed.stats()["rate_limited"] == 0


def test_a_429_with_a_long_retry_after_is_raised_for_a_reschedule(client, installed):
    installed.fault(method="PUT", path="/roles/", status=429, retry_after=120, count=1)
    with pytest.raises(e.RateLimited) as caught:
        client.add_role(GUILD, ANN, PRO, reason="x")
    assert caught.value.retry_after == 120


def _hammer(url, redis_url, n, start_at):
    import redis as redis_lib

    client = DiscordHTTP(url, seed.BOT_TOKEN, redis_lib.Redis.from_url(redis_url), max_wait=5.0)
    while time.time() < start_at:
        time.sleep(0.001)
    for _ in range(n):
        client.add_role(GUILD, ANN, PRO, reason="hammer")


def test_two_processes_hammering_one_bucket_get_no_more_429s_than_discovery(
    installed, redis_url, redis_conn
):
    installed.limits(
        routes={
            "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}": {"limit": 5, "per": 1.0}
        }
    )
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 1.5
    procs = [
        ctx.Process(target=_hammer, args=(installed.url, redis_url, 12, start_at)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    stats = installed.stats()
    assert (
        stats["by_route"]["PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"]
        == 24 + stats["rate_limited"]
    )
    assert stats["rate_limited"] <= 1  # at most the first discovery of the bucket


def _buyer_token(sandbox, user_id):
    """A buyer's token from the sandbox's OAuth flow (identify guilds.join), as the claim page gets it."""
    import requests

    sandbox.config(auto_approve={"user_id": user_id})
    consent = requests.get(
        f"{sandbox.url}/oauth2/authorize",
        params={"client_id": seed.CLIENT_ID, "redirect_uri": "http://localhost/cb", "response_type": "code",
                "scope": "identify guilds.join", "state": "s"},
        allow_redirects=False, timeout=5,
    )  # fmt: skip
    return consent.headers["Location"].split("code=")[1].split("&")[0]


def test_oauth_exchange_refresh_and_revoke_are_form_encoded_client_credential_calls(
    client, installed
):
    token = client.exchange_code(_buyer_token(installed, BEN), "http://localhost/cb")
    assert client.get_current_user(token["access_token"])["id"] == BEN
    fresh = client.refresh_token(token["refresh_token"])
    assert fresh["access_token"] != token["access_token"]
    assert client.revoke_token(fresh["access_token"])
    with pytest.raises(e.TokenError):
        client.refresh_token("not-a-refresh-token")
    with pytest.raises(e.TokenError):
        client.exchange_code("used-or-wrong-code", "http://localhost/cb")


def test_adding_a_member_says_whether_they_were_added_or_already_there(client, installed):
    token = client.exchange_code(_buyer_token(installed, BEN), "http://localhost/cb")
    assert client.get_member(GUILD, BEN) is None
    assert client.add_member(GUILD, BEN, token["access_token"], roles=[PRO], reason="x") is True
    assert PRO in client.get_member(GUILD, BEN)["roles"]
    assert client.add_member(GUILD, BEN, token["access_token"], reason="x") is False


def test_a_wrong_bot_token_is_named_for_the_operator(installed, redis_conn):
    client = DiscordHTTP(installed.url, "wrong-token", redis_conn)
    with pytest.raises(e.BotUnauthorized) as caught:
        client.get_guild(GUILD)
    assert "DISCORD_BOT_TOKEN" in caught.value.seller_message


def test_wrong_oauth_client_credentials_are_named_for_the_operator(installed, redis_conn):
    client = DiscordHTTP(installed.url, seed.BOT_TOKEN, redis_conn, client_id=seed.CLIENT_ID,
                         client_secret="wrong")  # fmt: skip
    with pytest.raises(e.ClientUnauthorized) as caught:
        client.refresh_token("anything")
    assert "DISCORD_CLIENT_SECRET" in caught.value.seller_message


def test_a_short_429_is_waited_out_and_retried(client, installed):
    installed.fault(method="PUT", path="/roles/", status=429, retry_after=0.3, count=1)
    client.add_role(GUILD, ANN, PRO, reason="x")
    assert [x["status"] for x in installed.log() if x["method"] == "PUT"] == [429, 204]


def test_too_many_invalid_requests_stop_the_client_before_cloudflare_would(client, installed):
    client.limiter.invalid_threshold = 3
    for _ in range(3):
        with pytest.raises(e.TokenError):
            client.get_current_user("not-a-token")
    sent = installed.stats()["requests"]
    with pytest.raises(e.RateLimited) as caught:
        client.get_guild(GUILD)
    assert caught.value.retry_after > 0
    assert installed.stats()["requests"] == sent


def _threads(n, fn):
    import threading

    errors = []

    def run():
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []


def test_a_guild_first_seen_on_a_known_bucket_is_limited_from_its_first_request(
    installed, redis_url, redis_conn
):
    import redis as redis_lib

    route = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
    installed.limits(routes={route: {"limit": 3, "per": 1.0}})

    def client():
        return DiscordHTTP(
            installed.url, seed.BOT_TOKEN, redis_lib.Redis.from_url(redis_url), max_wait=10
        )

    with pytest.raises(e.MissingAccess):  # learns the bucket on another guild
        client().add_role(seed.SECOND_GUILD_ID, ANN, PRO, reason="x")
    _threads(6, lambda: [client().add_role(GUILD, ANN, PRO, reason="x") for _ in range(2)])
    assert installed.stats()["rate_limited"] == 0


def test_the_global_limit_is_shared_by_every_route_and_never_exceeded(
    installed, redis_url, redis_conn
):
    import redis as redis_lib

    installed.limits(global_per_second=5)

    def burst():
        c = DiscordHTTP(
            installed.url, seed.BOT_TOKEN, redis_lib.Redis.from_url(redis_url), max_wait=10,
            global_limit=5,
        )  # fmt: skip
        for _ in range(4):
            c.add_role(GUILD, ANN, PRO, reason="x")
            c.get_guild(GUILD)

    started = time.monotonic()
    _threads(2, burst)
    assert installed.stats()["rate_limited"] == 0
    assert time.monotonic() - started >= 2.0  # 16 requests at 5 per second
