"""Time from a signed webhook to the role in the sandbox, for a buyer who linked Discord."""

import time

from bench.harness import percentile
from bench.setup import ANN, PRO, connected_seller, linked_buyer_with_pro, pay_for_ann
from sandbox import seed


def run(stack, samples=25):
    """p50/p95 seconds from POST to the role being on the member."""
    import redis

    from webapp.discord import DiscordHTTP

    stack.flask_app()
    seller, app = connected_seller(stack)
    secret = linked_buyer_with_pro(stack, seller, app)
    url = stack.processes.web(workers=2)
    stack.processes.worker()
    time.sleep(2)
    bot = DiscordHTTP(stack.sandbox_url, seed.BOT_TOKEN, redis.Redis.from_url(stack.redis_url))
    times = []
    for i in range(samples):
        bot.remove_role(seed.GUILD_ID, ANN, PRO, reason="bench reset")
        started = pay_for_ann(url, seller, secret, f"lat_{i}", f"p{i}")
        deadline = started + 30
        while time.perf_counter() < deadline:
            member = next(
                m for m in stack.sandbox.guild(seed.GUILD_ID)["members"] if m["user"]["id"] == ANN
            )
            if PRO in member["roles"]:
                break
            time.sleep(0.005)
        times.append(time.perf_counter() - started)
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "samples": samples}


if __name__ == "__main__":
    from bench.harness import main

    main(run)
