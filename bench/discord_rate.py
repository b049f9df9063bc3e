"""Discord rate achieved by 1, 2 and 4 processes sharing one bucket, against the sandbox's limit."""

import multiprocessing
import time

from sandbox import seed

ROUTE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
LIMIT, PER = 20, 1.0  # the sandbox's tightened bucket: 20 requests per second
DURATION = 8.0
ANN, PRO = "200000000000000001", "310000000000000003"


def _hammer(args):
    url, redis_url, start_at, stop_at = args
    import redis

    from webapp.discord import DiscordHTTP
    from webapp.discord.errors import RateLimited

    client = DiscordHTTP(url, seed.BOT_TOKEN, redis.Redis.from_url(redis_url), max_wait=5.0)
    while time.time() < start_at:
        time.sleep(0.001)
    done = 0
    while time.time() < stop_at:
        try:
            client.add_role(seed.GUILD_ID, ANN, PRO, reason="bench")
            done += 1
        except RateLimited:
            pass
    return done


def run(stack, workers=(1, 2, 4), duration=DURATION):
    """Rows: workers, requests, achieved/permitted, 429 share."""
    stack.install_bot()
    stack.sandbox.add_member(seed.GUILD_ID, ANN)
    stack.sandbox.limits(routes={ROUTE: {"limit": LIMIT, "per": PER}}, global_per_second=50)
    rows = []
    ctx = multiprocessing.get_context("spawn")
    for n in workers:
        before = stack.sandbox.stats()
        start_at = time.time() + 2.0
        stop_at = start_at + duration
        with ctx.Pool(n) as pool:
            done = sum(
                pool.map(_hammer, [(stack.sandbox_url, stack.redis_url, start_at, stop_at)] * n)
            )
        after = stack.sandbox.stats()
        sent = after["by_route"].get(ROUTE, 0) - before["by_route"].get(ROUTE, 0)
        limited = after["rate_limited"] - before["rate_limited"]
        achieved = done / duration
        rows.append({
            "workers": n, "requests": sent, "achieved_per_s": achieved, "permitted_per_s": LIMIT / PER,
            "ratio": achieved / (LIMIT / PER), "share_429": limited / sent if sent else 0.0,
        })  # fmt: skip
        time.sleep(PER)  # let the window roll over between runs
    return rows


if __name__ == "__main__":
    from bench.harness import main

    main(run)
