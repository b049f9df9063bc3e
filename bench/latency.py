"""Time from a signed webhook to the role in the sandbox, for a buyer who linked Discord."""

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


def run(stack, samples=25):
    """p50/p95 seconds from POST to the role being on the member."""
    import redis

    from webapp import crypto
    from webapp.access import customers
    from webapp.db import db
    from webapp.discord import DiscordHTTP
    from webapp.models import Automation

    stack.flask_app()
    seller, app = connected_seller(stack)
    with db.connection_context():
        Automation.create(seller=seller.id, app=app.id, event="purchase", action="assign_role",
                          role_id=PRO, role_name="Pro")  # fmt: skip
        from webapp.access import catalog

        customer, _ = catalog.customer_for(seller.id, "ann@example.com", "Ann")
        customers.link(customer, {"id": ANN, "username": "ann"}, buyer_token(stack, ANN))
        secret = crypto.decrypt(seller.webhook_secret)
    stack.sandbox.add_member(seed.GUILD_ID, ANN)
    url = stack.processes.web(workers=2)
    stack.processes.worker()
    time.sleep(2)
    bot = DiscordHTTP(stack.sandbox_url, seed.BOT_TOKEN, redis.Redis.from_url(stack.redis_url))
    hook = Webhook(secret)
    times = []
    for i in range(samples):
        bot.remove_role(seed.GUILD_ID, ANN, PRO, reason="bench reset")
        body = json.dumps({"type": "order.paid", "data": {
            "order_id": f"lat_{i}", "product_id": f"p{i}", "customer": {"email": "ann@example.com"},
            "paid_at": datetime.now(UTC).isoformat()}})  # fmt: skip
        headers = signed_headers(hook, f"msg_{uuid.uuid4().hex}", body)
        started = time.perf_counter()
        assert requests.post(f"{url}/hooks/{seller.webhook_endpoint_id}", data=body, headers=headers,
                             timeout=10).status_code == 202  # fmt: skip
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
