"""GET /healthz: is every part of Rolegate up?"""

import time

from flask import Blueprint, jsonify
from rq import Worker

from webapp.db import db
from webapp.discord import gateway_status
from webapp.services import get_redis

bp = Blueprint("health", __name__)

# rq-scheduler's per-process hash; its heartbeat keeps the key from expiring.
SCHEDULER_KEYS = "rq:scheduler_instance:*"


def check_database():
    """The database answers a query."""
    db.execute_sql("SELECT 1")
    return {"ok": True}


def check_redis():
    """Redis answers PING."""
    started = time.perf_counter()
    get_redis().ping()
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


def check_workers():
    """At least one RQ worker is registered (RQ's worker registry)."""
    workers = Worker.all(connection=get_redis())
    return {"ok": bool(workers), "count": len(workers)}


def check_scheduler():
    """An rq-scheduler heartbeat key is alive and does not record a death."""
    conn = get_redis()
    alive = [k for k in conn.scan_iter(SCHEDULER_KEYS) if not conn.hexists(k, "death")]
    return {"ok": bool(alive), "count": len(alive)}


def check_gateway():
    """The gateway process's heartbeat is fresh and it is connected to Discord."""
    return gateway_status.read()


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "workers": check_workers,
    "scheduler": check_scheduler,
    "gateway": check_gateway,
}


@bp.route("/healthz/live")
def live():
    """Liveness: the web process answers (no dependency checked)."""
    return jsonify(status="ok")


@bp.route("/healthz")
def healthz():
    """200 with each part's state when all are up, else 503 naming what is down."""
    report = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports every failure
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:200]}
    down = [name for name, state in report.items() if not state["ok"]]
    body = {"status": "down" if down else "ok", "down": down, "checks": report}
    return jsonify(body), 503 if down else 200
