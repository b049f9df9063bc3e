"""Orders: search, filter, and each order's live timeline with the seller's controls."""

import csv
import io
from datetime import UTC, datetime, timedelta

import peewee
from flask import Blueprint, Response, flash, redirect, request, stream_with_context, url_for
from flask_login import current_user, login_required

from webapp import spreadsheet
from webapp.access import events, outbox
from webapp.audit import log as audit
from webapp.automations.domain import LABELS
from webapp.claim.links import claim_url
from webapp.db import db, utcnow
from webapp.models import Action, Customer, Order, PriceVariant, Product
from webapp.orders import timeline
from webapp.pages import render
from webapp.tenancy import get_child, get_owned

bp = Blueprint("orders", __name__, url_prefix="/orders")
PAGE = 50
FILTERS = {
    "": "All orders",
    "active": "Active",
    "ending": "Ending in the next 7 days",
    "ended": "Ended",
    "refunded": "Refunded",
    "failed": "With a failed action",
}


@bp.before_request
@login_required
def _login():
    """Every page here is the seller's."""


def search(seller_id, q="", status="", before=None, after=None):
    """The seller's orders matching q (email or order id) and the filter.

    Newest first, pages by `before` (an order id); "ending" lists the soonest end first,
    pages by `after` (the last row's (access_ends_at, id)), which its index serves in order.
    """
    query = _matching(seller_id, q, status)
    if status == "ending":
        if after:
            ends, order_id = after
            query = query.where(
                (Order.access_ends_at > ends)
                | ((Order.access_ends_at == ends) & (Order.id > order_id))
            )
        return query.order_by(Order.access_ends_at, Order.id).limit(PAGE + 1)
    if before:
        query = query.where(Order.id < before)
    return query.order_by(Order.id.desc()).limit(PAGE + 1)


def _matching(seller_id, q, status):
    query = (
        Order.select(Order, Customer, Product)
        .join(Customer, join_type=peewee.JOIN.LEFT_OUTER, on=(Order.customer == Customer.id))
        .switch(Order)
        .join(Product, join_type=peewee.JOIN.LEFT_OUTER, on=(Order.product == Product.id))
        .where(Order.seller == seller_id)
    )
    q = q.strip()
    if q:
        if "@" in q:
            query = query.where(Order.customer.in_(_customers_by_email_prefix(seller_id, q)))
        else:
            query = query.where(Order.external_id.startswith(q))
    now = utcnow()
    if status == "active":
        query = query.where(Order.status == "active")
    elif status == "ending":
        query = query.where(
            (Order.status == "active")
            & (Order.access_ends_at.between(now, now + timedelta(days=7)))
        )
    elif status == "ended":
        query = query.where(Order.status == "expired")
    elif status == "refunded":
        query = query.where(Order.status == "refunded")
    elif status == "failed":
        query = query.where(Order.id.in_(Action.select(Action.order).where(
            (Action.seller == seller_id) & (Action.status == "failed"))))  # fmt: skip
    return query


EXPORT_COLUMNS = ("order id", "status", "source", "buyer email", "Discord user id", "product",
                  "variant", "paid at (UTC)", "access ends (UTC)", "ended at (UTC)",
                  "why it ends")  # fmt: skip


def export_rows(seller_id, q="", status="", batch=1000):
    """Every matching order as CSV lines, newest first, a batch at a time (constant memory)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    yield out.getvalue()
    before = None
    while True:
        query = (
            _matching(seller_id, q, status)
            .switch(Order)
            .join(PriceVariant, peewee.JOIN.LEFT_OUTER, on=(Order.variant == PriceVariant.id))
            .select(Order.id, Order.external_id, Order.status, Order.source, Customer.email,
                    Customer.discord_user_id, Product.name.alias("product"),
                    PriceVariant.name.alias("variant"), Order.paid_at, Order.access_ends_at,
                    Order.ended_at, Order.end_reason)
        )  # fmt: skip
        if before:
            query = query.where(Order.id < before)
        rows = list(query.order_by(Order.id.desc()).limit(batch).dicts())
        if not rows:
            return
        out.seek(0)
        out.truncate()
        for o in rows:
            writer.writerow([spreadsheet.cell(str(v)) for v in (
                o["external_id"], o["status"], o["source"], o["email"] or "",
                o["discord_user_id"] or "", o["product"] or "", o["variant"] or "",
                _stamp(o["paid_at"]), _stamp(o["access_ends_at"]), _stamp(o["ended_at"]),
                o["end_reason"] or "")])  # fmt: skip
        yield out.getvalue()
        before = rows[-1]["id"]


def _stamp(moment):
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


@bp.route("/export.csv")
def export():
    """The orders of the current search and filter as CSV, streamed."""
    q, status = request.args.get("q", ""), request.args.get("status", "")
    status = status if status in FILTERS else ""
    return Response(
        stream_with_context(export_rows(current_user.id, q, status)), mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="rolegate-orders.csv"'},
    )  # fmt: skip


def _after(value):
    """The "ending" cursor `<epoch microseconds>-<order id>`, or None when absent or bad."""
    try:
        micros, order_id = (int(part) for part in (value or "").split("-"))
        return datetime.fromtimestamp(micros / 1e6, UTC), order_id
    except (ValueError, OverflowError, OSError):
        return None


def _cursor(order):
    return f"{round(order.access_ends_at.timestamp() * 1e6)}-{order.id}"


def _customers_by_email_prefix(seller_id, prefix):
    """Ids of the seller's customers whose email starts with `prefix` (emails are lowercase).

    Both databases read the few matching customers through an index, then their orders,
    instead of every order of the seller: SQLite through a byte-wise range on (seller,
    email) — exact under its BINARY collation — with `startswith`; PostgreSQL through a
    case-sensitive LIKE, which its `varchar_pattern_ops` index (m0005) serves under any
    collation.
    """
    prefix = prefix.lower()
    if isinstance(db.obj, peewee.SqliteDatabase):
        matching = (
            Customer.email.startswith(prefix)
            & (Customer.email >= prefix)
            & (Customer.email < prefix + "\U0010ffff")
        )
    else:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matching = peewee.Expression(Customer.email, "LIKE", escaped + "%")
    return Customer.select(Customer.id).where((Customer.seller == seller_id) & matching)


@bp.route("/")
def index():
    """Search and filter orders (htmx: only the results are swapped)."""
    q, status = request.args.get("q", ""), request.args.get("status", "")
    status = status if status in FILTERS else ""
    before = request.args.get("before", type=int)
    after = _after(request.args.get("after"))
    rows = list(search(current_user.id, q, status, before, after))
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    older = None
    if more:
        page = {"after": _cursor(rows[-1])} if status == "ending" else {"before": rows[-1].id}
        older = url_for("orders.index", q=q, status=status, **page)
    return render(
        "orders/index.html", "partials/_order_rows.html", orders=rows, q=q, shown=status,
        filters=FILTERS, more_url=older, more_label="Later endings" if status == "ending"
        else "Older orders",
    )  # fmt: skip


def _context(order):
    return {
        "order": order,
        "entries": timeline.entries(order),
        "working": timeline.working(order),
        "claim_url": claim_url(order),
        "end_reasons": timeline.END_REASONS,
        "role_names": timeline.role_names(order),
        "now": utcnow(),
    }


@bp.route("/<order_id>")
def show(order_id):
    """One order's timeline; the htmx partial polls itself while work runs."""
    order = get_owned(Order, order_id)
    return render("orders/show.html", "partials/_order_timeline.html", **_context(order))


@bp.route("/<order_id>/end", methods=["POST"])
def end_now(order_id):
    """End the order's access now: its “Access ended” automations run."""
    order = get_owned(Order, order_id)
    if events.end_access_now(order):
        audit.record("access", f"Access of order {order.external_id} ended by hand",
                     link=url_for("orders.show", order_id=order.id))  # fmt: skip
        flash("Access ended. The “Access ended” automations are running.", "success")
    else:
        flash("This order's access has already ended.", "info")
    return redirect(url_for("orders.show", order_id=order.id))


@bp.route("/<order_id>/extend", methods=["POST"])
def extend(order_id):
    """Give more days of access."""
    order = get_owned(Order, order_id)
    days = request.form.get("days", type=int)
    if not days or not 1 <= days <= 3650:
        flash("Enter a number of days between 1 and 3650.", "error")
    else:
        try:
            extended = events.extend_access(order, days)
        except ValueError as exc:
            flash(str(exc), "error")
        else:
            audit.record("access", f"Access of order {order.external_id} extended by {days} days",
                         {"access ends": (_when(order.access_ends_at), _when(extended.access_ends_at))},
                         link=url_for("orders.show", order_id=order.id))  # fmt: skip
            flash(f"Access extended by {days} days.", "success")
    return redirect(url_for("orders.show", order_id=order.id))


@bp.route("/<order_id>/actions/<action_id>/retry", methods=["POST"])
def retry(order_id, action_id):
    """Run a failed action again."""
    order = get_owned(Order, order_id)
    action = get_child(Action, action_id, Action.order, order)
    if outbox.retry(action):
        audit.record("access", f"Failed action “{LABELS.get(action.kind, action.kind)}” of order "
                     f"{order.external_id} retried",
                     link=url_for("orders.show", order_id=order.id))  # fmt: skip
        flash("Retrying. Watch the timeline.", "success")
    else:
        flash("Only failed actions can be retried.", "info")
    return redirect(url_for("orders.show", order_id=order.id))


def _when(moment):
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else None
