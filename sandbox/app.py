"""The Discord sandbox: a local stand-in for Discord's REST API, OAuth2 and a live view."""

from flask import Flask, Response, g, request

from sandbox import control_api, gateway, oauth, page, rest
from sandbox.state import SandboxState

# Invalid requests in Discord's sense, which feed the Cloudflare ban.
INVALID_STATUSES = (401, 403, 429)


def create_app(config=None):
    """Build the sandbox app around one fresh in-memory state."""
    app = Flask(__name__)
    app.config.update(config or {})
    state = SandboxState()
    app.extensions["sandbox_state"] = state

    @app.before_request
    def _attach_state():
        g.state = state
        if request.path.startswith("/api/"):
            with state.lock:
                banned = state.limiter.banned()
                if banned:
                    state.stats["requests"] += 1
                    state.stats["cloudflare_banned"] += 1
                    state.by_status[429] += 1
            if banned:
                # Cloudflare's temporary IP ban: a 429 with no JSON body and no Via header.
                g.cloudflare = True
                return Response("error code: 1015", status=429, mimetype="text/plain")
        return None

    @app.after_request
    def _discord_edge(response):
        if not request.path.startswith("/api/") or g.get("cloudflare"):
            return response
        # Every answer that really comes from Discord passed its Google front end.
        response.headers["Via"] = "1.1 google"
        scope = response.headers.get("X-RateLimit-Scope")
        if response.status_code in INVALID_STATUSES and scope != "shared":
            with state.lock:
                state.limiter.count_invalid()
                state.stats["invalid"] += 1
        return response

    for module in (rest, oauth, control_api, page, gateway):
        app.register_blueprint(module.bp)
    gateway.sock.init_app(app)
    return app
