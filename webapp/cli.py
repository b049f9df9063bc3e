"""Operator commands: `flask --app wsgi db upgrade` and friends."""

import click
from flask.cli import AppGroup

from webapp import migrate

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply pending migrations (the Procfile's release step)."""
    applied = migrate.upgrade()
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")


def init_app(app):
    """Register the command groups."""
    app.cli.add_command(db_cli)
