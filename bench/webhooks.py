"""Signed webhooks per second through the Procfile's gunicorn (4 workers x 4 threads), against a
trivial endpoint."""

import http.client
import json
import multiprocessing
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from bench.harness import percentile, signed_headers

CONCURRENCY = 8  # 2 client processes x 4 threads, on the same 2 cores as the server


def _client(args):
    """Send the given requests over keep-alive-less http.client; return latencies and errors."""
    import threading

    url, requests_, threads = args
    parts = urlsplit(url)
    latencies, errors = [], [0]
    lock = threading.Lock()
    chunks = [requests_[i::threads] for i in range(threads)]

    def run(chunk):
        for method, path, body, headers, expected in chunk:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            conn.close()
            with lock:
                latencies.append(elapsed)
                if response.status != expected:
                    errors[0] += 1

    pool = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, errors[0]


def load(url, requests_, processes=2, threads=4):
    """(requests per second, p50 s, p99 s, errors) for requests_ sent by processes x threads."""
    ctx = multiprocessing.get_context("spawn")
    parts = [requests_[i::processes] for i in range(processes)]
    with ctx.Pool(processes) as pool:
        started = time.perf_counter()
        results = pool.map(_client, [(url, p, threads) for p in parts])
        elapsed = time.perf_counter() - started
    latencies = [x for lat, _ in results for x in lat]
    return (
        len(latencies) / elapsed,
        percentile(latencies, 50),
        percentile(latencies, 99),
        sum(e for _, e in results),
    )


def signed_orders(endpoint_path, secret, n):
    """n distinct `order.paid` webhooks, signed now."""
    hook = Webhook(secret)
    out = []
    for i in range(n):
        webhook_id = f"msg_{uuid.uuid4().hex}"
        body = json.dumps({"type": "order.paid", "data": {
            "order_id": f"bench_{i}_{webhook_id[-6:]}", "product_id": "course-pro",
            "product_name": "Course Pro", "customer": {"email": f"buyer{i}@example.com", "name": "B"},
            "paid_at": datetime.now(UTC).isoformat(), "subscription_id": None, "period_end": None}})  # fmt: skip
        out.append(("POST", endpoint_path, body, signed_headers(hook, webhook_id, body), 202))
    return out


def stripe_sessions(endpoint_path, secret, n):
    """n distinct `checkout.session.completed` events, signed as Stripe signs them."""
    import stripe

    out = []
    for i in range(n):
        body = json.dumps({
            "id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": "checkout.session.completed",
            "api_version": "2025-03-31.basil", "created": int(time.time()), "livemode": False,
            "data": {"object": {
                "id": f"cs_bench_{i}_{uuid.uuid4().hex[:8]}", "object": "checkout.session",
                "payment_status": "paid", "mode": "payment", "payment_intent": f"pi_bench_{i}",
                "customer_details": {"email": f"stripe{i}@example.com", "name": "B"},
                "metadata": {"product_id": "prod_course"}}}})  # fmt: skip
        header = stripe.WebhookSignature.generate_signature_header(body, secret)
        out.append(("POST", endpoint_path, body,
                    {"content-type": "application/json", "stripe-signature": header}, 200))  # fmt: skip
    return out


def run(stack, n=3000):
    """Rows for webhooks/s vs the trivial endpoint, and latency."""
    from webapp import crypto
    from webapp.accounts.domain import create_seller
    from webapp.db import db
    from webapp.models import Checkout

    stack.flask_app()
    stripe_secret = "whsec_bench_" + uuid.uuid4().hex
    with db.connection_context():
        seller = create_seller("bench@example.com", "bench password!")
        secret = crypto.decrypt(seller.webhook_secret)
        stripe_checkout = Checkout.create(seller=seller.id, name="Stripe", provider="stripe",
                                          secret=crypto.encrypt(stripe_secret))  # fmt: skip
    url = stack.processes.web(workers=4)
    trivial = [("GET", "/healthz/live", None, {}, 200)] * n
    load(url, trivial[:200])  # warm up
    trivial_rate, t50, t99, t_err = load(url, trivial)
    hooks = signed_orders(f"/hooks/{seller.webhook_endpoint_id}", secret, n)
    hook_rate, h50, h99, h_err = load(url, hooks)
    sessions = stripe_sessions(f"/hooks/{stripe_checkout.endpoint_id}", stripe_secret, n)
    stripe_rate, s50, s99, s_err = load(url, sessions)
    return {"trivial_per_s": trivial_rate, "trivial_p50": t50, "trivial_p99": t99,
            "webhooks_per_s": hook_rate, "ratio": hook_rate / trivial_rate,
            "p50": h50, "p99": h99, "errors": h_err + t_err, "n": n,
            "stripe_per_s": stripe_rate, "stripe_ratio": stripe_rate / trivial_rate,
            "stripe_p50": s50, "stripe_p99": s99, "stripe_errors": s_err}  # fmt: skip


if __name__ == "__main__":
    from bench.harness import main

    main(run)
