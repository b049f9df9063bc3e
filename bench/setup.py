"""Build a seller with a connected sandbox server and linked buyers, straight in the database."""

import json

import requests

from sandbox import seed

PRO = "310000000000000003"


def connected_seller(stack, email="bench@example.com"):
    """A seller, an app connected to the sandbox server, and the bot installed there."""
    from webapp.accounts.domain import create_seller
    from webapp.db import db
    from webapp.models import App

    token = stack.install_bot()
    with db.connection_context():
        seller = create_seller(email, "bench password!")
        guild = token["guild"]
        app = App.create(seller=seller.id, name="Bench", guild_id=guild["id"], guild_name=guild["name"],
                         status="connected", roles_json=json.dumps(guild["roles"]),
                         bot_top_position=5, bot_permissions=268435459)  # fmt: skip
    return seller, app


def buyer_token(stack, user_id):
    """A real identify + guilds.join token of a sandbox user (through OAuth)."""
    stack.sandbox.config(auto_approve={"user_id": user_id})
    consent = requests.get(
        f"{stack.sandbox_url}/oauth2/authorize",
        params={"client_id": seed.CLIENT_ID, "redirect_uri": "http://localhost/cb",
                "scope": "identify guilds.join", "response_type": "code"},
        allow_redirects=False, timeout=5,
    )  # fmt: skip
    code = consent.headers["Location"].split("code=")[1].split("&")[0]
    return requests.post(
        f"{stack.sandbox_url}/api/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/cb"},
        auth=(seed.CLIENT_ID, seed.CLIENT_SECRET), timeout=5,
    ).json()  # fmt: skip
