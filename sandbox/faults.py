"""Fault injection: rules that make matching requests fail, slow down or hit a 429."""

import re
import time

FIELDS = ("method", "path", "status", "code", "message", "retry_after", "global", "scope",
          "delay", "count", "seconds")  # fmt: skip


class Faults:
    """An ordered list of rules; the first match wins. Callers hold the state lock."""

    def __init__(self):
        self.rules = []

    def add(self, rule):
        """Add a rule: method, path (regex searched in the path after /api/v10), status, code,
        message, retry_after, global, scope, delay (seconds), count (N times) or seconds."""
        unknown = set(rule) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        rule = dict(rule)
        rule["_pattern"] = re.compile(rule.get("path") or "")
        if rule.get("seconds"):
            rule["_until"] = time.time() + float(rule["seconds"])
        self.rules.append(rule)

    def clear(self):
        """Remove every rule."""
        self.rules.clear()

    def match(self, method, path):
        """The first live rule matching this request (one use consumed), or None."""
        now = time.time()
        self.rules = [r for r in self.rules if r.get("_until", now + 1) > now]
        for rule in self.rules:
            if rule.get("method") and rule["method"].upper() != method:
                continue
            if not rule["_pattern"].search(path):
                continue
            if rule.get("count") is not None:
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.rules.remove(rule)
            return rule
        return None

    def as_json(self):
        """The rules still live (without internals)."""
        return [{k: v for k, v in r.items() if not k.startswith("_")} for r in self.rules]
