"""Discord rate achieved by 1, 2 and 4 processes sharing one guild's buckets, against the limits.

`python -m bench.discord_rate` starts the sandbox and Redis (REDIS_URL when set, else an
embedded one), tightens the role routes to 20 requests per second each (global 50/s), and
has N processes alternate add_role and remove_role on one guild through DiscordHTTP.
"""

import multiprocessing
import sys
import time

from sandbox import seed

ROUTES = (
    "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}",
    "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}",
)
LIMIT, PER = 20, 1.0  # each role route's bucket: 20 requests per second
GLOBAL = 50
DURATION = 10.0
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
        for call in (client.add_role, client.remove_role):
            try:
                call(seed.GUILD_ID, ANN, PRO, reason="bench")
                done += 1
            except RateLimited:
                pass
    return done, client.limiter.waits


def run(stack=None, workers=(1, 2, 4), duration=DURATION):
    """Rows: workers, requests, achieved and permitted rate, their ratio, 429 share, waits."""
    if stack is None:
        from bench.harness import Stack

        stack = Stack()
        try:
            return run(stack, workers, duration)
        finally:
            stack.close()
    stack.install_bot()
    stack.sandbox.add_member(seed.GUILD_ID, ANN)
    stack.sandbox.limits(
        routes={route: {"limit": LIMIT, "per": PER} for route in ROUTES}, global_per_second=GLOBAL
    )
    permitted = min(len(ROUTES) * LIMIT / PER, GLOBAL)
    rows = []
    ctx = multiprocessing.get_context("spawn")
    for n in workers:
        before = stack.sandbox.stats()
        start_at = time.time() + 2.0  # every process started and connected
        stop_at = start_at + duration
        with ctx.Pool(n) as pool:
            results = pool.map(
                _hammer, [(stack.sandbox_url, stack.redis_url, start_at, stop_at)] * n
            )
        after = stack.sandbox.stats()
        sent = sum(after["by_route"].get(r, 0) - before["by_route"].get(r, 0) for r in ROUTES)
        limited = after["rate_limited"] - before["rate_limited"]
        achieved = sum(done for done, _ in results) / duration
        rows.append({
            "workers": n, "requests": sent, "achieved_per_s": achieved,
            "permitted_per_s": permitted, "ratio": achieved / permitted,
            "share_429": limited / sent if sent else 0.0, "waits": sum(w for _, w in results),
        })  # fmt: skip
        time.sleep(PER)  # let the windows roll over between runs
    return rows


def table(rows):
    """The rows as a Markdown table with the goals."""
    lines = [
        "| workers | requests | achieved / permitted (req/s) | ratio (≥ 0.95) | 429s (≤ 0.5 %) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['requests']} | {r['achieved_per_s']:.1f} / "
            f"{r['permitted_per_s']:.0f} | {r['ratio']:.3f} | {100 * r['share_429']:.2f} % |"
        )
    return "\n".join(lines)


def main():
    """Run the benchmark on a fresh stack and print its table; exit 1 when a goal is missed."""
    rows = run()
    print(table(rows))
    return 0 if all(r["ratio"] >= 0.95 and r["share_429"] <= 0.005 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
