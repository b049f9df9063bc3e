"""`make bench`: run every benchmark on this machine and print one table with the goals."""

import os
import platform
import sys
import time

from bench import (
    brake,
    discord_rate,
    expiry,
    imports,
    latency,
    orders_page,
    reconcile,
    repairs,
    webhooks,
)
from bench.harness import Stack


def _stack_run(fn):
    stack = Stack()
    try:
        return fn(stack)
    finally:
        stack.close()


def main():
    """Run each benchmark on a fresh stack; print a Markdown table."""
    started = time.time()
    rows = []
    rates = _stack_run(discord_rate.run)
    for r in rates:
        ok = r["ratio"] >= 0.95 and r["share_429"] <= 0.005
        rows.append((f"Discord rate achieved / permitted, {r['workers']} worker(s)", "≥ 0.95, 429s ≤ 0.5 %",
                     f"{r['ratio']:.2f} ({r['achieved_per_s']:.1f}/{r['permitted_per_s']:.0f} per s), "
                     f"429s {100 * r['share_429']:.2f} %", ok))  # fmt: skip
    w = _stack_run(webhooks.run)
    rows.append(("signed webhooks/s accepted / trivial endpoint (same run)", "≥ 0.25, p99 < 50 ms, 0 errors",
                 f"{w['ratio']:.2f} ({w['webhooks_per_s']:.0f}/{w['trivial_per_s']:.0f} per s), "
                 f"p50 {1000 * w['p50']:.0f} ms, p99 {1000 * w['p99']:.0f} ms, {w['errors']} errors",
                 w["ratio"] >= 0.25 and w["p99"] < 0.05 and w["errors"] == 0))  # fmt: skip
    rows.append(("signed Stripe events/s accepted / trivial endpoint (same run)", "≥ 0.25, p99 < 50 ms, 0 errors",
                 f"{w['stripe_ratio']:.2f} ({w['stripe_per_s']:.0f}/{w['trivial_per_s']:.0f} per s), "
                 f"p50 {1000 * w['stripe_p50']:.0f} ms, p99 {1000 * w['stripe_p99']:.0f} ms, "
                 f"{w['stripe_errors']} errors",
                 w["stripe_ratio"] >= 0.25 and w["stripe_p99"] < 0.05 and w["stripe_errors"] == 0))  # fmt: skip
    lat = _stack_run(latency.run)
    rows.append(("webhook → role for a linked buyer", "p50 < 1 s",
                 f"p50 {1000 * lat['p50']:.0f} ms, p95 {1000 * lat['p95']:.0f} ms", lat["p50"] < 1))  # fmt: skip
    r = _stack_run(repairs.run)
    rows.append(("rejoin → role back, through the gateway process", "p50 < 2 s, p99 < 5 s",
                 f"p50 {1000 * r['rejoin_p50']:.0f} ms, p99 {1000 * r['rejoin_p99']:.0f} ms",
                 r["rejoin_p50"] < 2 and r["rejoin_p99"] < 5))  # fmt: skip
    rows.append(("role removed by hand → back", "p50 < 2 s",
                 f"p50 {1000 * r['removed_p50']:.0f} ms, p99 {1000 * r['removed_p99']:.0f} ms",
                 r["removed_p50"] < 2))  # fmt: skip
    c = _stack_run(reconcile.run)
    rows.append(("reconciliation of 10,000 live grants: rate / permitted", "≥ 0.9, 0 % 429s",
                 f"{c['ratio']:.2f} ({c['rate']:.0f}/{c['permitted']} per s, {c['checked']} in "
                 f"{c['seconds']:.0f} s), 429s {100 * c['share_429']:.2f} %; purchases meanwhile "
                 f"webhook → role p50 {1000 * c['purchase_p50']:.0f} ms, p95 "
                 f"{1000 * c['purchase_p95']:.0f} ms",
                 c["ratio"] >= 0.9 and c["share_429"] == 0))  # fmt: skip
    e = _stack_run(expiry.run)
    rows.append(("expiry lateness, 1,000 due in one minute", "p99 ≤ 5 s",
                 f"p50 {e['p50']:.2f} s, p99 {e['p99']:.2f} s", e["p99"] <= 5))  # fmt: skip
    rows.append(("Discord rate while those expiries drain / permitted", "≥ 0.95",
                 f"{e['ratio']:.2f} ({e['discord_rate']:.1f}/{e['permitted']} per s)", e["ratio"] >= 0.95))  # fmt: skip
    rows.append(("Redis bytes per scheduled expiry (10,000 scheduled)", "≤ 2,000",
                 f"{e['bytes_per_expiry']:.0f}", e["bytes_per_expiry"] <= 2000))  # fmt: skip
    m = _stack_run(imports.run)
    rows.append(("import of 50,000 members: preview (upload + check) / apply", "minutes",
                 f"{m['upload_s'] + m['check_s']:.0f} s ({m['list_calls']} List Guild Members "
                 f"calls) / {m['apply_s']:.0f} s; {m['gives']} missing roles given within "
                 f"{m['gives_done_s']:.0f} s of confirming; 429s {m['limited']}",
                 m["imported"] == imports.N and m["upload_s"] + m["check_s"] + m["apply_s"] < 600
                 and m["limited"] == 0))  # fmt: skip
    b = _stack_run(brake.run)
    (_, oh, ob), (_, ch, cb), (ra, rh, _) = b["ordinary"], b["cohort"], b["refund"]
    rows.append(("removal brake, 5,000-member app (limit per 10 min)", "ordinary day 0 held",
                 f"limit {b['limit']}; a day of 1,000 expiries (busiest 10 min: {ob}): {oh} held; "
                 f"1,000 expiries in an hour (busiest: {cb}): {ch} held; 1,000 refunds in 5 min: "
                 f"{ra} ran, {rh} held", oh == 0 and ch == 0 and rh > 0))  # fmt: skip
    o, x = _stack_run(orders_page.run)
    worst = max(v["p95_ms"] for k, v in o.items() if "cold" not in k)
    detail = ", ".join(f"{k} {v['p95_ms']:.0f}" for k, v in o.items())
    rows.append(
        (
            "Orders page and Overview with 100,000 orders, server time p95 (ms)",
            "< 100 ms",
            detail,
            worst < 100,
        )
    )
    whole, tenth = x["all"], x["tenth"]
    rows.append(("Orders CSV export: peak RSS of the process, 100,000 rows / 10,000 rows",
                 "constant memory", f"{whole['peak_mib']:.0f} MiB ({whole['rows']:,} rows, "
                 f"{whole['bytes'] / 1024 / 1024:.1f} MB in {whole['seconds']:.1f} s) / "
                 f"{tenth['peak_mib']:.0f} MiB ({tenth['rows']:,} rows)",
                 whole["rows"] == 100_000 and whole["peak_mib"] < 1.25 * tenth["peak_mib"]))  # fmt: skip
    db = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"\nRolegate benchmarks — {platform.node()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {db}, {time.time() - started:.0f} s\n")  # fmt: skip
    print("| figure | goal | measured | met |")
    print("| --- | --- | --- | --- |")
    for figure, goal, measured, ok in rows:
        print(f"| {figure} | {goal} | {measured} | {'yes' if ok else 'NO'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
