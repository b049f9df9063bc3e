"""Time from a change in Discord to the role back, through the real gateway process: a buyer
with live access leaves and rejoins, or a moderator removes the role by hand (SPEC §10)."""

import json
import time
import uuid
from datetime import UTC, datetime

import requests
from standardwebhooks.webhooks import Webhook

from bench.harness import percentile, signed_headers
from bench.setup import PRO, buyer_token, connected_seller
from sandbox import seed

ANN = "200000000000000001"


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
    from webapp import crypto
    from webapp.access import catalog, customers
    from webapp.db import db
    from webapp.models import Automation

    stack.flask_app()
    seller, app = connected_seller(stack)
    with db.connection_context():
        Automation.create(seller=seller.id, app=app.id, event="purchase", action="assign_role",
                          role_id=PRO, role_name="Pro")  # fmt: skip
        customer, _ = catalog.customer_for(seller.id, "ann@example.com", "Ann")
        customers.link(customer, {"id": ANN, "username": "ann"}, buyer_token(stack, ANN))
        secret = crypto.decrypt(seller.webhook_secret)
    stack.sandbox.add_member(seed.GUILD_ID, ANN)
    url = stack.processes.web(workers=2)
    stack.processes.worker()
    stack.processes.gateway()
    deadline = time.monotonic() + 30
    while stack.sandbox.gateway()["connected"] < 1:
        if time.monotonic() > deadline:
            raise RuntimeError("the gateway process did not connect")
        time.sleep(0.1)
    body = json.dumps({"type": "order.paid", "data": {
        "order_id": "repair_bench", "product_id": "course", "customer": {"email": "ann@example.com"},
        "paid_at": datetime.now(UTC).isoformat()}})  # fmt: skip
    headers = signed_headers(Webhook(secret), f"msg_{uuid.uuid4().hex}", body)
    requests.post(f"{url}/hooks/{seller.webhook_endpoint_id}", data=body, headers=headers,
                  timeout=10).raise_for_status()  # fmt: skip
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
