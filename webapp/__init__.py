"""Rolegate's web app: sellers' dashboard, buyers' claim pages, checkout webhooks."""

from flask import Flask

from webapp import services
from webapp.settings import ROOT, Settings

__version__ = "0.1.0"


def create_app(config=None):
    """Build the Flask app; `config` overrides environment settings (UPPER_CASE names)."""
    config = dict(config or {})
    names = _settings_names()
    settings = Settings.from_env({k: v for k, v in config.items() if k in names})
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        MAX_CONTENT_LENGTH=1024 * 1024,
        PREFERRED_URL_SCHEME="https" if settings.public_url.startswith("https") else "http",
    )
    app.config.update({k: v for k, v in config.items() if k not in names})
    app.extensions["rolegate"] = settings
    services.configure(settings)
    if settings.proxy_count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind a router: the client's IP (login rate limits) and https (OAuth redirect
        # URLs) come from the X-Forwarded-* headers of the proxies we were told about.
        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    from webapp import cli, db, errors, imports, oauth, pages, security

    db.init_app(app)
    imports.init_app(app)  # before the CSRF check reads a request's body
    security.init_app(app, settings)
    pages.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    oauth.init_app(app, settings)

    from webapp import (
        accounts,
        apps,
        audit,
        automations,
        buyers,
        claim,
        dashboard,
        health,
        operations,
        orders,
        products,
        webhooks,
    )
    from webapp.checkouts import paid, views
    from webapp.webhooks import receiver

    blueprints = (
        accounts, apps, audit, automations, buyers, claim, dashboard, health, operations, orders,
        products, webhooks, receiver, views, paid, imports,
    )  # fmt: skip
    for module in blueprints:
        app.register_blueprint(module.bp)
    apps.init_app(app)
    claim.init_app(app)
    return app


def _settings_names():
    from dataclasses import fields

    return {f.name.upper() for f in fields(Settings)} | {"APP_ENV", "FLASK_ENV"}
