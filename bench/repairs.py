"""Time from a change in Discord to the role back, through the real gateway process: a buyer
with live access leaves and rejoins, or a moderator removes the role by hand (SPEC §10)."""

import time

from bench.harness import percentile
from bench.setup import ANN, PRO, connected_seller, linked_buyer_with_pro, pay_for_ann
from sandbox import seed


def _has_pro(stack):
    member = next(
        (m for m in stack.sandbox.guild(seed.GUILD_ID)["members"] if m["user"]["id"] == ANN), None
    )
    return member is not None and PRO in member["roles"]


def _until_pro(stack, timeout=30):
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if _has_pro(stack):
            return time.perf_counter() - started
        time.sleep(0.005)
    raise RuntimeError("the role did not come back within 30 s")


def run(stack, samples=25):
    """p50/p99 seconds until the role is back, after a rejoin and after a removal by hand."""
    stack.flask_app()
    seller, app = connected_seller(stack)
    secret = linked_buyer_with_pro(stack, seller, app)
    url = stack.processes.web(workers=2)
    stack.processes.worker()
    stack.processes.gateway()
    deadline = time.monotonic() + 30
    while stack.sandbox.gateway()["connected"] < 1:
        if time.monotonic() > deadline:
            raise RuntimeError("the gateway process did not connect")
        time.sleep(0.1)
    pay_for_ann(url, seller, secret, "repair_bench", "course")
    _until_pro(stack)
    rejoin, by_hand = [], []
    for _ in range(samples):
        stack.sandbox.remove_member(seed.GUILD_ID, ANN)
        stack.sandbox.add_member(seed.GUILD_ID, ANN)
        rejoin.append(_until_pro(stack))
        stack.sandbox.remove_role_by_hand(seed.GUILD_ID, ANN, PRO)
        by_hand.append(_until_pro(stack))
    return {
        "rejoin_p50": percentile(rejoin, 50), "rejoin_p99": percentile(rejoin, 99),
        "removed_p50": percentile(by_hand, 50), "removed_p99": percentile(by_hand, 99),
        "samples": samples,
    }  # fmt: skip


if __name__ == "__main__":
    from bench.harness import main

    main(run)
