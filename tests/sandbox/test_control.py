"""The control API: fault injection, stats, the live page and scene-setting helpers."""

import time

import requests

from sandbox import seed
from tests.sandbox.conftest import Api

GUILD, ANN = seed.GUILD_ID, seed.ANN
ROLE_PATH = f"/guilds/{GUILD}/members/{ANN}/roles/{seed.PRO_ROLE_ID}"


def test_a_counted_fault_answers_then_gets_out_of_the_way(installed, api):
    installed.add_member(GUILD, ANN)
    installed.fault(method="PUT", path="/roles/", status=503, count=2)
    statuses = [api("PUT", ROLE_PATH).status_code for _ in range(3)]
    assert statuses == [503, 503, 204]
    assert installed.faults() == []


def test_a_fault_can_carry_a_discord_code(installed, api):
    installed.add_member(GUILD, ANN)
    installed.fault(
        method="PUT", path="/roles/", status=403, code=340015, message="Onboarding", count=1
    )
    answer = api("PUT", ROLE_PATH)
    assert answer.status_code == 403 and answer.json() == {"message": "Onboarding", "code": 340015}


def test_a_429_fault_has_discord_headers_and_a_shared_one_is_not_invalid(installed, api):
    installed.fault(path="/guilds/", status=429, retry_after=2.5, scope="shared", count=1)
    answer = api("GET", f"/guilds/{GUILD}")
    assert answer.status_code == 429 and answer.json()["retry_after"] == 2.5
    assert answer.headers["Retry-After"] == "3" and answer.headers["X-RateLimit-Scope"] == "shared"
    assert installed.stats()["invalid"] == 0


def test_a_timed_fault_expires(installed, api):
    installed.fault(path="/guilds/", status=500, seconds=0.5)
    answer = api("GET", f"/guilds/{GUILD}")
    assert answer.status_code == 500 and answer.json() == {
        "message": "500: Internal Server Error",
        "code": 0,
    }
    time.sleep(0.6)
    assert api("GET", f"/guilds/{GUILD}").status_code == 200


def test_a_delay_only_fault_slows_the_answer_down(installed, api):
    installed.fault(path="/guilds/", delay=0.4, count=1)
    started = time.monotonic()
    assert api("GET", f"/guilds/{GUILD}").status_code == 200
    assert time.monotonic() - started >= 0.4


def test_clear_faults(installed, api):
    installed.fault(path="/", status=500)
    installed.clear_faults()
    assert api("GET", "/users/@me").status_code == 200


def test_stats_count_requests_by_status_and_route(installed, api):
    api("GET", "/users/@me")
    api("GET", f"/guilds/{GUILD}/members/{ANN}")
    stats = installed.stats()
    assert stats["requests"] == 2
    assert stats["by_status"] == {"200": 1, "404": 1}
    assert stats["by_route"]["GET /guilds/{guild_id}/members/{user_id}"] == 1


def test_reset_restores_the_seed_world(installed):
    installed.add_member(GUILD, ANN)
    installed.reset()
    guild = installed.guild(GUILD)
    assert not guild["bot_in_guild"] and [m["user"]["id"] for m in guild["members"]] == [
        seed.OWNER_ID
    ]


def test_removing_the_bot_takes_its_role_and_access(installed, api):
    installed.remove_bot(GUILD)
    assert installed.guild(GUILD)["bot_position"] is None
    assert api("GET", f"/guilds/{GUILD}").json()["code"] == 50001


def test_deleted_role_is_unknown(installed, api):
    installed.add_member(GUILD, ANN, roles=[seed.PRO_ROLE_ID])
    installed.delete_role(GUILD, seed.PRO_ROLE_ID)
    assert installed.member_roles(GUILD, ANN) == []
    assert api("PUT", ROLE_PATH).json()["code"] == 10011


def test_expired_and_revoked_tokens(installed):
    tokens = installed.issue_tokens(ANN)
    buyer = Api(installed.url, tokens["access_token"], "Bearer")
    assert buyer("GET", "/users/@me").status_code == 200
    installed.expire_tokens(ANN)
    assert buyer("GET", "/users/@me").status_code == 401
    installed.revoke_tokens(ANN)
    refreshed = requests.post(f"{installed.url}/api/oauth2/token", auth=(seed.CLIENT_ID, seed.CLIENT_SECRET), timeout=5,
                              data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})  # fmt: skip
    assert refreshed.status_code == 400


def test_an_extra_user_can_join(installed, api):
    user = installed.create_user("zoe")
    token = installed.issue_tokens(user["id"])["access_token"]
    added = api("PUT", f"/guilds/{GUILD}/members/{user['id']}", json={"access_token": token})
    assert added.status_code == 201 and added.json()["user"]["username"] == "zoe"


def test_the_live_page_shows_servers_members_and_requests(installed, api):
    installed.add_member(GUILD, ANN)
    api("PUT", ROLE_PATH, headers={"X-Audit-Log-Reason": "purchase ord_1"})
    page = requests.get(installed.url + "/", timeout=5).text
    assert "<h1>Discord sandbox</h1>" in page and 'fetch("/_sandbox/fragment"' in page
    fragment = requests.get(installed.url + "/_sandbox/fragment", timeout=5).text
    assert "Sandbox Server" in fragment and "Second Sandbox Server" in fragment
    assert "Bot's role position: <strong>4</strong>" in fragment
    assert "purchase ord_1" in fragment and "ann" in fragment


def test_the_control_api_says_404_for_an_unknown_guild(sandbox):
    answer = requests.get(f"{sandbox.url}/_sandbox/guilds/1", timeout=5)
    assert answer.status_code == 404 and "unknown" in answer.json()["error"]
