"""Build a seller with a connected sandbox server and linked buyers, straight in the database."""

import json

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
    return stack.oauth_token(user_id, "identify guilds.join")
