"""A seller's webhook signing secrets: the current one, and old ones for 24 h each.

Old secrets are kept as a JSON list of {"secret": <Fernet token>, "until": <ISO time>} so
rotating twice in a day keeps both earlier secrets valid until their own deadline (a
checkout still sending with the first one keeps working). A bare Fernet token (the format
before this list) counts as one old secret valid until `webhook_rotated_at` + 24 h.
"""

import json
from datetime import datetime, timedelta

from webapp import crypto
from webapp.db import utcnow

PREVIOUS_SECRET_VALID = timedelta(hours=24)


def _previous(seller):
    raw = seller.webhook_previous_secret or ""
    if not raw:
        return []
    if raw.startswith("["):
        return [
            {"secret": e["secret"], "until": datetime.fromisoformat(e["until"])}
            for e in json.loads(raw)
        ]
    if seller.webhook_rotated_at is None:
        return []
    return [{"secret": raw, "until": seller.webhook_rotated_at + PREVIOUS_SECRET_VALID}]


def valid_secrets(seller, now=None):
    """The secrets that verify this seller's webhooks now: current first, then old ones."""
    now = now or utcnow()
    old = [crypto.decrypt(e["secret"]) for e in _previous(seller) if e["until"] > now]
    return [crypto.decrypt(seller.webhook_secret), *old]


def previous_valid_until(seller, now=None):
    """When the last still-valid old secret stops working, or None."""
    now = now or utcnow()
    ends = [e["until"] for e in _previous(seller) if e["until"] > now]
    return max(ends) if ends else None


def _store(seller, entries):
    seller.webhook_previous_secret = json.dumps(
        [{"secret": e["secret"], "until": e["until"].isoformat()} for e in entries]
    )


def rotate(seller, new_secret, now=None):
    """Make `new_secret` current; the current one stays valid for 24 h, older ones as before."""
    now = now or utcnow()
    kept = [e for e in _previous(seller) if e["until"] > now]
    kept.append({"secret": seller.webhook_secret, "until": now + PREVIOUS_SECRET_VALID})
    _store(seller, kept)
    seller.webhook_secret = crypto.encrypt(new_secret)
    seller.webhook_rotated_at = now


def reencrypt(seller):
    """Re-encrypt every secret with the first TOKEN_KEY (key rotation)."""
    seller.webhook_secret = crypto.rotate(seller.webhook_secret)
    entries = _previous(seller)
    for e in entries:
        e["secret"] = crypto.rotate(e["secret"])
    if entries:
        _store(seller, entries)
