"""Structured logs: one JSON object per line, with the ids that let an operator follow work."""

import json
import logging
import sys

FIELDS = ("seller_id", "order_id", "action_id", "job_id", "webhook_id", "status", "kind")


class JsonFormatter(logging.Formatter):
    """time, level, logger, message and any of FIELDS passed in `extra`."""

    def format(self, record):
        """One line of JSON."""
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level="INFO"):
    """Send Rolegate's own loggers to stderr as JSON lines (once per process)."""
    logger = logging.getLogger("rolegate")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return logger
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger
