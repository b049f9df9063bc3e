"""Orders export as CSV in constant memory: a fresh process streams the export of 100,000
orders, another one of 10,000 (a search), and each prints its peak RSS — the same peak for
ten times the rows is constant memory. Run by `bench/orders_page.py` on its 100,000 orders."""

import json
import os
import resource
import subprocess
import sys
import time


def child(seller_id, q):
    """In a fresh process: stream the export, print bytes, seconds and peak RSS (MiB)."""
    from webapp import create_app
    from webapp.db import db
    from webapp.orders import export_rows

    app = create_app()
    started = time.perf_counter()
    size = rows = 0
    with app.app_context(), db.connection_context():
        for chunk in export_rows(seller_id, q=q):
            size += len(chunk)
            rows += chunk.count("\n")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows - 1, "bytes": size, "seconds": time.perf_counter() - started,
                      "peak_mib": peak}))  # fmt: skip


def measure(stack, seller_id, q=""):
    """Run `child` in a fresh process on the stack's database."""
    env = {**os.environ, **{k: v for k, v in stack.env.items() if k.isupper()}}
    out = subprocess.run(
        [sys.executable, "-m", "bench.orders_export", str(seller_id), q],
        env=env, capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    child(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "")
