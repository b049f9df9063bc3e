"""Operator commands: `flask --app wsgi db upgrade`, `sweep`, `reconcile`, `retry-failed`,
`rotate-token-key`."""

import click
from flask.cli import AppGroup

from webapp import crypto, migrate
from webapp.db import db

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply pending migrations (the Procfile's release step)."""
    applied = migrate.upgrade()
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")


@click.command("sweep")
def sweep_command():
    """Repair now: due expiries, expiries missing from the scheduler, lost actions."""
    from webapp.access.sweeper import sweep

    report = sweep()
    click.echo(", ".join(f"{k}: {v}" for k, v in report.items()))


@click.command("reconcile")
@click.option("--app", "app_id", type=int, help="Only this app's server (its id).")
def reconcile_command(app_id):
    """Check every member Rolegate gave a role to against Discord, and repair (now, here)."""
    from webapp.access import reconcile
    from webapp.models import App

    query = App.select().where((App.status == "connected") & App.guild_id.is_null(False))
    if app_id:
        query = query.where(App.id == app_id)
    for app in query:
        checked, repaired = reconcile.check_now(app)
        click.echo(f"app {app.id} ({app.guild_name or app.name}): {checked} checked, "
                   f"{repaired} repair(s) queued")  # fmt: skip


@click.command("retry-failed")
@click.option("--seller", "seller_email", help="Only this seller's actions (email).")
def retry_failed_command(seller_email):
    """Queue every failed action again from its first attempt."""
    from webapp.access import outbox
    from webapp.models import Action, Seller

    query = Action.select().where(Action.status == "failed")
    if seller_email:
        query = query.join(Seller).where(Seller.email == seller_email.lower())
    count = sum(outbox.retry(action) for action in query)
    click.echo(f"queued again: {count}")


@click.command("rotate-token-key")
def rotate_token_key_command():
    """Re-encrypt every token and secret with the first key of TOKEN_KEY."""
    from webapp.models import Customer, Seller
    from webapp.webhooks import secrets

    done = 0
    with db.atomic():
        for customer in Customer.select().where(Customer.access_token != ""):
            customer.access_token = crypto.rotate(customer.access_token)
            customer.refresh_token = crypto.rotate(customer.refresh_token)
            customer.save(only=[Customer.access_token, Customer.refresh_token])
            done += 1
        for seller in Seller.select():
            secrets.reencrypt(seller)
            seller.save(only=[Seller.webhook_secret, Seller.webhook_previous_secret])
            done += 1
    click.echo(f"re-encrypted rows: {done}")


def init_app(app):
    """Register the command groups."""
    app.cli.add_command(db_cli)
    for command in (sweep_command, reconcile_command, retry_failed_command,
                    rotate_token_key_command):  # fmt: skip
        app.cli.add_command(command)
