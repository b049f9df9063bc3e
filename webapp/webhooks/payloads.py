"""Checkout webhook bodies: parse and validate, naming the field that is wrong."""

import json
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email

TYPES = (
    "order.paid", "order.refunded", "order.disputed", "order.dispute_won",
    "subscription.renewed", "subscription.ended", "payment.failed",
)  # fmt: skip
# Times outside these years are refused: they overflow when days are added, or are typos.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2999, 12, 31, tzinfo=UTC)


class PayloadError(ValueError):
    """A body Rolegate cannot use; the message names the field."""


def _text(data, path, required=True, max_length=200):
    value = data.get(path.rsplit(".", 1)[-1])
    if value is None or value == "":
        if required:
            raise PayloadError(f"missing field: {path}")
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise PayloadError(f"field {path} must be a string")
    value = str(value)
    if len(value) > max_length:
        raise PayloadError(f"field {path} is longer than {max_length} characters")
    if "\x00" in value or not _encodable(value):
        raise PayloadError(f"field {path} contains characters that are not allowed (NUL or a "
                           "lone surrogate)")  # fmt: skip
    return value


def _encodable(value):
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _time(data, path, required=True):
    raw = _text(data, path, required=required, max_length=64)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise PayloadError(
            f"field {path} must be an ISO 8601 time, like 2026-11-24T10:00:00Z"
        ) from None
    if not EARLIEST <= value <= LATEST:
        raise PayloadError(f"field {path} must be a time between the years 1970 and 2999")
    return value


def parse(body):
    """(type, data) of a webhook body, with times as aware datetimes; PayloadError otherwise."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PayloadError("the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise PayloadError("the body must be a JSON object")
    kind = document.get("type")
    if kind is None:
        raise PayloadError("missing field: type")
    if kind not in TYPES:
        raise PayloadError(f"field type must be one of {', '.join(TYPES)}")
    data = document.get("data")
    if not isinstance(data, dict):
        raise PayloadError("missing field: data (an object)")
    return kind, PARSERS[kind](data)


def email_field(data, path):
    """The email address at `path` (its last part is the key in `data`), normalized."""
    email = _text(data, path, max_length=254)
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise PayloadError(f"field {path} is not an email address") from None


def time_field(data, path, required=True):
    """The ISO 8601 time at `path` as an aware datetime (None when absent and not required)."""
    return _time(data, path, required=required)


def _order_paid(data):
    customer = data.get("customer")
    if not isinstance(customer, dict):
        raise PayloadError("missing field: data.customer (an object)")
    email = email_field(customer, "data.customer.email")
    subscription_id = _text(data, "data.subscription_id", required=False, max_length=128)
    return {
        "order_id": _text(data, "data.order_id", max_length=128),
        "product_id": _text(data, "data.product_id", max_length=128),
        "product_name": _text(data, "data.product_name", required=False),
        "variant_id": _text(data, "data.variant_id", required=False, max_length=128),
        "variant_name": _text(data, "data.variant_name", required=False),
        "customer": {
            "email": email,
            "name": _text(customer, "data.customer.name", required=False) or "",
        },
        "paid_at": _time(data, "data.paid_at"),
        "subscription_id": subscription_id,
        "period_end": _time(data, "data.period_end", required=False),
        "payment_ref": _text(data, "data.payment_ref", required=False, max_length=255),
    }


def _order_only(data):
    return {"order_id": _text(data, "data.order_id", max_length=128)}


def _subscription_renewed(data):
    return {
        "subscription_id": _text(data, "data.subscription_id", max_length=128),
        "period_end": _time(data, "data.period_end"),
        "paid_at": _time(data, "data.paid_at", required=False),
    }


def _subscription_ended(data):
    return {
        "subscription_id": _text(data, "data.subscription_id", max_length=128),
        "ended_at": _time(data, "data.ended_at"),
    }


def _payment_failed(data):
    return {
        "subscription_id": _text(data, "data.subscription_id", max_length=128),
        "invoice_id": _text(data, "data.invoice_id", required=False, max_length=255),
    }


PARSERS = {
    "order.paid": _order_paid,
    "order.refunded": _order_only,
    "order.disputed": _order_only,
    "order.dispute_won": _order_only,
    "subscription.renewed": _subscription_renewed,
    "subscription.ended": _subscription_ended,
    "payment.failed": _payment_failed,
}
