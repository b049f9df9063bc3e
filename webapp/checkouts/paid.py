"""The after-payment URL (SPEC §5.1): "Confirming your payment…" until the checkout's event
is in, then the claim page — also when the buyer arrives before the webhook."""

from flask import Blueprint, abort, redirect, request
from flask import url_for as _url_for

from webapp.claim.links import claim_url
from webapp.models import Checkout, Order
from webapp.pages import is_htmx, render

bp = Blueprint("paid", __name__, url_prefix="/paid")


def _order(endpoint_id, session_id):
    checkout = Checkout.get_or_none(Checkout.endpoint_id == endpoint_id)
    if checkout is None or checkout.provider != "stripe":
        # Only Stripe names the payment in the URL (an unguessable session id); an order id
        # of our own format may be guessable, so it never opens a claim page here.
        abort(404)
    if not session_id:
        return checkout, None
    order = Order.get_or_none(
        (Order.seller == checkout.seller_id) & (Order.external_id == session_id[:128])
    )
    return checkout, order


@bp.route("/<endpoint_id>")
def landing(endpoint_id):
    """Claim page at once when the order is in, else the page that waits for it."""
    session_id = request.args.get("session_id", "")
    checkout, order = _order(endpoint_id, session_id)
    if order is not None:
        return redirect(claim_url(order))
    status_url = _url_for("paid.status", endpoint_id=endpoint_id, session_id=session_id)
    return render("claim/confirming.html", status_url=status_url, known=bool(session_id))


@bp.route("/<endpoint_id>/status")
def status(endpoint_id):
    """htmx polls this; when the order is in, HX-Redirect sends the buyer to the claim page."""
    _, order = _order(endpoint_id, request.args.get("session_id", ""))
    if order is None:
        return render("claim/confirming.html", "partials/_confirming.html",
                      status_url=request.full_path, known=True)  # fmt: skip
    if is_htmx():
        response = render("claim/confirming.html", "partials/_confirming.html",
                          status_url=None, known=True)  # fmt: skip
        response.headers["HX-Redirect"] = claim_url(order)
        return response
    return redirect(claim_url(order))
