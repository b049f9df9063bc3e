"""The Discord sandbox: a local stand-in for Discord's REST API, OAuth2 and a live view."""

from flask import Flask, g, redirect, render_template

from sandbox import control, oauth, rest
from sandbox.state import SandboxState


def create_app(config=None):
    """Build the sandbox app with a fresh state."""
    app = Flask(__name__)
    app.config.update(config or {})
    state = SandboxState()
    app.extensions["sandbox_state"] = state

    @app.before_request
    def _state():
        g.state = state

    for module in (rest, oauth, control):
        app.register_blueprint(module.bp)

    @app.route("/")
    def page():
        """Each server, its members and their roles, live."""
        return render_template("page.html", **_view(state))

    @app.route("/_sandbox/fragment")
    def fragment():
        """The live part of the page (polled every second)."""
        return render_template("_servers.html", **_view(state))

    @app.route("/channels/<guild_id>")
    def channel(guild_id):
        """Where "Open the server" lands: the server on the live page."""
        return redirect(f"/#guild-{guild_id}")

    return app


def _view(state):
    with state.lock:
        guilds = []
        for guild in state.guilds.values():
            names = {r["id"]: r["name"] for r in guild["roles"]}
            bot = state.bot_role(guild)
            guilds.append({
                "id": guild["id"], "name": guild["name"],
                "roles": sorted(guild["roles"], key=lambda r: -r["position"]),
                "bot_position": bot["position"] if bot else None,
                "members": [{"name": state.users[uid]["username"], "id": uid,
                             "roles": [names.get(r, r) for r in m["roles"]]}
                            for uid, m in guild["members"].items()],
            })  # fmt: skip
        return {
            "guilds": guilds,
            "log": list(state.log)[-15:][::-1],
            "messages": state.messages[-10:],
        }
