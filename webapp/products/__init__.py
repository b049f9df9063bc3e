"""Products and price variants."""

from flask import Blueprint
from flask_login import login_required

from webapp.models import Product
from webapp.pages import render
from webapp.tenancy import owned_query

bp = Blueprint("products", __name__, url_prefix="/products")


@bp.before_request
@login_required
def _login():
    """Every page here is the seller's."""


@bp.route("/")
def index():
    """Every product of the seller."""
    products = owned_query(Product).order_by(Product.name)
    return render("products/index.html", products=list(products))
