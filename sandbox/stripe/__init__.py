"""A stand-in for the few Stripe API calls Rolegate makes (no machine here reaches Stripe).

It answers as Stripe's published API does: `Authorization: Bearer <secret key>`; list
objects `{"object": "list", "data": [...], "has_more", "url"}`, newest first, paged with
`limit` (1–100, default 10) and `starting_after`; errors as
`{"error": {"type", "code", "message", "param"}}` with 401 for an unknown key, 403 for a
restricted key without the permission, 404 `resource_missing`, 400 `parameter_invalid_integer`;
a `Request-Id` header on every answer. Routes:

- `GET /v1/checkout/sessions/{id}/line_items` (permission `checkout_sessions_read`)
- `GET /v1/events?created[gte]=…&type=…` (permission `events_read`; the last 30 days)

Tests load it with sessions, line items and events, and keys with their permissions.
"""

import uuid

from flask import Flask, jsonify, request

from sandbox.standin import ServedStandIn


class StripeState:
    """What the stand-in knows: keys and their permissions, sessions' items, events."""

    def __init__(self):
        self.keys = {}  # key -> set of permissions
        self.line_items = {}  # session id -> [line item]
        self.events = []  # oldest first
        self.requests = []

    def add_key(self, key, *permissions):
        self.keys[key] = set(permissions)

    def add_line_item(self, session_id, product, price, description="Course", nickname=None):
        self.line_items.setdefault(session_id, []).append({
            "id": f"li_{uuid.uuid4().hex[:14]}", "object": "item", "description": description,
            "quantity": 1, "amount_total": 5000, "currency": "usd",
            "price": {"id": price, "object": "price", "product": product, "nickname": nickname,
                      "type": "recurring"},
        })  # fmt: skip


def _error(status, kind, message, code=None, param=None):
    body = {"error": {"type": kind, "message": message}}
    if code:
        body["error"]["code"] = code
    if param:
        body["error"]["param"] = param
    return jsonify(body), status


def create_app(state):
    """The stand-in's WSGI app over `state`."""
    app = Flask("stripe-stand-in")

    @app.after_request
    def _request_id(response):
        response.headers["Request-Id"] = f"req_{uuid.uuid4().hex[:14]}"
        return response

    def authorize(permission):
        header = request.headers.get("Authorization", "")
        key = header[7:] if header.startswith("Bearer ") else ""
        state.requests.append((request.method, request.full_path, key))
        if key not in state.keys:
            masked = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if key else ""
            return _error(401, "invalid_request_error", f"Invalid API Key provided: {masked}")
        if permission not in state.keys[key] and not key.startswith("sk_"):
            return _error(403, "invalid_request_error",
                          f"The provided key does not have the required permissions for this "
                          f"endpoint. Having the '{permission}' permission would allow this "
                          "request to continue.", code="secret_key_required")  # fmt: skip
        return None

    def page(items, url):
        try:
            limit = int(request.args.get("limit", 10))
        except ValueError:
            return _error(400, "invalid_request_error", "Invalid integer: limit",
                          code="parameter_invalid_integer", param="limit")  # fmt: skip
        if not 1 <= limit <= 100:
            return _error(400, "invalid_request_error",
                          "This value must be greater than or equal to 1 and less than or "
                          "equal to 100.", code="parameter_invalid_integer", param="limit")  # fmt: skip
        after = request.args.get("starting_after")
        if after:
            ids = [i["id"] for i in items]
            if after not in ids:
                return _error(404, "invalid_request_error", f"No such object: '{after}'",
                              code="resource_missing", param="starting_after")  # fmt: skip
            items = items[ids.index(after) + 1 :]
        return jsonify({"object": "list", "data": items[:limit], "has_more": len(items) > limit,
                        "url": url})  # fmt: skip

    @app.get("/v1/checkout/sessions/<session_id>/line_items")
    def line_items(session_id):
        refused = authorize("checkout_sessions_read")
        if refused:
            return refused
        if session_id not in state.line_items:
            return _error(404, "invalid_request_error",
                          f"No such checkout.session: '{session_id}'", code="resource_missing",
                          param="id")  # fmt: skip
        return page(state.line_items[session_id], f"/v1/checkout/sessions/{session_id}/line_items")

    @app.get("/v1/events")
    def events():
        refused = authorize("events_read")
        if refused:
            return refused
        items = list(reversed(state.events))
        gte = request.args.get("created[gte]")
        if gte is not None:
            if not gte.isdigit():
                return _error(400, "invalid_request_error", "Invalid integer: created[gte]",
                              code="parameter_invalid_integer", param="created[gte]")  # fmt: skip
            items = [e for e in items if e["created"] >= int(gte)]
        # `type=…`, or the array `types[]=…` / `types[0]=…` (how the library encodes a list).
        kinds = [v for k, vs in request.args.lists() if k.startswith("types[") for v in vs]
        kinds = kinds or request.args.getlist("type")
        if kinds:
            items = [e for e in items if e["type"] in kinds]
        return page(items, "/v1/events")

    return app


class StripeStandIn(ServedStandIn):
    """The stand-in served from a thread on a free port (tests)."""

    def __init__(self, port=0):
        state = StripeState()
        super().__init__(state, create_app(state), port)
