"""The buyer's claim page: link Discord once, watch each action land, open the server."""

import time

import peewee
from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_dance.consumer import oauth_authorized, oauth_error

from webapp import oauth
from webapp.access import customers, repairs, switching
from webapp.claim import progress
from webapp.discord.errors import DiscordError
from webapp.models import Order, Product
from webapp.pages import render
from webapp.services import get_discord

bp = Blueprint("claim", __name__, url_prefix="/claim")
CLAIMING = "claiming_order_token"
VERIFIED = "switch_verified"  # {"customer": id, "until": epoch}: the mailed code was typed


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


@bp.route("/<token>/access")
def my_access(token):
    """My access: every order of this buyer with the seller, when each ends, the linked
    account, and Rejoin the server for one who left."""
    order = _order(token)
    if order.customer_id is None:
        return _nothing_to_link(order)
    return access_page(order.customer, rejoin_url=url_for("claim.rejoin", token=token))


def access_page(customer, rejoin_url):
    """The My access page of a buyer (from a claim link or a mailed sign-in link)."""
    orders = list(
        Order.select(Order, Product)
        .join(Product, peewee.JOIN.LEFT_OUTER)
        .where(Order.customer == customer.id)
        .order_by(Order.paid_at.desc(nulls="LAST"), Order.id.desc())
    )
    live = [o for o in orders if o.status == "active"]
    latest = (live or orders)[0]
    return render("claim/access.html", order=latest, customer=customer, orders=orders,
                  live=live, servers=progress.servers(latest), rejoin_url=rejoin_url)  # fmt: skip


@bp.route("/<token>/rejoin", methods=["POST"])
def rejoin(token):
    """The buyer left the server by accident: add them back with what their access gives."""
    order = _order(token)
    customer = order.customer
    if customer is None or not customer.discord_user_id:
        flash("Connect Discord first: then Rolegate can add you to the server.", "error")
    else:
        repairs.rejoin(customer)
        flash("Adding you back to the server with your roles. This takes a few seconds.",
              "success")  # fmt: skip
    return redirect(url_for("claim.my_access", token=order.claim_token))


def _gives_nothing(order):
    """An order that cannot be linked: not paid yet, refunded, or under a chargeback."""
    return order.customer_id is None or order.status in ("refunded", "disputed")


def _nothing_to_link(order):
    return render("claim/show.html", **progress.context(order)), 409


def _refused(order, message, status=409):
    return render("claim/switch.html", order=order, customer=order.customer,
                  refused=message, status=status)  # fmt: skip


def _verified(customer):
    mark = session.get(VERIFIED) or {}
    return mark.get("customer") == customer.id and mark.get("until", 0) > time.time()


def _to_discord(order):
    session[CLAIMING] = order.claim_token
    return oauth.authorization_redirect(oauth.buyer_blueprint(), prompt="consent")


@bp.route("/<token>/connect", methods=["POST"])
def connect(token):
    """Send the buyer to Discord to authorise `identify guilds.join` (a switch asks first)."""
    order = _order(token)
    if _gives_nothing(order):
        return _nothing_to_link(order)
    customer = order.customer
    try:
        switching.check_allowed(customer)
    except switching.SwitchRefused as exc:
        return _refused(order, str(exc))
    if switching.code_required(customer) and not _verified(customer):
        switching.send_code(customer)
        return render("claim/switch.html", order=order, customer=customer, refused=None)
    return _to_discord(order)


@bp.route("/<token>/code", methods=["POST"])
def code(token):
    """The buyer typed the code mailed to them: on to Discord to choose the new account."""
    order = _order(token)
    if _gives_nothing(order):
        return _nothing_to_link(order)
    customer = order.customer
    try:
        switching.check_allowed(customer)
        ok = switching.verify_code(customer, request.form.get("code", ""))
    except switching.SwitchRefused as exc:
        return render("claim/switch.html", order=order, customer=customer, refused=None,
                      error=str(exc), status=400)  # fmt: skip
    if not ok:
        return render("claim/switch.html", order=order, customer=customer, refused=None,
                      error="That is not the code we mailed. Check the mail and try again.",
                      status=400)  # fmt: skip
    session[VERIFIED] = {"customer": customer.id, "until": time.time() + 600}
    return _to_discord(order)


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
    customer = order.customer
    old, old_name = customer.discord_user_id, customer.discord_username
    if old and old != str(user["id"]):
        try:
            switching.check_allowed(customer)
        except switching.SwitchRefused as exc:
            return _refused(order, str(exc))
        if switching.code_required(customer) and not _verified(customer):
            return _refused(order, "Type the code we mailed you first, then choose the "
                            "account again.", status=400)  # fmt: skip
    session.pop(VERIFIED, None)
    customers.link(customer, user, token, via_order=order, switched_from=(old, old_name))
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
