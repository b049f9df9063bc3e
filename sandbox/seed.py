"""The sandbox's fixed world: one application, a few buyers, two servers."""

import copy

CLIENT_ID = "100000000000000001"
CLIENT_SECRET = "sandbox-client-secret"
BOT_TOKEN = "sandbox-bot-token"
BOT_USER_ID = "100000000000000002"
OWNER_ID = "200000000000000099"
GUILD_ID = "300000000000000001"
SECOND_GUILD_ID = "300000000000000002"

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
ADMINISTRATOR = 1 << 3
MANAGE_ROLES = 1 << 28

USERS = {
    BOT_USER_ID: {"username": "Rolegate Bot", "bot": True},
    OWNER_ID: {"username": "owner", "global_name": "Server Owner"},
    "200000000000000001": {"username": "ann", "global_name": "Ann"},
    "200000000000000002": {"username": "bob", "global_name": "Bob"},
    "200000000000000003": {"username": "cleo", "global_name": "Cleo"},
    "200000000000000004": {"username": "dan", "global_name": "Dan"},
    "200000000000000005": {"username": "eve", "global_name": "Eve"},
}


def _role(rid, name, position, permissions=0, **extra):
    return {"id": rid, "name": name, "position": position, "permissions": str(permissions),
            "color": 0, "hoist": False, "managed": False, "mentionable": False, **extra}  # fmt: skip


def _guild(gid, name, roles, bot_position):
    return {
        "id": gid, "name": name, "icon": None, "owner_id": OWNER_ID, "roles": roles,
        "members": {OWNER_ID: {"roles": [], "joined_at": "2026-01-01T00:00:00+00:00"}},
        "bans": set(), "bot_position": bot_position,
    }  # fmt: skip


def initial():
    """A fresh copy of the seed world (users and guilds)."""
    users = {
        uid: {"id": uid, "global_name": None, "avatar": None, "bot": False, "guild_count": 1,
              "email": f"{u['username'].replace(' ', '').lower()}@sandbox.example", **u}
        for uid, u in USERS.items()
    }  # fmt: skip
    guilds = {
        GUILD_ID: _guild(GUILD_ID, "Sandbox Server", [
            _role(GUILD_ID, "@everyone", 0, 0),
            _role("310000000000000001", "Alumni", 1),
            _role("310000000000000002", "Member", 2),
            _role("310000000000000003", "Pro", 3),
            _role("310000000000000009", "Admin", 4, ADMINISTRATOR),
        ], bot_position=4),
        SECOND_GUILD_ID: _guild(SECOND_GUILD_ID, "Second Sandbox Server", [
            _role(SECOND_GUILD_ID, "@everyone", 0, 0),
            _role("320000000000000001", "Student", 1),
            _role("320000000000000002", "VIP", 2),
        ], bot_position=1),
    }  # fmt: skip
    return copy.deepcopy(users), guilds
