"""The sandbox speaks Discord's gateway: tested with hikari, the library the gateway process
uses, and with a bare WebSocket client for the refusals (SPEC §10)."""

import asyncio
import json
import threading
import time
import zlib

import hikari
import pytest
from simple_websocket import Client

from sandbox import seed
from tests.fixtures.world import ANN, GUILD

SYNC_FLUSH = b"\x00\x00\xff\xff"


def bot_for(sandbox):
    return hikari.GatewayBot(
        seed.BOT_TOKEN, intents=hikari.Intents.GUILDS | hikari.Intents.GUILD_MEMBERS,
        rest_url=f"{sandbox.url}/api/v10", banner=None, suppress_optimization_warning=True,
        cache_settings=hikari.impl.CacheSettings(components=hikari.api.CacheComponents.NONE),
    )  # fmt: skip


def run_with_bot(sandbox, scene):
    """Start hikari against the sandbox, run `scene(seen)` in a thread once ready, and return
    every member event seen as (kind, guild, user, roles)."""
    bot, seen = bot_for(sandbox), []

    def roles(e):  # hikari counts @everyone (the guild's id) among a member's roles
        return sorted(str(r) for r in e.member.role_ids if r != e.guild_id)

    @bot.listen(hikari.MemberCreateEvent)
    async def _add(e):
        seen.append(("add", str(e.guild_id), str(e.user_id), roles(e)))

    @bot.listen(hikari.MemberUpdateEvent)
    async def _update(e):
        seen.append(("update", str(e.guild_id), str(e.user_id), roles(e)))

    @bot.listen(hikari.MemberDeleteEvent)
    async def _remove(e):
        seen.append(("remove", str(e.guild_id), str(e.user_id), None))

    async def main():
        await bot.start(check_for_updates=False)
        try:
            await asyncio.to_thread(scene, seen)
        finally:
            await bot.close()

    # Its own thread and event loop: a browser test's Playwright may hold this thread's loop.
    failures = []
    thread = threading.Thread(target=lambda: _capture(failures, asyncio.run, main()))
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the bot did not stop"
    if failures:
        raise failures[0]
    return seen


def _capture(failures, fn, *args):
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
        failures.append(exc)


def wait_for(seen, count, timeout=15.0):
    deadline = time.monotonic() + timeout
    while len(seen) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(seen) >= count, seen


@pytest.fixture
def on_server(sandbox):
    """The bot on the sandbox server, Ann a member of it."""
    sandbox.install_bot(GUILD)
    sandbox.add_member(GUILD, ANN)
    return sandbox


def test_hikari_sees_joins_role_changes_and_leaves(on_server):
    sandbox = on_server
    pro = next(r["id"] for r in sandbox.guild(GUILD)["roles"] if r["name"] == "Pro")

    def scene(seen):
        sandbox.remove_member(GUILD, ANN)
        sandbox.add_member(GUILD, ANN, [pro])
        sandbox.remove_role_by_hand(GUILD, ANN, pro)
        wait_for(seen, 3)

    seen = run_with_bot(sandbox, scene)
    assert seen == [("remove", GUILD, ANN, None), ("add", GUILD, ANN, [pro]),
                    ("update", GUILD, ANN, [])]  # fmt: skip
    assert sandbox.gateway()["identifies"] == 1


def test_a_server_without_the_bot_sends_it_nothing(sandbox):
    def scene(seen):
        sandbox.add_member(GUILD, ANN)
        sandbox.remove_member(GUILD, ANN)
        time.sleep(0.5)  # what would have come has come

    assert run_with_bot(sandbox, scene) == []


def test_a_dropped_connection_resumes_and_replays_what_happened_meanwhile(on_server):
    sandbox = on_server

    def scene(seen):
        sandbox.gateway(drop=True)
        deadline = time.monotonic() + 5
        while sandbox.gateway()["connected"] and time.monotonic() < deadline:
            time.sleep(0.01)
        sandbox.remove_member(GUILD, ANN)  # while the bot is away
        wait_for(seen, 1, timeout=10)

    seen = run_with_bot(sandbox, scene)
    assert seen[0] == ("remove", GUILD, ANN, None)
    counters = sandbox.gateway()
    assert counters["resumes"] == 1 and counters["identifies"] == 1  # no new identify spent


def _raw(sandbox, compress=True):
    url = sandbox.url.replace("http", "ws", 1) + "/gateway?v=10&encoding=json"
    ws = Client.connect(url + ("&compress=zlib-stream" if compress else ""))
    inflate = zlib.decompressobj()

    def receive():
        data = ws.receive(timeout=15)
        if isinstance(data, bytes):
            assert data.endswith(SYNC_FLUSH)
            data = inflate.decompress(data)
        return json.loads(data)

    return ws, receive


def test_hello_heartbeat_and_ready_speak_discords_payloads(on_server):
    sandbox = on_server
    ws, receive = _raw(sandbox)
    hello = receive()
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
    ws.send(json.dumps({"op": 1, "d": None}))
    assert receive()["op"] == 11
    ws.send(json.dumps({"op": 2, "d": {"token": seed.BOT_TOKEN, "intents": 3,
                                       "properties": {"os": "linux"}}}))  # fmt: skip
    ready = receive()
    assert (ready["op"], ready["t"], ready["s"]) == (0, "READY", 1)
    assert ready["d"]["user"]["id"] == seed.BOT_USER_ID and ready["d"]["resume_gateway_url"]
    create = receive()
    assert create["t"] == "GUILD_CREATE" and create["s"] == 2 and create["d"]["id"] == GUILD
    ws.close()


@pytest.mark.parametrize(
    "identify, code",
    [({"token": "nope", "intents": 3}, 4004), ({"token": seed.BOT_TOKEN, "intents": "x"}, 4013),
     ({"token": seed.BOT_TOKEN, "intents": 3}, 4014)],
)  # fmt: skip
def test_a_refused_identify_closes_with_discords_code(sandbox, identify, code):
    if code == 4014:
        sandbox.gateway(members_intent=False)
    ws, receive = _raw(sandbox, compress=False)
    receive()
    ws.send(json.dumps({"op": 2, "d": identify}))
    assert _closed_with(ws) == code


def test_an_unknown_session_cannot_resume(sandbox):
    ws, receive = _raw(sandbox, compress=False)
    receive()
    ws.send(json.dumps({"op": 6, "d": {"token": seed.BOT_TOKEN, "session_id": "x", "seq": 3}}))
    assert receive() == {"op": 9, "s": None, "t": None, "d": False}


def test_gateway_bot_names_the_websocket_and_the_identify_budget(sandbox):
    from tests.sandbox.conftest import Api

    answer = Api(sandbox.url)("GET", "/gateway/bot").json()
    assert answer["url"].startswith("ws://") and answer["url"].endswith("/gateway")
    assert answer["session_start_limit"]["remaining"] == 1000
    assert Api(sandbox.url, token="nope")("GET", "/gateway/bot").status_code == 401


def test_a_payload_that_is_not_an_object_closes_with_4002(sandbox):
    ws, receive = _raw(sandbox, compress=False)
    receive()
    ws.send("[1, 2]")
    assert _closed_with(ws) == 4002


def _closed_with(ws, timeout=15):
    """The close code the sandbox sent, once the connection is closed."""
    deadline = time.monotonic() + timeout
    while ws.connected and time.monotonic() < deadline:
        try:
            ws.receive(timeout=0.2)
        except Exception:  # noqa: BLE001 - simple-websocket's ConnectionClosed: what we wait for
            break
    return ws.close_reason
