"""The sandbox's fixed world: one application, a few buyers, two servers (`reset` restores it)."""

import copy

CLIENT_ID = "100000000000000001"
CLIENT_SECRET = "sandbox-client-secret"
# Shaped like Discord's: the bot's user id in base64, a timestamp part, an HMAC part.
BOT_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAy.GSandb.c2FuZGJveC1ib3QtdG9rZW4tc2lnbmF0dXJl"
BOT_USER_ID = "100000000000000002"
BOT_USERNAME = "Rolegate Bot"
OWNER_ID = "200000000000000099"
GUILD_ID = "300000000000000001"
SECOND_GUILD_ID = "300000000000000002"

ANN, BOB, CLEO, DAN, EVE = (f"20000000000000000{i}" for i in range(1, 6))
BUYERS = {ANN: "ann", BOB: "bob", CLEO: "cleo", DAN: "dan", EVE: "eve"}

ALUMNI_ROLE_ID = "310000000000000001"
MEMBER_ROLE_ID = "310000000000000002"
PRO_ROLE_ID = "310000000000000003"
ADMIN_ROLE_ID = "310000000000000009"
STUDENT_ROLE_ID = "320000000000000001"
VIP_ROLE_ID = "320000000000000002"

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
ADMINISTRATOR = 1 << 3
MANAGE_ROLES = 1 << 28
BOT_PERMISSIONS = CREATE_INSTANT_INVITE | KICK_MEMBERS | MANAGE_ROLES  # 268435459

USERS = {
    BOT_USER_ID: {"username": BOT_USERNAME, "bot": True},
    OWNER_ID: {"username": "owner", "global_name": "Server Owner"},
    **{uid: {"username": name, "global_name": name.title()} for uid, name in BUYERS.items()},
}


def _role(rid, name, position, permissions=0):
    return {"id": rid, "name": name, "position": position, "permissions": str(permissions),
            "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}  # fmt: skip


def _guild(gid, name, roles, bot_position):
    # bot_position: where the bot's managed role lands when it joins (it pushes the rest up).
    return {
        "id": gid, "name": name, "icon": None, "owner_id": OWNER_ID, "roles": roles,
        "members": {OWNER_ID: {"roles": [], "joined_at": "2026-01-01T00:00:00+00:00"}},
        "bans": set(), "bot_position": bot_position,
    }  # fmt: skip


def user(uid, username, bot=False, guild_count=1, **extra):
    """A user record (guild_count: servers they are in elsewhere, for the 100 limit)."""
    return {"id": uid, "username": username, "global_name": None, "avatar": None, "bot": bot,
            "email": None if bot else f"{username.replace(' ', '').lower()}@sandbox.example",
            "verified": True, "guild_count": guild_count, **extra}  # fmt: skip


def initial():
    """A fresh copy of the seed world: (users, guilds)."""
    users = {uid: user(uid, **u) for uid, u in USERS.items()}
    guilds = {
        GUILD_ID: _guild(GUILD_ID, "Sandbox Server", [
            _role(GUILD_ID, "@everyone", 0),
            _role(ALUMNI_ROLE_ID, "Alumni", 1),
            _role(MEMBER_ROLE_ID, "Member", 2),
            _role(PRO_ROLE_ID, "Pro", 3),
            _role(ADMIN_ROLE_ID, "Admin", 4, ADMINISTRATOR),
        ], bot_position=4),
        SECOND_GUILD_ID: _guild(SECOND_GUILD_ID, "Second Sandbox Server", [
            _role(SECOND_GUILD_ID, "@everyone", 0),
            _role(STUDENT_ROLE_ID, "Student", 1),
            _role(VIP_ROLE_ID, "VIP", 2),
        ], bot_position=1),
    }  # fmt: skip
    return copy.deepcopy(users), guilds
