"""Automations of an app: create, switch on and off, delete; the live role list."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from webapp.apps import connection
from webapp.audit import log as audit
from webapp.automations import domain, live
from webapp.automations.forms import NEW_ROLE, AutomationForm
from webapp.models import App, Automation, Product
from webapp.pages import is_htmx, render
from webapp.services import get_discord
from webapp.tenancy import get_child, get_owned, owned_query

bp = Blueprint("automations", __name__, url_prefix="/apps/<app_id>/automations")


@bp.before_request
@login_required
def _login():
    """Every page here is the seller's."""


def _products():
    return list(owned_query(Product).order_by(Product.name))


@bp.route("/new", methods=["GET", "POST"])
def new(app_id):
    """Attach an automation to the app (for one product or any)."""
    app = get_owned(App, app_id)
    form = AutomationForm().fill(_products(), app)
    if request.method == "GET" and request.args.get("product"):
        form.product.data = request.args["product"]
    if form.validate_on_submit():
        try:
            automation = _create(app, form)
        except domain.AutomationError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            connection.report(app)
            audit.record("automation", f"Automation added in “{app.name}”: {_describe(automation)}"
                         f" ({_for(automation)})", _settings(automation, None),
                         link=url_for("apps.show", app_id=app.id))  # fmt: skip
            flash(f"Automation saved: {_describe(automation)}.", "success")
            if live.applies(automation) and live.live_orders(automation).exists():
                return redirect(url_for("automations.live_orders", app_id=app.id,
                                        automation_id=automation.id))  # fmt: skip
            if form.product.data:
                return redirect(url_for("products.show", product_id=form.product.data))
            return redirect(url_for("apps.show", app_id=app.id))
    return render("automations/new.html", app=app, form=form, status=422 if form.errors else 200)


def _create(app, form):
    product = get_owned(Product, form.product.data) if form.product.data else None
    role_id = form.role.data if form.action.data in domain.ROLE_ACTIONS else None
    if role_id == NEW_ROLE:
        name = (form.new_role_name.data or "").strip()
        if not name:
            raise domain.AutomationError("new_role_name", "Name the new role.")
        role_id = domain.create_role(app, get_discord(), name)["id"]
    role = domain.validate(app, form.event.data, form.action.data, role_id)
    return Automation.create(
        seller=current_user.id,
        app=app.id,
        product=product.id if product else None,
        event=form.event.data,
        action=form.action.data,
        role_id=role_id,
        role_name=role["name"] if role else "",
        enabled=form.enabled.data,
        give_back=form.give_back.data,
    )


def _for(a):
    return f"for “{a.product.name}”" if a.product_id else "for every product"


def _settings(after, before):
    """An automation's settings as audit changes: (None, value) created, (value, None) gone."""
    shown = after or before
    values = {"when": domain.LABELS[shown.event], "do": domain.LABELS[shown.action],
              "role": shown.role_name or None, "on": shown.enabled,
              "give it back if removed": shown.give_back}  # fmt: skip
    return {k: (None, v) if after else (v, None) for k, v in values.items()}


def _describe(a):
    role = f" “{a.role_name}”" if a.role_name else ""
    return f"{domain.LABELS[a.event]} → {domain.LABELS[a.action]}{role}"


@bp.route("/roles")
def roles(app_id):
    """The role picker, from the server's live role list (htmx)."""
    app = get_owned(App, app_id)
    if app.guild_id:
        connection.refresh(app, get_discord())
    form = AutomationForm(formdata=None).fill([], app)
    return render("automations/new.html", "partials/_role_picker.html", app=app, form=form)


@bp.route("/<automation_id>/toggle", methods=["POST"])
def toggle(app_id, automation_id):
    """Switch an automation on or off (htmx: the row replaces itself)."""
    app = get_owned(App, app_id)
    automation = get_child(Automation, automation_id, Automation.app, app)
    automation.enabled = not automation.enabled
    automation.save(only=[Automation.enabled])
    connection.report(app)
    note = _switched_note(automation)
    audit.record("automation", f"Automation {'switched on' if automation.enabled else 'switched off'}"
                 f" in “{app.name}”: {_describe(automation)} ({_for(automation)})",
                 {"on": (not automation.enabled, automation.enabled)},
                 link=url_for("apps.show", app_id=app.id))  # fmt: skip
    if not is_htmx():
        if note:
            flash(note, "info")
        return redirect(url_for("apps.show", app_id=app.id))
    return render("partials/_automation_row.html", app=app, automation=automation, note=note)


def _switched_note(automation):
    """What switching a purchase automation means for the members with live access."""
    if not live.applies(automation):
        return ""
    if automation.enabled:
        return ("On again: new orders get it. Members who paid while it was off do not; add it "
                "anew to offer it to them.")  # fmt: skip
    count = live.holders(automation).count()
    if not count:
        return ""
    return (
        f"Off: new orders no longer get it. The {count} member(s) who have it keep it; it "
        "is taken when their access ends only if an “Access ended” automation says so."
    )


@bp.route("/<automation_id>/live", methods=["GET", "POST"])
def live_orders(app_id, automation_id):
    """A purchase automation was added to a product with live orders: give it to them too?"""
    app = get_owned(App, app_id)
    automation = get_child(Automation, automation_id, Automation.app, app)
    if request.method == "POST":
        if request.form.get("choice") == "give" and automation.enabled:
            if live.progress(automation.id) is None:  # a second click gives nothing more
                live.start_giving(automation)
                audit.record("automation", f"Automation given to the members with live access "
                             f"in “{app.name}”: {_describe(automation)} ({_for(automation)})",
                             link=url_for("apps.show", app_id=app.id))  # fmt: skip
            return redirect(url_for("automations.live_orders", app_id=app.id,
                                    automation_id=automation.id))  # fmt: skip
        else:
            flash("Only new orders get it; the members with live access keep what they have.",
                  "info")  # fmt: skip
            return redirect(url_for("apps.show", app_id=app.id))
    return render("automations/live.html", "partials/_give_progress.html", app=app,
                  automation=automation, description=_describe(automation), scope=_for(automation),
                  preview=live.preview(automation), progress=live.progress(automation.id))  # fmt: skip


@bp.route("/<automation_id>/delete", methods=["POST"])
def delete(app_id, automation_id):
    """Delete an automation; what it already did stays recorded on the orders."""
    app = get_owned(App, app_id)
    automation = get_child(Automation, automation_id, Automation.app, app)
    when = request.form.get("roles", "")
    holding = live.holders(automation).count() if live.applies(automation) else 0
    if holding and when not in live.WHEN:
        refused = bool(when or request.form.get("confirming"))  # the question was answered wrong
        return render("automations/delete.html", app=app, automation=automation,
                      description=_describe(automation), scope=_for(automation), holding=holding,
                      refused=refused, status=422 if refused else 200)  # fmt: skip
    changes = _settings(None, automation)
    if holding:
        live.withdraw(automation, when)
        changes["members who had it"] = (holding, f"lose it {live.WHEN[when]}")
    automation.delete_instance()
    connection.report(app)
    audit.record("automation", f"Automation deleted in “{app.name}”: {_describe(automation)} "
                 f"({_for(automation)})", changes,
                 link=url_for("apps.show", app_id=app.id))  # fmt: skip
    flash("Automation deleted." + (f" The {holding} member(s) who had it lose it "
                                   f"{live.WHEN[when]}." if holding else ""), "info")  # fmt: skip
    return redirect(url_for("apps.show", app_id=app.id))
