"""The live page: each sandbox server, its members and roles, DMs and the latest requests."""

from flask import Blueprint, g, redirect, render_template

from sandbox import seed

bp = Blueprint("page", __name__)


def _view(state):
    with state.lock:
        guilds = []
        for guild in state.guilds.values():
            names = {r["id"]: r["name"] for r in guild["roles"]}
            bot = state.bot_role(guild)
            members = [
                {"id": uid, "name": state.users[uid]["username"], "owner": uid == guild["owner_id"],
                 "roles": [names.get(r, r) for r in m["roles"]]}
                for uid, m in guild["members"].items()
            ]  # fmt: skip
            guilds.append({
                "id": guild["id"], "name": guild["name"], "members": members,
                "roles": sorted(guild["roles"], key=lambda r: -r["position"]),
                "bot_role_id": bot["id"] if bot else None,
                "bot_position": bot["position"] if bot else None,
                "bot_in": seed.BOT_USER_ID in guild["members"],
            })  # fmt: skip
        return {
            "guilds": guilds,
            "log": list(state.log)[-20:][::-1],
            "messages": state.messages[-10:][::-1],
        }


@bp.get("/")
def page():
    """The whole page; its live part refreshes every second."""
    return render_template("page.html", **_view(g.state))


@bp.get("/_sandbox/fragment")
def fragment():
    """The live part of the page alone (what the page polls)."""
    return render_template("_servers.html", **_view(g.state))


@bp.get("/channels/<guild_id>")
def channel(guild_id):
    """Where "Open the server" lands: that server on the live page."""
    return redirect(f"/#guild-{guild_id}")
