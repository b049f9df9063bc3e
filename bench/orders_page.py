"""Server time of the Orders page and the Overview (its charts) with 100,000 orders; the
Orders CSV export's memory (`orders_export.py`)."""

import time
from datetime import timedelta

from bench.harness import percentile


def run(stack, n=100_000, repeat=30):
    """p50/p95 ms of the Orders page: newest, a search, a filter, an older page."""
    import re

    from webapp.db import db, utcnow
    from webapp.models import Customer, Order, Product

    app = stack.flask_app()
    client = app.test_client()
    page = client.get("/signup").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/signup", data={"email": "bench@example.com", "password": "bench password!",
                                 "confirm": "bench password!", "csrf_token": token})  # fmt: skip
    with db.connection_context():
        from webapp.models import Seller

        seller = Seller.get(Seller.email == "bench@example.com")
        product = Product.create(seller=seller.id, external_id="course", name="Course")
        now = utcnow()
        with db.atomic():
            Customer.insert_many(
                [
                    {"seller": seller.id, "email": f"buyer{i}@example.com", "created_at": now}
                    for i in range(n // 10)
                ]
            ).execute()
        ids = [c.id for c in Customer.select(Customer.id).where(Customer.seller == seller.id)]
        rows = []
        for i in range(n):
            rows.append({
                "seller": seller.id, "external_id": f"ord_{i:06d}", "customer": ids[i % len(ids)],
                "product": product.id, "paid_at": now - timedelta(minutes=i),
                "access_ends_at": now + timedelta(days=(i % 60) - 20), "status": "active" if i % 3 else "expired",
                "claim_token": f"tok{i}", "created_at": now - timedelta(minutes=i), "updated_at": now,
            })  # fmt: skip
        with db.atomic():
            for start in range(0, n, 5000):
                Order.insert_many(rows[start : start + 5000]).execute()
        db.execute_sql("ANALYZE")  # what autovacuum / a long-lived database would have done
    views = {
        "newest": "/orders/",
        "search email": "/orders/?q=buyer4242@",
        "ending in 7 days": "/orders/?status=ending",
        "older page": f"/orders/?before={n // 2}",
        "Overview": "/overview",
    }
    results = {}
    from webapp.dashboard import charts
    from webapp.services import get_redis

    views["Overview, charts computed (cold)"] = "/overview"
    for name, url in views.items():
        times = []
        for _ in range(repeat):
            if "cold" in name:
                get_redis().delete(charts.CACHE.format(seller=seller.id))
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (
                url,
                response.status_code,
                response.headers.get("Location"),
            )
        results[name] = {
            "p50_ms": percentile(times, 50) * 1000,
            "p95_ms": percentile(times, 95) * 1000,
        }
    from bench import orders_export

    exports = {
        "all": orders_export.measure(stack, seller.id),
        "tenth": orders_export.measure(stack, seller.id, q="ord_00"),
    }
    return results, exports


if __name__ == "__main__":
    from bench.harness import main

    main(run)
