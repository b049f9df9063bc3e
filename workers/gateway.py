"""The gateway process: one connection to Discord's gateway (hikari), member events → jobs.

It holds no business logic. Intents GUILDS and GUILD_MEMBERS (privileged: "Server Members
Intent" in the developer portal); the gateway's URL comes from `GET {DISCORD_URL}/api/v10/
gateway/bot`, so the sandbox works as Discord does. hikari resumes after a drop and refuses
to start more sessions than `session_start_limit` allows; a fatal close (4004, 4014, …) is
recorded with what to do and the process then waits instead of exiting, so a supervisor's
restarts never spend the daily identify budget in a loop. Why hikari: `docs/decisions.md`.
"""

import asyncio
import logging
import time

import hikari
import redis

from webapp import jobs
from webapp.discord import gateway_status
from webapp.services import ensure_configured, settings

log = logging.getLogger("rolegate.gateway")
HEARTBEAT = 5  # seconds between status reports
RETRY = 5  # seconds before starting again when Discord could not be reached
BUDGET_EVERY = 12  # heartbeats between readings of the identify budget (once a minute)


class Gateway:
    """The bot, its listeners, and what it reports."""

    def __init__(self, token, discord_url):
        self.bot = hikari.GatewayBot(
            token, intents=hikari.Intents.GUILDS | hikari.Intents.GUILD_MEMBERS,
            rest_url=f"{discord_url.rstrip('/')}/api/v10", banner=None,
            suppress_optimization_warning=True,
            cache_settings=hikari.impl.CacheSettings(components=hikari.api.CacheComponents.NONE),
        )  # fmt: skip
        self.status = {"state": "connecting", "detail": "", "events": 0, "resumes": 0,
                       "last_event_at": ""}  # fmt: skip
        listen = self.bot.listen
        listen(hikari.MemberCreateEvent)(self.on_member("joined"))
        listen(hikari.MemberUpdateEvent)(self.on_member("updated"))
        listen(hikari.MemberDeleteEvent)(self.on_member("left"))
        for kind in (hikari.RoleDeleteEvent, hikari.RoleUpdateEvent, hikari.GuildLeaveEvent,
                     hikari.GuildJoinEvent):  # fmt: skip
            listen(kind)(self.on_server)
        listen(hikari.ShardReadyEvent)(self.on_ready)
        listen(hikari.ShardResumedEvent)(self.on_resumed)
        listen(hikari.ShardDisconnectedEvent)(self.on_disconnected)
        listen(hikari.StartedEvent)(self.on_started)

    def on_member(self, why):
        async def handle(event):
            await self.hand_over(jobs.enqueue_member_check, str(event.guild_id),
                                 str(event.user_id), why)  # fmt: skip

        return handle

    async def on_server(self, event):
        await self.hand_over(jobs.enqueue_server_refresh, str(event.guild_id))

    async def hand_over(self, enqueue, *args):
        """Queue the event's job; with Redis away it is lost here and the reconciliation
        (or the next event about the member) repairs what it would have."""
        self.status["events"] += 1
        self.status["last_event_at"] = time.time()
        try:
            await asyncio.to_thread(enqueue, *args)
        except redis.RedisError as exc:
            log.warning("could not queue %s%s (%s)", enqueue.__name__, args, exc)

    async def on_ready(self, event):
        await self.read_budget()  # one identify was just spent
        self.status.update(state="connected", detail=f"session {event.session_id}")
        await self.report()

    async def on_resumed(self, event):
        self.status["resumes"] += 1
        self.status.update(state="connected")
        await self.report()

    async def on_disconnected(self, event):
        self.status.update(state="reconnecting", detail="the connection dropped; resuming")
        await self.report()

    async def on_started(self, event):
        asyncio.get_running_loop().create_task(self.heartbeat())

    async def heartbeat(self):
        beats = 0
        while True:
            if beats % BUDGET_EVERY == 0:
                await self.read_budget()
            await self.report()
            beats += 1
            await asyncio.sleep(HEARTBEAT)

    async def read_budget(self):
        """How many identifies Discord still allows today (`GET /gateway/bot`)."""
        try:
            limit = (await self.bot.rest.fetch_gateway_bot_info()).session_start_limit
        except (hikari.HikariError, OSError) as exc:  # the last figure stays shown
            log.warning("could not read the session start limit (%s)", exc)
            return
        self.status.update(identifies_left=limit.remaining, identifies_total=limit.total,
                           identifies_reset_at=round(time.time() + limit.reset_after.total_seconds()))  # fmt: skip

    async def report(self):
        try:
            await asyncio.to_thread(gateway_status.write, **self.status)
        except redis.RedisError as exc:  # Redis away: the next heartbeat tries again
            log.warning("could not report the gateway's state (%s)", exc)

    def run(self):
        self.bot.run(check_for_updates=False, enable_signal_handlers=True)


def fatal_detail(exc):
    """What an operator should do about a refusal that reconnecting cannot fix, or None."""
    if isinstance(exc, hikari.UnauthorizedError):
        return gateway_status.FATAL[4004]
    if isinstance(exc, hikari.GatewayServerClosedConnectionError):
        return gateway_status.FATAL.get(exc.code) or (
            None if exc.can_reconnect else f"Discord closed the gateway ({exc.code}): {exc.reason}"
        )  # fmt: skip
    if isinstance(exc, RuntimeError) and "sessions" in str(exc):
        return ("Discord's daily session start limit is spent: the gateway waits for it to "
                "reset (see GET /gateway/bot) instead of spending more.")  # fmt: skip
    return None


def main():
    """Run the gateway. Discord unreachable: try again every few seconds. A refusal that a
    reconnect cannot fix: report what to do, and wait (no reconnect loop)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ensure_configured()
    s = settings()
    while True:
        gateway = Gateway(s.discord_bot_token, s.discord_url)
        try:
            gateway.run()
            return
        except Exception as exc:  # noqa: BLE001 - every stop is reported; only some are final
            detail = fatal_detail(exc)
            if detail is None:
                log.warning("gateway stopped (%s); starting again in %s s", exc, RETRY)
                gateway_status.write(state="reconnecting", detail=f"{type(exc).__name__}: {exc}"[:300],
                                     events=gateway.status["events"])  # fmt: skip
                time.sleep(RETRY)
                continue
        log.error("gateway stopped: %s", detail)
        while True:
            gateway_status.write(state="fatal", detail=detail, events=gateway.status["events"],
                                 resumes=gateway.status["resumes"])  # fmt: skip
            time.sleep(HEARTBEAT)


if __name__ == "__main__":
    main()
