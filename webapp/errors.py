"""Error pages: said in words, never a stack trace."""

from flask import jsonify, request
from flask_wtf.csrf import CSRFError

from webapp.pages import render

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    404: ("Not found", "There is nothing here, or it belongs to another account."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "The request is larger than Rolegate accepts."),
    429: ("Too many attempts", "Too many attempts in a short time. Wait a minute and try again."),
    500: ("Something went wrong", "An unexpected error happened. It was logged; try again."),
}


def _wants_json():
    return request.path.startswith(("/hooks/", "/healthz", "/api/"))


def error_page(status, title=None, message=None):
    """An error answer as JSON for machine routes, else as a page."""
    default_title, default_message = MESSAGES.get(status, MESSAGES[500])
    title, message = title or default_title, message or default_message
    if _wants_json():
        return jsonify(error=message), status
    return render("error.html", "partials/_error.html", status=status, title=title, message=message)


def init_app(app):
    """Register handlers for HTTP errors and CSRF failures."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_page(
            400,
            "Form expired",
            "This form was open too long or came from elsewhere (CSRF check failed). "
            "Reload the page and try again.",
        )

    for status in (400, 404, 405, 500):
        app.register_error_handler(status, lambda exc, s=status: error_page(s))

    @app.errorhandler(413)
    def too_large(exc):
        if request.endpoint == "imports.upload":
            return error_page(413, message="The CSV file is far larger than Rolegate imports "
                              "(up to 10 MB, about 100,000 members). Split it and import each "
                              "part.")  # fmt: skip
        return error_page(413)

    @app.errorhandler(429)
    def too_many(exc):
        return error_page(
            429,
            message=f"Too many attempts ({exc.description}). Wait a little and try again.",
        )
