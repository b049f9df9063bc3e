"""Discord's gateway, as far as a bot with GUILDS and GUILD_MEMBERS needs it (SPEC §10).

`GET /api/v10/gateway/bot` (in `rest.py`) names `ws://…/gateway`. On it: Hello (op 10) →
Identify (op 2: the bot token, intents; 4004 for another token, 4014 when GUILD_MEMBERS is
asked and the sandbox's "Server Members Intent" is off, 4013 for intents that are not a
number) → READY (with `session_id`, `resume_gateway_url`) and a GUILD_CREATE per server the
bot is on. Heartbeats (op 1) are answered with op 11; dispatches (op 0) carry sequence
numbers; Resume (op 6) replays what was dispatched after the client's `seq`, then RESUMED —
or Invalid Session (op 9, `d: false`) for a session it does not know. Every identify spends
one of the `session_start_limit`'s 1,000 a day, as on Discord. `?compress=zlib-stream`: one
zlib stream per connection, each payload ended by a sync flush (`00 00 ff ff`), as Discord.

Changes made through REST and the live page are dispatched: GUILD_MEMBER_ADD / UPDATE /
REMOVE, GUILD_ROLE_UPDATE (a role moved), GUILD_ROLE_DELETE, GUILD_DELETE (the bot removed)
and GUILD_CREATE (the bot added).
`drop()` closes every connection with 4000 (resumable), for tests of a dropped link.
"""

import json
import secrets
import threading
import time
import zlib
from collections import deque

from flask import Blueprint, current_app, request
from flask_sock import ConnectionClosed, Sock

from sandbox import seed

GUILDS, GUILD_MEMBERS = 1 << 0, 1 << 1
HEARTBEAT_MS = 41250
DAILY_IDENTIFIES = 1000
KEPT = 1000  # dispatches a session keeps for a Resume

bp = Blueprint("gateway", __name__)
sock = Sock()


class Session:
    """One bot session: its sequence, what it was sent (for Resume), what waits to be sent."""

    def __init__(self, intents):
        self.id = secrets.token_hex(16)
        self.intents = intents
        self.seq = 0
        self.sent = deque(maxlen=KEPT)
        self.outbox = deque()
        self.connected = False
        self.drop = False


class Hub:
    """Every gateway session, and the dispatches a change of the sandbox's world makes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = {}
        self.identifies_left = DAILY_IDENTIFIES
        self.members_intent = True
        self.stats = {"identifies": 0, "resumes": 0, "dispatches": 0}

    def spend(self):
        """An Identify came: like Discord, it counts against the day's session starts."""
        with self.lock:
            self.identifies_left -= 1
            self.stats["identifies"] += 1

    def open(self, intents):
        with self.lock:
            session = Session(intents)
            self.sessions[session.id] = session
            return session

    def emit(self, event, data, intent=GUILDS):
        """Queue a dispatch for every session that asked for its intent."""
        with self.lock:
            for session in self.sessions.values():
                if session.intents & intent:
                    session.seq += 1
                    frame = {"op": 0, "t": event, "s": session.seq, "d": data}
                    session.sent.append(frame)  # replayed by a Resume
                    if session.connected:
                        session.outbox.append(frame)
                    self.stats["dispatches"] += 1

    def drop(self):
        """Close every open connection (4000, resumable)."""
        with self.lock:
            for session in self.sessions.values():
                session.drop = session.connected
        return True

    def as_json(self):
        with self.lock:
            return {"sessions": len(self.sessions),
                    "connected": sum(s.connected for s in self.sessions.values()),
                    "identifies_left": self.identifies_left,
                    "members_intent": self.members_intent, **self.stats}  # fmt: skip


# What the world's changes dispatch (called by `SandboxState` under its lock). Like
# Discord, a server's events go only to a bot that is on it.


def _bot_on(state, guild_id):
    return seed.BOT_USER_ID in state.guilds[guild_id]["members"]


def member_added(state, guild_id, user_id):
    if _bot_on(state, guild_id) and user_id != seed.BOT_USER_ID:
        member = state.member_json(state.guilds[guild_id], user_id)
        state.gateway.emit("GUILD_MEMBER_ADD", {**member, "guild_id": guild_id}, GUILD_MEMBERS)


def member_updated(state, guild_id, user_id):
    if _bot_on(state, guild_id):
        member = state.member_json(state.guilds[guild_id], user_id)
        state.gateway.emit("GUILD_MEMBER_UPDATE", {**member, "guild_id": guild_id},
                           GUILD_MEMBERS)  # fmt: skip


def member_removed(state, guild_id, user_id):
    if _bot_on(state, guild_id):
        state.gateway.emit("GUILD_MEMBER_REMOVE",
                           {"guild_id": guild_id, "user": state.user_json(user_id)},
                           GUILD_MEMBERS)  # fmt: skip


def role_deleted(state, guild_id, role_id):
    if _bot_on(state, guild_id):
        state.gateway.emit("GUILD_ROLE_DELETE", {"guild_id": guild_id, "role_id": role_id})


def role_updated(state, guild_id, role):
    if _bot_on(state, guild_id):
        state.gateway.emit("GUILD_ROLE_UPDATE", {"guild_id": guild_id, "role": dict(role)})


def bot_removed(state, guild_id):
    state.gateway.emit("GUILD_DELETE", {"id": guild_id})


def bot_added(state, guild_id):
    # A server the bot joins comes without `unavailable` (libraries tell a join by that).
    created = guild_create(state, state.guilds[guild_id])
    created.pop("unavailable")
    state.gateway.emit("GUILD_CREATE", created)


def guild_create(state, guild):
    """A GUILD_CREATE payload: the guild with its roles and its members (as sent after
    READY, for a server that becomes available)."""
    members = [state.member_json(guild, uid) for uid in guild["members"]]
    return {
        **state.guild_json(guild), "unavailable": False, "large": False,
        "member_count": len(members), "members": members, "channels": [], "threads": [],
        "presences": [], "voice_states": [], "emojis": [], "stickers": [],
        "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        "joined_at": guild["members"].get(seed.BOT_USER_ID, {}).get("joined_at"),
        "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
        "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
        "application_id": None, "system_channel_id": None, "system_channel_flags": 0,
        "rules_channel_id": None, "vanity_url_code": None, "description": None,
        "banner": None, "splash": None, "discovery_splash": None, "premium_tier": 0,
        "premium_subscription_count": 0, "preferred_locale": "en-US",
        "public_updates_channel_id": None, "nsfw_level": 0, "premium_progress_bar_enabled": False,
        "max_members": 500000, "max_video_channel_users": 25, "widget_enabled": False,
        "region": "deprecated",
    }  # fmt: skip


def gateway_bot(state, ws_url):
    """The body of `GET /gateway/bot`."""
    with state.gateway.lock:
        left = max(0, state.gateway.identifies_left)
    return {"url": ws_url, "shards": 1, "session_start_limit": {
        "total": DAILY_IDENTIFIES, "remaining": left, "reset_after": 86_400_000,
        "max_concurrency": 1}}  # fmt: skip


class _Connection:
    """One WebSocket: its encoding and, with zlib-stream, its compressor."""

    def __init__(self, ws, compress):
        self.ws = ws
        self.deflate = zlib.compressobj() if compress == "zlib-stream" else None

    def send(self, payload):
        text = json.dumps(payload, separators=(",", ":"))
        if self.deflate is None:
            self.ws.send(text)
        else:
            self.ws.send(
                self.deflate.compress(text.encode()) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
            )

    def close(self, code, message):
        self.ws.close(reason=code, message=message)


@sock.route("/gateway", bp=bp)
def gateway(ws):
    """One gateway connection, until it closes."""
    state = current_app.extensions["sandbox_state"]
    conn = _Connection(ws, request.args.get("compress"))
    conn.send({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": HEARTBEAT_MS}})
    session = None
    try:
        while True:
            raw = ws.receive(timeout=0.05)
            if raw is not None:
                session = _handle(state, conn, session, raw)
                if session is False:
                    return
            if session is not None:
                if session.drop:
                    session.drop, session.connected = False, False
                    conn.close(4000, "Unknown error.")
                    return
                _flush(state, conn, session)
    except ConnectionClosed:
        pass
    finally:
        if session:
            session.connected = False


def _flush(state, conn, session):
    with state.gateway.lock:
        frames = list(session.outbox)
        session.outbox.clear()
    for frame in frames:
        conn.send(frame)


def _handle(state, conn, session, raw):
    """Answer one client payload; the session (or None before Identify), False once closed."""
    try:
        payload = json.loads(raw)
        op, data = payload["op"], payload.get("d")
    except (ValueError, KeyError, TypeError, AttributeError):
        conn.close(4002, "Error while decoding payload.")
        return False
    if op == 1:
        conn.send({"op": 11, "s": None, "t": None, "d": None})
        return session
    if op == 2 and session is None:
        return _identify(state, conn, data if isinstance(data, dict) else {})
    if op == 6 and session is None:
        return _resume(state, conn, data if isinstance(data, dict) else {})
    if op in (3, 4, 8):  # presence, voice, member requests: accepted, nothing to say
        return session
    conn.close(4001 if op not in (2, 6) else 4005, "Unknown opcode." if op not in (2, 6)
               else "Already authenticated.")  # fmt: skip
    return False


def _identify(state, conn, data):
    state.gateway.spend()
    if data.get("token") != seed.BOT_TOKEN:
        conn.close(4004, "Authentication failed.")
        return False
    intents = data.get("intents")
    if not isinstance(intents, int) or isinstance(intents, bool) or intents < 0:
        conn.close(4013, "Invalid intent(s).")
        return False
    if intents & GUILD_MEMBERS and not state.gateway.members_intent:
        conn.close(4014, "Disallowed intent(s).")
        return False
    with state.lock:
        guilds = [g for g in state.guilds.values() if seed.BOT_USER_ID in g["members"]]
        creates = [guild_create(state, g) for g in guilds]
        user = state.user_json(seed.BOT_USER_ID)
    session = state.gateway.open(intents)
    session.connected = True
    url = request.host_url.replace("http", "ws", 1).rstrip("/") + "/gateway"
    ready = {"v": 10, "user": {**user, "verified": True, "mfa_enabled": False, "flags": 0},
             "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
             "session_id": session.id, "resume_gateway_url": url, "shard": [0, 1],
             "application": {"id": seed.CLIENT_ID, "flags": 1 << 15}, "private_channels": [],
             "relationships": [], "presences": [], "guild_join_requests": [],
             "geo_ordered_rtc_regions": [], "user_settings": {}}  # fmt: skip
    with state.gateway.lock:
        for event, d in [("READY", ready)] + [("GUILD_CREATE", c) for c in creates]:
            session.seq += 1
            frame = {"op": 0, "t": event, "s": session.seq, "d": d}
            session.sent.append(frame)
            session.outbox.append(frame)
    _flush(state, conn, session)
    return session


def _resume(state, conn, data):
    with state.gateway.lock:
        session = state.gateway.sessions.get(data.get("session_id"))
        known = session is not None and data.get("token") == seed.BOT_TOKEN
        if known:
            seq = data.get("seq") if isinstance(data.get("seq"), int) else 0
            missed = [f for f in session.sent if f["s"] > seq]
            session.outbox.clear()
            session.seq += 1
            resumed = {"op": 0, "t": "RESUMED", "s": session.seq, "d": {}}
            session.sent.append(resumed)
            session.connected = True
            state.gateway.stats["resumes"] += 1
    if not known:
        conn.send({"op": 9, "s": None, "t": None, "d": False})
        time.sleep(0.05)
        conn.close(4009, "Session timed out.")
        return False
    for frame in [*missed, resumed]:
        conn.send(frame)
    return session
