"""Rendering: one helper decides between a whole page and an htmx fragment."""

from flask import make_response, render_template, request


def is_htmx():
    """True for a request made by htmx (not a boosted navigation)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def render(page, partial=None, status=200, **context):
    """Render `partial` alone for htmx, else the whole `page`; Vary on HX-Request."""
    template = partial if partial and is_htmx() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def init_app(app):
    """Template globals every page uses."""
    from webapp import __version__
    from webapp.automations.domain import LABELS

    app.jinja_env.globals.update(rolegate_version=__version__, labels=LABELS)

    @app.context_processor
    def signed_in():
        from flask_login import current_user

        from webapp.services import settings

        if not current_user.is_authenticated:
            return {"is_operator": False, "seller_alerts": list}
        return {
            "is_operator": settings().is_operator(current_user.email),
            "seller_alerts": _seller_alerts,
        }

    def _seller_alerts():
        """The signed-in seller's unresolved alerts, read when a whole page asks for them
        (never for an htmx fragment's poll), once per request."""
        from flask import g
        from flask_login import current_user

        from webapp import alerts

        if "seller_alerts" not in g:
            g.seller_alerts = alerts.active(current_user.id)
        return g.seller_alerts
