"""A stand-in for the one Paddle Billing API call Rolegate makes: `GET /customers/{id}` (no
machine here reaches Paddle).

It answers as Paddle's published API does: `Authorization: Bearer <API key>`; an entity as
`{"data": {...}, "meta": {"request_id"}}`; errors as `{"error": {"type": "request_error",
"code", "detail", "documentation_url"}, "meta": {"request_id"}}` — 403
`authentication_missing` without the header, 403 `authentication_malformed` for another
scheme, 403 `invalid_token` for an unknown key, 403 `forbidden` for a key without the
`customer.read` permission, 404 `not_found`; every answer's request id is in its `meta`.
"""

import uuid
from datetime import UTC, datetime

from flask import Flask, jsonify, request

from sandbox.standin import ServedStandIn

DOCS = "https://developer.paddle.com/errors/shared/"


class PaddleState:
    """What the stand-in knows: API keys with their permissions, and customers."""

    def __init__(self):
        self.keys = {}  # key -> set of permissions
        self.customers = {}  # ctm_… -> customer entity
        self.requests = []

    def add_key(self, key, *permissions):
        self.keys[key] = set(permissions)

    def add_customer(self, customer_id, email, name=None):
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.customers[customer_id] = {
            "id": customer_id, "name": name, "email": email, "marketing_consent": False,
            "status": "active", "custom_data": None, "locale": "en", "created_at": now,
            "updated_at": now, "import_meta": None,
        }  # fmt: skip


def _error(status, code, detail):
    return jsonify({
        "error": {"type": "request_error", "code": code, "detail": detail,
                  "documentation_url": DOCS + code},
        "meta": {"request_id": str(uuid.uuid4())},
    }), status  # fmt: skip


def create_app(state):
    """The stand-in's WSGI app over `state`."""
    app = Flask("paddle-stand-in")

    def authorize(permission):
        header = request.headers.get("Authorization")
        state.requests.append((request.method, request.path, header))
        if not header:
            return _error(403, "authentication_missing", "Authentication header missing.")
        if not header.startswith("Bearer ") or not header[7:].strip():
            return _error(403, "authentication_malformed",
                          "Authentication header included, but incorrectly formatted.")  # fmt: skip
        key = header[7:].strip()
        if key not in state.keys:
            return _error(403, "invalid_token", "Invalid or revoked API key.")
        if permission not in state.keys[key]:
            return _error(403, "forbidden",
                          "You aren't permitted to perform this request.")  # fmt: skip
        return None

    @app.get("/customers/<customer_id>")
    def customer(customer_id):
        refused = authorize("customer.read")
        if refused:
            return refused
        if customer_id not in state.customers:
            return _error(404, "not_found", f"Customer {customer_id} not found.")
        return jsonify({"data": state.customers[customer_id],
                        "meta": {"request_id": str(uuid.uuid4())}})  # fmt: skip

    return app


class PaddleStandIn(ServedStandIn):
    """The stand-in served from a thread on a free port (tests)."""

    def __init__(self, port=0):
        state = PaddleState()
        super().__init__(state, create_app(state), port)
