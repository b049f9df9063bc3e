"""The REST API answers like Discord: statuses, error codes, hierarchy and permissions."""

import requests

from sandbox import seed
from tests.sandbox.conftest import Api, buyer_token

GUILD, ANN, BOB = seed.GUILD_ID, seed.ANN, seed.BOB
MEMBERS = "/guilds/{}/members/{}"
ROLE = "/guilds/{}/members/{}/roles/{}"


def _error(answer):
    return answer.status_code, answer.json()["code"]


def test_no_or_wrong_token_is_401(sandbox):
    assert Api(sandbox.url, "wrong")("GET", "/users/@me").json() == {
        "message": "401: Unauthorized",
        "code": 0,
    }
    answer = requests.get(
        f"{sandbox.url}/api/v10/users/@me", headers={"User-Agent": "DiscordBot (x, 1)"}, timeout=5
    )
    assert answer.status_code == 401


def test_a_missing_discordbot_user_agent_is_refused_with_40333(sandbox):
    answer = requests.get(f"{sandbox.url}/api/v10/users/@me", timeout=5,
                          headers={"Authorization": f"Bot {seed.BOT_TOKEN}", "User-Agent": "python-requests"})  # fmt: skip
    assert _error(answer) == (403, 40333)


def test_the_bot_knows_itself(api):
    me = api("GET", "/users/@me").json()
    assert me["id"] == seed.BOT_USER_ID and me["bot"] is True and me["username"] == "Rolegate Bot"


def test_a_guild_the_bot_is_not_in_is_missing_access_and_an_unknown_one_unknown(api):
    assert _error(api("GET", f"/guilds/{GUILD}")) == (403, 50001)
    assert _error(api("GET", "/guilds/999")) == (404, 10004)


def test_answers_carry_via_like_discords_front_end(installed, api):
    assert api("GET", f"/guilds/{GUILD}").headers["Via"] == "1.1 google"


def test_unknown_route_is_404_and_wrong_method_405(installed, api):
    assert api("GET", "/nope").status_code == 404
    assert api("PATCH", "/users/@me/channels").status_code == 405


def test_add_member_is_201_then_204_when_already_there(installed, api):
    token = buyer_token(installed.url, ANN)
    added = api(
        "PUT", MEMBERS.format(GUILD, ANN), json={"access_token": token, "roles": [seed.PRO_ROLE_ID]}
    )
    assert added.status_code == 201
    assert added.json()["user"]["id"] == ANN and added.json()["roles"] == [seed.PRO_ROLE_ID]
    again = api(
        "PUT",
        MEMBERS.format(GUILD, ANN),
        json={"access_token": token, "roles": [seed.MEMBER_ROLE_ID]},
    )
    assert again.status_code == 204 and again.content == b""
    assert installed.member_roles(GUILD, ANN) == [seed.PRO_ROLE_ID]  # roles ignored on 204


def test_add_member_needs_a_guilds_join_token_of_that_user(installed, api):
    identify_only = buyer_token(installed.url, ANN, scope="identify")
    assert _error(api("PUT", MEMBERS.format(GUILD, ANN), json={"access_token": identify_only})) == (
        403,
        50025,
    )
    bobs = buyer_token(installed.url, BOB)
    assert _error(api("PUT", MEMBERS.format(GUILD, ANN), json={"access_token": bobs})) == (
        403,
        50025,
    )
    assert _error(api("PUT", MEMBERS.format(GUILD, ANN), json={})) == (400, 50035)


def test_add_member_refuses_banned_users_and_users_in_100_servers(installed, api):
    installed.ban(GUILD, ANN)
    assert _error(
        api(
            "PUT",
            MEMBERS.format(GUILD, ANN),
            json={"access_token": buyer_token(installed.url, ANN)},
        )
    ) == (403, 40007)
    installed.set_guild_count(BOB, 100)
    assert _error(
        api(
            "PUT",
            MEMBERS.format(GUILD, BOB),
            json={"access_token": buyer_token(installed.url, BOB)},
        )
    ) == (400, 30001)


def test_add_member_with_a_role_above_the_bot_is_50013_and_an_unknown_role_10011(installed, api):
    token = buyer_token(installed.url, ANN)
    body = {"access_token": token, "roles": [seed.ADMIN_ROLE_ID]}
    assert _error(api("PUT", MEMBERS.format(GUILD, ANN), json=body)) == (403, 50013)
    body["roles"] = ["123"]
    assert _error(api("PUT", MEMBERS.format(GUILD, ANN), json=body)) == (404, 10011)
    assert installed.member_roles(GUILD, ANN) is None


def test_role_changes_respect_the_hierarchy(installed, api):
    installed.add_member(GUILD, ANN)
    assert api("PUT", ROLE.format(GUILD, ANN, seed.PRO_ROLE_ID)).status_code == 204
    assert _error(api("PUT", ROLE.format(GUILD, ANN, seed.ADMIN_ROLE_ID))) == (403, 50013)
    assert _error(api("PUT", ROLE.format(GUILD, ANN, "123"))) == (404, 10011)
    assert _error(api("PUT", ROLE.format(GUILD, BOB, seed.PRO_ROLE_ID))) == (404, 10007)
    assert api("DELETE", ROLE.format(GUILD, ANN, seed.PRO_ROLE_ID)).status_code == 204
    assert installed.member_roles(GUILD, ANN) == []


def test_a_fresh_bot_on_the_second_server_cannot_assign_until_its_role_moves_up(sandbox, api):
    sandbox.install_bot(seed.SECOND_GUILD_ID)
    sandbox.add_member(seed.SECOND_GUILD_ID, ANN)
    path = ROLE.format(seed.SECOND_GUILD_ID, ANN, seed.STUDENT_ROLE_ID)
    assert _error(api("PUT", path)) == (403, 50013)
    sandbox.move_bot_role(seed.SECOND_GUILD_ID, 3)
    assert api("PUT", path).status_code == 204


def test_kick_refuses_non_members_the_owner_and_higher_members(installed, api):
    assert _error(api("DELETE", MEMBERS.format(GUILD, ANN))) == (404, 10007)
    assert _error(api("DELETE", MEMBERS.format(GUILD, seed.OWNER_ID))) == (403, 50013)
    installed.add_member(GUILD, BOB, roles=[seed.ADMIN_ROLE_ID])
    assert _error(api("DELETE", MEMBERS.format(GUILD, BOB))) == (403, 50013)
    installed.add_member(GUILD, ANN, roles=[seed.PRO_ROLE_ID])
    assert api("DELETE", MEMBERS.format(GUILD, ANN)).status_code == 204
    assert _error(api("GET", MEMBERS.format(GUILD, ANN))) == (404, 10007)


def test_get_member_tells_an_unknown_user_from_a_non_member(installed, api):
    assert _error(api("GET", MEMBERS.format(GUILD, "999"))) == (404, 10013)
    assert _error(api("GET", MEMBERS.format(GUILD, ANN))) == (404, 10007)


def test_without_manage_roles_the_bot_gets_50013(sandbox, api):
    sandbox.install_bot(GUILD, permissions=seed.CREATE_INSTANT_INVITE)
    sandbox.add_member(GUILD, ANN)
    assert _error(api("PUT", ROLE.format(GUILD, ANN, seed.ALUMNI_ROLE_ID))) == (403, 50013)
    assert _error(api("DELETE", MEMBERS.format(GUILD, ANN))) == (403, 50013)


def test_a_created_role_lands_just_above_everyone(installed, api):
    role = api("POST", f"/guilds/{GUILD}/roles", json={"name": "Gold"}).json()
    assert role["position"] == 1
    positions = {r["name"]: r["position"] for r in api("GET", f"/guilds/{GUILD}/roles").json()}
    assert positions["Alumni"] == 2 and positions["Rolegate Bot"] == 5


def test_dms_are_stored_and_refused_to_strangers(installed, api):
    installed.add_member(GUILD, ANN)
    channel = api("POST", "/users/@me/channels", json={"recipient_id": ANN}).json()
    sent = api("POST", f"/channels/{channel['id']}/messages", json={"content": "Welcome!"})
    assert sent.status_code == 200 and sent.json()["content"] == "Welcome!"
    stranger = api("POST", "/users/@me/channels", json={"recipient_id": BOB}).json()
    assert _error(api("POST", f"/channels/{stranger['id']}/messages", json={"content": "hi"})) == (
        403,
        50007,
    )
    assert "Welcome!" in requests.get(installed.url + "/", timeout=5).text


def test_audit_log_reasons_are_logged_url_decoded(installed, api):
    installed.add_member(GUILD, ANN)
    api(
        "PUT",
        ROLE.format(GUILD, ANN, seed.PRO_ROLE_ID),
        headers={"X-Audit-Log-Reason": "Rolegate%3A%20order%20ord_1"},
    )
    entry = installed.log()[-1]
    assert (
        entry["reason"] == "Rolegate: order ord_1"
        and entry["status"] == 204
        and entry["auth"] == "Bot"
    )
