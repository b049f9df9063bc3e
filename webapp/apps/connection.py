"""What Rolegate's bot can do in an app's server: permissions and role hierarchy."""

import json

from webapp import alerts, jobs
from webapp.access import planner
from webapp.db import utcnow, write_transaction
from webapp.discord.errors import DiscordError, PermanentError
from webapp.models import App, Automation

ADMINISTRATOR = 1 << 3
NEEDED = (
    ("Create Invite", 1 << 0, "lets the bot add buyers to the server"),
    ("Kick Members", 1 << 1, "lets the bot remove buyers when access ends"),
    ("Manage Roles", 1 << 28, "lets the bot give and take roles"),
)


def connect(app, guild):
    """Record the server from the bot-install token answer (its `guild`, not the query string)."""
    app.guild_id = str(guild["id"])
    app.guild_name = guild.get("name", "")
    app.guild_icon = guild.get("icon")
    app.roles_json = json.dumps(guild.get("roles", []))
    app.status = "connected"
    app.status_detail = ""
    app.connected_at = app.checked_at = utcnow()
    app.save()


def resume_waiting(app):
    """A connected app runs every action that waited for it (SPEC §4 rule 10)."""
    if app.status != "connected":
        return []
    with write_transaction():
        ids = planner.release_waiting_for_app(app)
        jobs.enqueue_actions(ids)
    return ids


def refresh_guild(guild_id, discord):
    """The gateway said a server changed (a role deleted or moved, the bot removed): look at
    it again for every app on it, so the App page's warnings and its status are current."""
    apps = list(App.select().where((App.guild_id == guild_id) & (App.status != "disconnected")))
    for app in apps:
        refresh(app, discord)
        resume_waiting(app)
    return len(apps)


def refresh(app, discord):
    """Look at the server again: roles, the bot's roles and permissions. Returns the app."""
    try:
        guild = discord.get_guild(app.guild_id)
        bot = discord.get_bot_user()
        member = discord.get_member(app.guild_id, bot["id"])
    except PermanentError as exc:
        app.status, app.status_detail = "broken", exc.seller_message
        app.checked_at = utcnow()
        app.save()
        report(app)
        return app
    except DiscordError as exc:
        app.status_detail = f"Discord did not answer ({exc}); the last known state is shown."
        app.save(only=[App.status_detail])
        return app
    roles = guild.get("roles", [])
    app.guild_name, app.guild_icon = guild.get("name", app.guild_name), guild.get("icon")
    app.roles_json = json.dumps(roles)
    app.checked_at = utcnow()
    if member is None:
        app.status = "broken"
        app.status_detail = (
            "Rolegate's bot is no longer on this server. Reconnect the app to add it again."
        )
    else:
        mine = set(member.get("roles", [])) | {app.guild_id}  # @everyone's id is the guild's
        app.bot_permissions = 0
        app.bot_top_position = 0
        for role in roles:
            if role["id"] in mine:
                app.bot_permissions |= int(role.get("permissions", 0))
                app.bot_top_position = max(app.bot_top_position, role.get("position", 0))
        app.status, app.status_detail = "connected", ""
    app.save()
    report(app)
    return app


def report(app):
    """Bring the seller's alerts about this app up to date with what it was last seen as."""
    return alerts.sync(app.seller_id, f"app{app.id}", problems(app))


def problems(app):
    """What is broken on this app now, each in a sentence the seller can act on."""
    link = f"/apps/{app.id}"
    if app.status == "disconnected":
        return []  # the seller's own choice: nothing to alert
    if app.status == "broken":
        return [alerts.Problem(f"app{app.id}", f"The app “{app.name}” is broken: "
                               f"{app.status_detail} Its purchases and expiries wait until it "
                               "is fixed.", link)]  # fmt: skip
    roles = {r["id"]: r for r in app.roles}
    found = []
    for automation in blocked_automations(app, Automation.select().where(Automation.app == app.id)):
        name = automation.role_name or automation.role_id
        if automation.role_id not in roles:
            why = f"its role “{name}” was deleted in Discord. Choose another role for it."
        else:
            why = (f"its role “{name}” sits above the bot's role. In Discord, drag the Rolegate "
                   "bot's role above it.")  # fmt: skip
        found.append(alerts.Problem(f"app{app.id}:automation{automation.id}",
                                    f"An automation of the app “{app.name}” fails: {why}",
                                    link))  # fmt: skip
    return found


def permission_checks(app):
    """Each permission the bot needs, whether it has it, and why it matters."""
    admin = bool(app.bot_permissions & ADMINISTRATOR)
    return [
        {"name": name, "ok": admin or bool(app.bot_permissions & bit), "why": why}
        for name, bit, why in NEEDED
    ]


def manageable(app, role):
    """True when the bot can give and take `role` (it sits below the bot's highest role)."""
    return (
        role["id"] != app.guild_id
        and not role.get("managed")
        and role.get("position", 0) < app.bot_top_position
    )


def role_rows(app):
    """The server's roles, highest first, each with whether the bot can manage it."""
    rows = []
    for role in app.roles:
        if role["id"] == app.guild_id:
            continue  # @everyone is nobody's to give
        rows.append(
            {**role, "manageable": manageable(app, role), "is_bot": bool(role.get("managed"))}
        )
    return rows


def bot_top_role(app):
    """The bot's highest role as last seen, or None."""
    candidates = [
        r for r in app.roles if r.get("managed") and r.get("position") == app.bot_top_position
    ]
    return candidates[0] if candidates else None


def blocked_automations(app, automations):
    """Enabled automations whose role the bot cannot manage now (they would fail with 50013)."""
    if not app.guild_id:
        return []
    roles = {r["id"]: r for r in app.roles}
    return [
        a
        for a in automations
        if a.enabled
        and a.role_id
        and (a.role_id not in roles or not manageable(app, roles[a.role_id]))
    ]
