"""The buyer's claim page: link Discord once, watch each action land, open the server."""

from flask import Blueprint, abort, flash, redirect, session, url_for
from flask_dance.consumer import oauth_authorized, oauth_error

from webapp import oauth
from webapp.access import customers
from webapp.claim import progress
from webapp.discord.errors import DiscordError
from webapp.models import Order
from webapp.pages import render
from webapp.services import get_discord

bp = Blueprint("claim", __name__, url_prefix="/claim")
CLAIMING = "claiming_order_token"


def _order(token):
    order = Order.get_or_none(Order.claim_token == token)
    if order is None:
        abort(404)
    return order


@bp.route("/<token>")
def show(token):
    """What the buyer bought, where, and the progress of every action."""
    order = _order(token)
    return render("claim/show.html", "partials/_claim_progress.html", **progress.context(order))


def _gives_nothing(order):
    """An order that cannot be linked: not paid yet, refunded, or under a chargeback."""
    return order.customer_id is None or order.status in ("refunded", "disputed")


def _nothing_to_link(order):
    return render("claim/show.html", **progress.context(order)), 409


@bp.route("/<token>/connect", methods=["POST"])
def connect(token):
    """Send the buyer to Discord to authorise `identify guilds.join`."""
    order = _order(token)
    if _gives_nothing(order):
        return _nothing_to_link(order)
    session[CLAIMING] = order.claim_token
    return oauth.authorization_redirect(oauth.buyer_blueprint(), prompt="consent")


def _claiming_order():
    token = session.pop(CLAIMING, None)
    if token is None:
        abort(404)
    return _order(token)


def on_buyer_authorized(blueprint, token):
    """Discord sent the buyer's token: learn who they are, link, and run what waited."""
    order = _claiming_order()
    if _gives_nothing(order):
        return _nothing_to_link(order)
    try:
        user = get_discord().get_current_user(token["access_token"])
    except DiscordError as exc:
        flash(exc.buyer_message, "error")
        return redirect(url_for("claim.show", token=order.claim_token))
    customers.link(order.customer, user, token)
    flash(f"Linked to your Discord account {user.get('username', '')}.", "success")
    return redirect(url_for("claim.show", token=order.claim_token))


def on_buyer_error(blueprint, error, error_description=None, error_uri=None):
    """The buyer cancelled on Discord, or Discord refused."""
    order = _claiming_order()
    if error == "access_denied":
        flash("You cancelled on Discord. Press “Connect Discord” when you are ready.", "info")
    else:
        flash("Discord could not authorise your account. Please try again.", "error")
    return redirect(url_for("claim.show", token=order.claim_token))


def init_app(app):
    """Listen to the buyer OAuth blueprint's signals."""
    buyer = app.extensions["discord_oauth"]
    oauth_authorized.connect(on_buyer_authorized, sender=buyer, weak=False)
    oauth_error.connect(on_buyer_error, sender=buyer, weak=False)
