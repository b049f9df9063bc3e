"""Helpers for testing the sandbox through HTTP, as Rolegate's client would talk to it."""

import pytest
import requests

from sandbox import seed

UA = "DiscordBot (https://rolegate.example, 1.0)"
CALLBACK = "http://localhost/callback"


class Api:
    """A bare HTTP client of the sandbox's Discord API (no retries, no rate-limit handling)."""

    def __init__(self, url, token=seed.BOT_TOKEN, kind="Bot"):
        self.url = url
        self.http = requests.Session()
        self.http.headers.update({"User-Agent": UA, "Authorization": f"{kind} {token}"})

    def __call__(self, method, path, **kwargs):
        """One request to /api/v10{path}."""
        return self.http.request(method, f"{self.url}/api/v10{path}", timeout=5, **kwargs)


def authorize(url, scope, user_id, guild_id=None, redirect_uri=CALLBACK, **extra):
    """Approve the consent page through its form; returns the redirect's Location."""
    params = {"client_id": seed.CLIENT_ID, "redirect_uri": redirect_uri, "response_type": "code",
              "scope": scope, "state": "st4te", **extra}  # fmt: skip
    form = {"user_id": user_id, "decision": "authorize"}
    if guild_id:
        params["guild_id"], form["guild_id"] = guild_id, guild_id
    answer = requests.post(f"{url}/oauth2/authorize", params=params, data=form,
                           allow_redirects=False, timeout=5)  # fmt: skip
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def code_of(location):
    """The code in a redirect Location."""
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(location).query)["code"][0]


def exchange(url, code, redirect_uri=CALLBACK):
    """Trade a code for tokens (client auth by HTTP Basic)."""
    return requests.post(
        f"{url}/api/v10/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
        auth=(seed.CLIENT_ID, seed.CLIENT_SECRET), timeout=5,
    )  # fmt: skip


def install_bot(url, guild_id=seed.GUILD_ID, permissions=seed.BOT_PERMISSIONS):
    """A seller adds the bot to a server through OAuth; returns the token answer."""
    location = authorize(url, "bot", seed.OWNER_ID, guild_id, permissions=str(permissions))
    answer = exchange(url, code_of(location))
    assert answer.status_code == 200, answer.text
    return answer.json()


def buyer_token(url, user_id, scope="identify guilds.join"):
    """A buyer's access token through the consent page."""
    return exchange(url, code_of(authorize(url, scope, user_id))).json()["access_token"]


@pytest.fixture
def api(sandbox):
    """The bot's client of the sandbox's REST API."""
    return Api(sandbox.url)


@pytest.fixture
def installed(sandbox):
    """The sandbox with the bot on the first server."""
    install_bot(sandbox.url)
    return sandbox
