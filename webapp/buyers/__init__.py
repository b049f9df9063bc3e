"""My access for buyers without their claim link: the seller's page (/buyers/<public_id>)
mails a sign-in link to the email of their orders — single use, 15 minutes — and shows
what the claim link's My access shows (SPEC §12)."""

from flask import Blueprint, abort, flash, redirect, request, session, url_for

from webapp.access import repairs
from webapp.buyers import signin
from webapp.claim import access_page
from webapp.models import Customer, Seller
from webapp.pages import render
from webapp.security import limiter

bp = Blueprint("buyers", __name__, url_prefix="/buyers/<public_id>")
SIGNED_IN = "buyer"  # {"seller": id, "customer": id}


def _seller(public_id):
    seller = Seller.get_or_none(Seller.public_id == public_id)
    if seller is None:
        abort(404)
    return seller


def _signed_in(seller):
    mark = session.get(SIGNED_IN) or {}
    if mark.get("seller") != seller.id:
        return None
    return Customer.get_or_none(
        (Customer.id == mark.get("customer")) & (Customer.seller == seller.id)
    )


@bp.route("", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"])
def start(public_id):
    """Ask for a sign-in link by email (the answer never says whether the email is known)."""
    seller = _seller(public_id)
    sent = False
    error = ""
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()
        if "@" not in email or len(email) > 254:
            error = "Enter the email address you bought with."
        else:
            signin.send_link(seller, email)
            sent = True
    return render("buyers/start.html", seller=seller, sent=sent, error=error,
                  status=400 if error else 200)  # fmt: skip


@bp.route("/in/<token>", methods=["GET", "POST"])
def enter(public_id, token):
    """The mailed link: once, within 15 minutes. Opening it shows a button; the press signs
    in (a mail scanner that follows links must not spend the link)."""
    seller = _seller(public_id)
    if request.method == "GET":
        return render("buyers/enter.html", seller=seller)
    customer = signin.redeem(seller, token)
    if customer is None:
        return render("buyers/start.html", seller=seller, sent=False, status=400,
                      error="This sign-in link was used already or has expired. Ask for a new one.")  # fmt: skip
    session[SIGNED_IN] = {"seller": seller.id, "customer": customer.id}
    return redirect(url_for("buyers.my_access", public_id=public_id))


@bp.route("/access")
def my_access(public_id):
    """My access, for the signed-in buyer."""
    seller = _seller(public_id)
    customer = _signed_in(seller)
    if customer is None:
        return redirect(url_for("buyers.start", public_id=public_id))
    return access_page(customer, rejoin_url=url_for("buyers.rejoin", public_id=public_id))


@bp.route("/rejoin", methods=["POST"])
def rejoin(public_id):
    """Rejoin the server, for the signed-in buyer."""
    seller = _seller(public_id)
    customer = _signed_in(seller)
    if customer is None:
        abort(404)
    repairs.rejoin(customer)
    flash("Adding you back to the server with your roles. This takes a few seconds.", "success")
    return redirect(url_for("buyers.my_access", public_id=public_id))
