"""What the gateway process says of itself, in Redis: written by `workers/gateway.py`, read
by `/healthz` and the Operations page."""

import time
from datetime import UTC, datetime

from webapp.services import get_redis

KEY = "rolegate:gateway"
STALE = 30  # seconds without a heartbeat: the process is gone
# Close codes after which reconnecting only spends the daily identify budget, in words an
# operator can act on.
FATAL = {
    4004: "Discord refused the bot token (4004): set DISCORD_BOT_TOKEN to the bot's current token.",
    4010: "Discord refused the shard (4010): run one gateway process.",
    4011: "Discord wants sharding (4011): the bot is on too many servers for one shard.",
    4012: "Discord refused the API version (4012): update Rolegate.",
    4013: "Discord refused the intents (4013): update Rolegate.",
    4014: (
        "Discord refused the Server Members intent (4014): in the Discord developer portal, "
        "Bot → Privileged Gateway Intents, switch on Server Members Intent, then restart the "
        "gateway process."
    ),
}


def write(**fields):
    """Record the gateway's state (and its heartbeat, now)."""
    conn = get_redis()
    conn.hset(KEY, mapping={**{k: str(v) for k, v in fields.items()}, "heartbeat_at": time.time()})
    conn.expire(KEY, 7 * 24 * 3600)


def read():
    """The gateway's last report, with `ok` and `age` (seconds since its heartbeat)."""
    raw = {k.decode(): v.decode() for k, v in get_redis().hgetall(KEY).items()}
    if not raw:
        return {"ok": False, "state": "never started", "detail": "No gateway process has run."}
    age = time.time() - float(raw.get("heartbeat_at", 0))
    state = raw.get("state", "unknown") if age < STALE else "gone"
    report = {**raw, "state": state, "age": round(age, 1)}
    report["ok"] = state == "connected"
    if raw.get("last_event_at"):
        at = float(raw["last_event_at"])
        report["last_event_at"] = datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
        report["last_event_ago"] = f"{max(0, time.time() - at):.0f} s ago"
    for field in ("identifies_left", "identifies_total"):
        if field in raw:
            report[field] = int(raw[field])
    if state == "gone":
        report["detail"] = f"No heartbeat for {age:.0f} s: is the gateway process running?"
    return report
