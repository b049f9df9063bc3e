"""Login, CSRF, rate limits and security headers."""

import os

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
HTMX_CDN = "https://unpkg.com/htmx.org@2.0.11/dist/htmx.min.js"

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, swallow_errors=True)


def limits_storage_uri(redis_url):
    """The `limits` library's spelling of a Redis URL (unix sockets differ)."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://") :]
    return redis_url


def init_app(app, settings):
    """Wire Flask-Login, Flask-WTF's CSRF, flask-limiter and the headers into app."""
    from webapp.models import Seller

    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", limits_storage_uri(settings.redis_url))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "rolegate-limits")
    limiter.init_app(app)

    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_seller(cookie_id):
        seller_id, _, token = cookie_id.partition(":")
        if not seller_id.isdigit() or not token:
            return None
        return Seller.get_or_none((Seller.id == int(seller_id)) & (Seller.session_token == token))

    htmx_local = os.path.exists(os.path.join(app.static_folder, "vendor", "htmx.min.js"))
    app.config["HTMX_SRC"] = None if htmx_local else HTMX_CDN
    script_src = "'self'" if htmx_local else f"'self' {HTMX_CDN}"
    discord = settings.discord_url.rstrip("/")
    csp = "; ".join(
        [
            "default-src 'self'",
            f"script-src {script_src}",
            "style-src 'self'",
            "img-src 'self' data: https://cdn.discordapp.com",
            "connect-src 'self'",
            # Chrome applies form-action to the redirect after a POST: the OAuth hop.
            f"form-action 'self' {discord}",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if settings.session_cookie_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.endpoint and not request.endpoint.startswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
