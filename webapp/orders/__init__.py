"""Orders: search, filter, and each order's timeline."""

from flask import Blueprint
from flask_login import login_required

from webapp.models import Order
from webapp.pages import render
from webapp.tenancy import get_owned, owned_query

bp = Blueprint("orders", __name__, url_prefix="/orders")


@bp.before_request
@login_required
def _login():
    """Every page here is the seller's."""


@bp.route("/")
def index():
    """The seller's orders, newest first."""
    orders = owned_query(Order).order_by(Order.created_at.desc()).limit(50)
    return render("orders/index.html", orders=list(orders))


@bp.route("/<order_id>")
def show(order_id):
    """One order's timeline."""
    order = get_owned(Order, order_id)
    return render("orders/show.html", order=order)
