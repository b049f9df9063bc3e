"""Sign up, log in, log out, change password."""

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.accounts import domain
from webapp.accounts.forms import LoginForm, PasswordForm, SignupForm
from webapp.audit import log as audit
from webapp.pages import render
from webapp.security import limiter
from webapp.services import settings

bp = Blueprint("accounts", __name__)


def _login_limit():
    return settings().login_rate_limit


def _signup_limit():
    return settings().signup_rate_limit


def _safe_next(target):
    """Only same-site paths, so `next` cannot send a seller elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.overview")


def _start_session(seller, remember=False):
    # A fresh session at login: nothing from before survives (session fixation).
    session.clear()
    login_user(seller, remember=remember)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup():
    """Create an account and go to the dashboard."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.overview"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            seller = domain.create_seller(form.email.data, form.password.data)
        except domain.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            _start_session(seller)
            flash("Welcome to Rolegate! Connect your Discord server to start.", "success")
            return redirect(url_for("dashboard.overview"))
    return render("accounts/signup.html", form=form, status=422 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Log in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.overview"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        seller = domain.authenticate(form.email.data, form.password.data)
        if seller is None:
            error = "That email and password do not match an account."
        else:
            _start_session(seller, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else (422 if form.errors else 200)
    return render("accounts/login.html", form=form, error=error, status=status)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST, with CSRF)."""
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/settings/account", methods=["GET", "POST"])
@login_required
def account():
    """Account settings: change the password."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            domain.change_password(current_user, form.current.data, form.new.data)
        except domain.AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            _start_session(current_user._get_current_object())
            audit.record("account", "Password changed; other devices logged out")
            flash("Password changed. Other devices were logged out.", "success")
            return redirect(url_for("accounts.account"))
    from webapp.services import settings

    buyers_url = f"{settings().public_url.rstrip('/')}/buyers/{current_user.public_id}"
    return render("accounts/account.html", form=form, buyers_url=buyers_url,
                  status=422 if form.errors else 200)  # fmt: skip
