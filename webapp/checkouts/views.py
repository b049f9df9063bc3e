"""Settings → Checkouts: a seller's checkout connections, each with its endpoint, secret,
after-payment URL and event log."""

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from webapp import crypto, jobs
from webapp.audit import log as audit
from webapp.checkouts import waiting
from webapp.checkouts.forms import KEY_FORMS, GumroadAccountForm, NewCheckoutForm, SecretForm
from webapp.db import db
from webapp.models import Checkout, WebhookEvent
from webapp.models.checkouts import PROVIDERS
from webapp.pages import render
from webapp.services import settings as app_settings
from webapp.tenancy import get_owned, owned_query

bp = Blueprint("checkouts", __name__, url_prefix="/settings/checkouts")
LOG = 50
STATUS_LABELS = {"applied": "Applied", "ignored": "Ignored", "needs_attention": "Needs attention"}


@bp.before_request
@login_required
def _login():
    """Every page here is the seller's."""


def endpoint_url(checkout):
    """The URL to paste into the checkout's webhook settings."""
    return f"{app_settings().public_url.rstrip('/')}/hooks/{checkout.endpoint_id}"


def after_payment_url(checkout):
    """Where the checkout sends the buyer after paying (Stripe fills in the session id)."""
    if checkout.provider != "stripe":
        return None
    base = f"{app_settings().public_url.rstrip('/')}/paid/{checkout.endpoint_id}"
    return f"{base}?session_id={{CHECKOUT_SESSION_ID}}"


@bp.route("/")
def index():
    """Every connection, with how many events need attention."""
    checkouts = list(owned_query(Checkout).order_by(Checkout.created_at))
    return render("checkouts/index.html", checkouts=checkouts, providers=PROVIDERS)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """+ Add checkout: a name and the checkout."""
    form = NewCheckoutForm()
    if form.validate_on_submit():
        checkout = Checkout.create(seller=current_user.id, name=form.name.data.strip(),
                                   provider=form.provider.data)  # fmt: skip
        audit.record("checkout", f"Checkout “{checkout.name}” ({PROVIDERS[checkout.provider]}) added",
                     link=url_for("checkouts.show", checkout_id=checkout.id))  # fmt: skip
        flash(f"{checkout.name} added. Paste its endpoint into {PROVIDERS[checkout.provider]}, "
              "then its signing secret here.", "success")  # fmt: skip
        return redirect(url_for("checkouts.show", checkout_id=checkout.id))
    return render("checkouts/new.html", form=form, status=400 if form.errors else 200)


def _page(checkout, secret_form=None, key_form=None, status=200, account_form=None):
    events = list(
        WebhookEvent.select(WebhookEvent.id, WebhookEvent.type, WebhookEvent.status,
                            WebhookEvent.reason, WebhookEvent.received_at, WebhookEvent.order)
        .where(WebhookEvent.checkout == checkout.id)
        .order_by(WebhookEvent.received_at.desc(), WebhookEvent.id.desc())
        .limit(LOG)
    )  # fmt: skip
    return render(
        "checkouts/show.html", checkout=checkout, endpoint=endpoint_url(checkout),
        after_payment=after_payment_url(checkout), events=events, labels=STATUS_LABELS,
        provider=PROVIDERS[checkout.provider], secret_form=secret_form or SecretForm(),
        key_form=key_form or KEY_FORMS.get(checkout.provider, KEY_FORMS["stripe"])(),
        status=status,
        account_form=account_form or GumroadAccountForm(account_id=checkout.account_id),
        waiting=checkout.waiting,
    )  # fmt: skip


@bp.route("/<int:checkout_id>")
def show(checkout_id):
    """One connection."""
    return _page(get_owned(Checkout, checkout_id))


@bp.route("/<int:checkout_id>/secret", methods=["POST"])
def secret(checkout_id):
    """Save (or replace) the signing secret the provider issued."""
    checkout = get_owned(Checkout, checkout_id)
    if checkout.provider == "rolegate":
        return redirect(url_for("webhooks.settings"))
    form = SecretForm()
    if not form.validate_on_submit():
        return _page(checkout, secret_form=form, status=400)
    replaced = bool(checkout.secret)
    checkout.secret = crypto.encrypt(form.secret.data.strip())
    checkout.save(only=[Checkout.secret])
    audit.record("checkout", f"Signing secret of “{checkout.name}” {'replaced' if replaced else 'set'}",
                 link=url_for("checkouts.show", checkout_id=checkout.id))  # fmt: skip
    flash("Signing secret saved. Rolegate now accepts this checkout's events.", "success")
    return redirect(url_for("checkouts.show", checkout_id=checkout.id))


@bp.route("/<int:checkout_id>/account", methods=["POST"])
def account(checkout_id):
    """Save Gumroad's seller ID (its pings carry no signature; the URL is the secret)."""
    checkout = get_owned(Checkout, checkout_id)
    form = GumroadAccountForm()
    if checkout.provider != "gumroad" or not form.validate_on_submit():
        return _page(checkout, account_form=form, status=400)
    before = checkout.account_id
    checkout.account_id = form.account_id.data.strip()
    checkout.save(only=[Checkout.account_id])
    audit.record("checkout", f"Gumroad seller ID of “{checkout.name}” saved",
                 {"seller ID": (before or None, checkout.account_id)},
                 link=url_for("checkouts.show", checkout_id=checkout.id))  # fmt: skip
    flash("Gumroad seller ID saved. Rolegate now accepts this connection's pings.", "success")
    return redirect(url_for("checkouts.show", checkout_id=checkout.id))


@bp.route("/<int:checkout_id>/key", methods=["POST"])
def key(checkout_id):
    """Save or remove the connection's API key (Stripe's restricted key, Paddle's API key);
    events waiting for it are applied."""
    checkout = get_owned(Checkout, checkout_id)
    if checkout.provider not in KEY_FORMS:
        return _page(checkout, status=400)
    form = KEY_FORMS[checkout.provider]()
    if not form.validate_on_submit():
        return _page(checkout, key_form=form, status=400)
    value = (form.api_key.data or "").strip()
    checkout.api_key = crypto.encrypt(value) if value else ""
    checkout.save(only=[Checkout.api_key])
    applied = waiting.retry(checkout) if value else 0
    label = form.api_key.label.text
    audit.record("checkout", f"{label} of “{checkout.name}” {'saved' if value else 'removed'}",
                 link=url_for("checkouts.show", checkout_id=checkout.id))  # fmt: skip
    flash(f"{label} saved." + (f" {applied} waiting event(s) applied." if applied else "")
          if value else f"{label} removed.", "success")  # fmt: skip
    return redirect(url_for("checkouts.show", checkout_id=checkout.id))


@bp.route("/<int:checkout_id>/retry", methods=["POST"])
def retry(checkout_id):
    """Try again: apply the events that needed attention, now that the seller fixed it."""
    checkout = get_owned(Checkout, checkout_id)
    applied = waiting.retry(checkout)
    left = Checkout.get_by_id(checkout.id).waiting
    audit.record("checkout", f"Events of “{checkout.name}” needing attention tried again: "
                 f"{applied} applied, {left} left",
                 link=url_for("checkouts.show", checkout_id=checkout.id))  # fmt: skip
    flash(f"{applied} event(s) applied; {left} still need attention.",
          "success" if not left else "error")  # fmt: skip
    return redirect(url_for("checkouts.show", checkout_id=checkout.id))


@bp.route("/<int:checkout_id>/catch-up", methods=["POST"])
def catch_up(checkout_id):
    """Catch up: a job lists Stripe's events of the last 30 days and applies the missed."""
    checkout = get_owned(Checkout, checkout_id)
    if checkout.provider != "stripe" or not checkout.api_key:
        flash("Catch up needs a restricted API key that can read Events.", "error")
    else:
        jobs.enqueue_catch_up(checkout.id)
        audit.record("checkout", f"Catch up of “{checkout.name}” started (the last 30 days)",
                     link=url_for("checkouts.show", checkout_id=checkout.id))  # fmt: skip
        flash("Catching up: the events of the last 30 days that Rolegate missed are being "
              "applied; they appear in the log below.", "success")  # fmt: skip
    return redirect(url_for("checkouts.show", checkout_id=checkout.id))


@bp.route("/<int:checkout_id>/delete", methods=["POST"])
def delete(checkout_id):
    """Remove a connection (its events stay on their orders' timelines)."""
    checkout = get_owned(Checkout, checkout_id)
    if checkout.provider == "rolegate":
        flash("The Rolegate webhooks connection is your account's own endpoint; it stays.",
              "error")  # fmt: skip
        return redirect(url_for("checkouts.show", checkout_id=checkout.id))
    with db.atomic():
        checkout.delete_instance()
        audit.record(
            "checkout", f"Checkout “{checkout.name}” ({PROVIDERS[checkout.provider]}) removed"
        )
    flash(f"{checkout.name} removed: its endpoint no longer accepts events.", "success")
    return redirect(url_for("checkouts.index"))
