"""OAuth2 like Discord's: consent page, code grant, form-only token endpoint, refresh, revoke."""

from urllib.parse import parse_qs, urlsplit

import requests

from sandbox import seed
from tests.sandbox.conftest import CALLBACK, Api, authorize, code_of, exchange, install_bot

ANN = seed.ANN


def _query(location):
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_consent_page_offers_accounts_and_servers_with_labels(sandbox):
    page = requests.get(f"{sandbox.url}/oauth2/authorize", timeout=5, params={
        "client_id": seed.CLIENT_ID, "redirect_uri": CALLBACK, "response_type": "code",
        "scope": "bot", "permissions": "268435459", "guild_id": seed.SECOND_GUILD_ID})  # fmt: skip
    assert page.status_code == 200
    html = page.text
    assert '<label for="user_id">Discord account</label>' in html
    assert '<label for="guild_id">Server</label>' in html
    assert f'<option value="{seed.SECOND_GUILD_ID}" selected>' in html
    assert 'value="authorize"' in html and 'value="cancel"' in html


def test_unknown_client_id_is_an_error_page(sandbox):
    page = requests.get(f"{sandbox.url}/oauth2/authorize", timeout=5,
                        params={"client_id": "42", "redirect_uri": CALLBACK, "scope": "identify"})  # fmt: skip
    assert page.status_code == 400 and "Invalid OAuth2 request" in page.text


def test_cancel_redirects_with_access_denied_and_the_state(sandbox):
    answer = requests.post(f"{sandbox.url}/oauth2/authorize", allow_redirects=False, timeout=5,
                           params={"client_id": seed.CLIENT_ID, "redirect_uri": CALLBACK,
                                   "scope": "identify", "state": "xyz"},
                           data={"user_id": ANN, "decision": "cancel"})  # fmt: skip
    query = _query(answer.headers["Location"])
    assert answer.status_code == 302
    assert query == {
        "error": "access_denied",
        "error_description": "The resource owner or authorization server denied the request",
        "state": "xyz",
    }


def test_a_code_is_single_use(sandbox):
    code = code_of(authorize(sandbox.url, "identify guilds.join", ANN))
    first = exchange(sandbox.url, code)
    assert first.status_code == 200
    body = first.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 604800
    assert body["scope"] == "identify guilds.join" and body["refresh_token"]
    again = exchange(sandbox.url, code)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": 'Invalid "code" in request.',
    }


def test_a_redirect_uri_other_than_the_authorized_one_is_refused(sandbox):
    code = code_of(authorize(sandbox.url, "identify", ANN))
    answer = exchange(sandbox.url, code, redirect_uri="http://localhost/elsewhere")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_the_token_endpoint_accepts_only_form_encoded_bodies(sandbox):
    code = code_of(authorize(sandbox.url, "identify", ANN))
    answer = requests.post(f"{sandbox.url}/api/oauth2/token", timeout=5,
                           json={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
                                 "client_id": seed.CLIENT_ID, "client_secret": seed.CLIENT_SECRET})  # fmt: skip
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"
    assert exchange(sandbox.url, code).status_code == 200  # the refused attempt did not use it


def test_wrong_client_secret_is_invalid_client(sandbox):
    answer = requests.post(f"{sandbox.url}/api/oauth2/token", auth=(seed.CLIENT_ID, "nope"), timeout=5,
                           data={"grant_type": "refresh_token", "refresh_token": "x"})  # fmt: skip
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_client_credentials_may_come_as_form_fields(sandbox):
    code = code_of(authorize(sandbox.url, "identify", ANN))
    answer = requests.post(f"{sandbox.url}/api/oauth2/token", timeout=5, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "client_id": seed.CLIENT_ID, "client_secret": seed.CLIENT_SECRET})  # fmt: skip
    assert answer.status_code == 200


def _refresh(url, refresh_token):
    return requests.post(f"{url}/api/oauth2/token", auth=(seed.CLIENT_ID, seed.CLIENT_SECRET), timeout=5,
                         data={"grant_type": "refresh_token", "refresh_token": refresh_token})  # fmt: skip


def test_refresh_rotates_the_refresh_token(sandbox):
    tokens = exchange(
        sandbox.url, code_of(authorize(sandbox.url, "identify guilds.join", ANN))
    ).json()
    renewed = _refresh(sandbox.url, tokens["refresh_token"])
    assert renewed.status_code == 200
    fresh = renewed.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["scope"] == "identify guilds.join"
    assert _refresh(sandbox.url, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    me = Api(sandbox.url, fresh["access_token"], "Bearer")("GET", "/users/@me")
    assert me.status_code == 200 and me.json()["id"] == ANN


def test_revoking_a_token_ends_the_authorization(sandbox):
    tokens = exchange(sandbox.url, code_of(authorize(sandbox.url, "identify", ANN))).json()
    answer = requests.post(f"{sandbox.url}/api/oauth2/token/revoke", auth=(seed.CLIENT_ID, seed.CLIENT_SECRET),
                           data={"token": tokens["access_token"]}, timeout=5)  # fmt: skip
    assert answer.status_code == 200 and answer.json() == {}
    assert (
        Api(sandbox.url, tokens["access_token"], "Bearer")("GET", "/users/@me").status_code == 401
    )
    assert _refresh(sandbox.url, tokens["refresh_token"]).status_code == 400


def test_bot_install_adds_the_bot_with_its_role_and_returns_the_guild(sandbox):
    location = authorize(sandbox.url, "bot", seed.OWNER_ID, seed.GUILD_ID, permissions="268435459")
    query = _query(location)
    assert query["guild_id"] == seed.GUILD_ID and query["permissions"] == "268435459"
    assert query["state"] == "st4te"
    body = exchange(sandbox.url, query["code"]).json()
    assert body["scope"] == "bot applications.commands"
    guild = body["guild"]
    assert guild["id"] == seed.GUILD_ID and guild["name"] == "Sandbox Server"
    assert guild["owner_id"] == seed.OWNER_ID
    by_name = {r["name"]: r for r in guild["roles"]}
    bot_role = by_name["Rolegate Bot"]
    assert bot_role["managed"] and bot_role["permissions"] == "268435459"
    assert [
        by_name[n]["position"]
        for n in ("@everyone", "Alumni", "Member", "Pro", "Rolegate Bot", "Admin")
    ] == [0, 1, 2, 3, 4, 5]
    state = sandbox.guild(seed.GUILD_ID)
    assert state["bot_in_guild"] and state["bot_position"] == 4


def test_on_the_second_server_the_bot_role_lands_at_the_bottom(sandbox):
    guild = install_bot(sandbox.url, seed.SECOND_GUILD_ID)["guild"]
    positions = {r["name"]: r["position"] for r in guild["roles"]}
    assert positions == {"@everyone": 0, "Rolegate Bot": 1, "Student": 2, "VIP": 3}


def test_auto_approve_redirects_at_once_with_a_code(sandbox):
    sandbox.auto_approve(ANN)
    answer = requests.get(f"{sandbox.url}/oauth2/authorize", allow_redirects=False, timeout=5,
                          params={"client_id": seed.CLIENT_ID, "redirect_uri": CALLBACK,
                                  "scope": "identify guilds.join", "state": "s"})  # fmt: skip
    assert answer.status_code == 302
    body = exchange(sandbox.url, code_of(answer.headers["Location"])).json()
    me = Api(sandbox.url, body["access_token"], "Bearer")("GET", "/users/@me").json()
    assert me["id"] == ANN and me["username"] == "ann"


def test_faults_reach_the_token_endpoint(sandbox):
    sandbox.fault(path="^/oauth2/token$", status=503, count=1)
    code = code_of(authorize(sandbox.url, "identify", ANN))
    assert exchange(sandbox.url, code).status_code == 503
    assert exchange(sandbox.url, code).status_code == 200  # the code survived the outage
