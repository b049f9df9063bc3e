"""The live page: each sandbox server, its members and roles, DMs and the latest requests."""

from flask import Blueprint, abort, g, redirect, render_template

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
                 "roles": [names.get(r, r) for r in m["roles"]], "role_ids": list(m["roles"])}
                for uid, m in guild["members"].items()
            ]  # fmt: skip
            away = [
                {"id": uid, "name": u["username"]} for uid, u in state.users.items()
                if uid not in guild["members"] and not u.get("bot")
            ]  # fmt: skip
            guilds.append({
                "id": guild["id"], "name": guild["name"], "members": members, "away": away,
                "roles": sorted(guild["roles"], key=lambda r: -r["position"]),
                "bot_role_id": bot["id"] if bot else None,
                "bot_position": bot["position"] if bot else None,
                "bot_in": seed.BOT_USER_ID in guild["members"],
            })  # fmt: skip
        return {
            "guilds": guilds,
            "bot_id": seed.BOT_USER_ID,
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


# What a person does in Discord's own client, as buttons on the live page (the gateway
# dispatches each change, as Discord would).


def _back(guild_id):
    return redirect(f"/#guild-{guild_id}", code=303)


@bp.post("/_sandbox/page/<guild_id>/members/<user_id>/leave")
def leave(guild_id, user_id):
    """The member leaves the server."""
    with g.state.lock:
        if guild_id not in g.state.guilds:
            abort(404)
        g.state.remove_member(guild_id, user_id)
    return _back(guild_id)


@bp.post("/_sandbox/page/<guild_id>/members/<user_id>/join")
def join(guild_id, user_id):
    """The user joins (again) through an invite, with no roles."""
    with g.state.lock:
        if guild_id not in g.state.guilds or user_id not in g.state.users:
            abort(404)
        g.state.add_member(guild_id, user_id)
    return _back(guild_id)


@bp.post("/_sandbox/page/<guild_id>/members/<user_id>/roles/<role_id>/remove")
def remove_role(guild_id, user_id, role_id):
    """A moderator removes the role from the member by hand."""
    with g.state.lock:
        member = g.state.guilds.get(guild_id, {}).get("members", {}).get(user_id)
        if member is None:
            abort(404)
        if role_id in member["roles"]:
            member["roles"].remove(role_id)
            g.state.member_roles_changed(guild_id, user_id)
    return _back(guild_id)


@bp.post("/_sandbox/page/<guild_id>/roles/<role_id>/delete")
def delete_role(guild_id, role_id):
    """Someone deletes the role from the server."""
    with g.state.lock:
        if guild_id not in g.state.guilds or not g.state.delete_role(guild_id, role_id):
            abort(404)
    return _back(guild_id)


@bp.post("/_sandbox/page/<guild_id>/bot/kick")
def kick_bot(guild_id):
    """Someone kicks the bot from the server."""
    with g.state.lock:
        if guild_id not in g.state.guilds:
            abort(404)
        g.state.remove_bot(guild_id)
    return _back(guild_id)
