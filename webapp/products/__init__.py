"""Products and price variants, with when access ends and what happens then."""

import peewee
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from webapp.access import events
from webapp.audit import log as audit
from webapp.automations import domain as automations
from webapp.db import db
from webapp.messages import outbox as buyer_messages
from webapp.models import App, MemberImport, PriceVariant, Product, Seller
from webapp.pages import render
from webapp.products.forms import (
    DAYS_HELP,
    ManualAccessForm,
    MessagesForm,
    ProductForm,
    VariantForm,
)
from webapp.tenancy import get_child, get_owned, owned_query

bp = Blueprint("products", __name__, url_prefix="/products")


@bp.before_request
@login_required
def _login():
    """Every page here is the seller's."""


@bp.route("/")
def index():
    """Every product of the seller, with its access rule."""
    products = owned_query(Product).order_by(Product.name)
    return render("products/index.html", products=list(products))


FIELDS = ("name", "external_id", "access_days")
VARIANT_FIELDS = ("name", "external_id", "access_days")


def _save(form, product):
    before = audit.snapshot(product, FIELDS) if product.id else dict.fromkeys(FIELDS)
    product.name = form.name.data.strip()
    product.external_id = form.external_id.data.strip()
    product.access_days = form.access_days.data
    try:
        with db.atomic():
            product.save()
    except peewee.IntegrityError:
        form.external_id.errors.append("Another product already has this checkout id.")
        return False
    if changes := audit.changed(before, product, FIELDS):
        new = all(v is None for v in before.values())
        audit.record("product", f"Product “{product.name}” {'created' if new else 'changed'}",
                     changes, link=url_for("products.show", product_id=product.id))  # fmt: skip
    return True


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create a product by hand (products also appear when an order names one)."""
    form = ProductForm()
    if form.validate_on_submit():
        product = Product(seller=current_user.id)
        if _save(form, product):
            flash(f"Product “{product.name}” created.", "success")
            return redirect(url_for("products.show", product_id=product.id))
    return render(
        "products/new.html", form=form, days_help=DAYS_HELP, status=422 if form.errors else 200
    )


@bp.route("/<product_id>", methods=["GET", "POST"])
def show(product_id):
    """A product's settings, variants and automations."""
    product = get_owned(Product, product_id)
    form = ProductForm(obj=product)
    if form.validate_on_submit() and _save(form, product):
        flash("Saved.", "success")
        return redirect(url_for("products.show", product_id=product.id))
    return _page(product, form=form, variant_form=VariantForm(formdata=None))


def show_with(product, import_error="", status=None):
    """The product page with an error said next to the import's file field."""
    return _page(product, ProductForm(obj=product, formdata=None), VariantForm(formdata=None),
                 status=status, import_error=import_error)  # fmt: skip


def _page(product, form, variant_form, status=None, access_form=None, import_error="",
          messages_form=None):  # fmt: skip
    access_form = access_form or ManualAccessForm(formdata=None)
    messages_form = messages_form or MessagesForm(obj=product, formdata=None)
    errors = form.errors or variant_form.errors or access_form.errors or messages_form.errors
    return render(
        "products/show.html",
        product=product,
        form=form,
        variant_form=variant_form,
        access_form=access_form,
        messages_form=messages_form,
        previews={
            k: buyer_messages.preview(product, k) for k in ("reminder", "welcome", "payment_failed")
        },
        placeholders=", ".join(f"{{{k}}}" for k in buyer_messages.PLACEHOLDERS),
        import_error=import_error,
        imports=list(product.imports.order_by(MemberImport.id.desc()).limit(5)),
        variants=list(product.variants.order_by(PriceVariant.name)),
        automations=automations.for_product(product),
        missing_undo=automations.missing_undo(product),
        apps_for_new=list(owned_query(App).where(App.guild_id.is_null(False))),
        days_help=DAYS_HELP,
        status=status or (422 if errors else 200),
    )


@bp.route("/<product_id>/variants", methods=["POST"])
def add_variant(product_id):
    """Add a price variant."""
    product = get_owned(Product, product_id)
    variant_form = VariantForm()
    if variant_form.validate_on_submit():
        try:
            with db.atomic():
                variant = PriceVariant.create(
                    product=product.id,
                    name=variant_form.name.data.strip(),
                    external_id=variant_form.external_id.data.strip(),
                    access_days=variant_form.access_days.data,
                )
                audit.record("product", f"Variant “{variant.name}” added to “{product.name}”",
                             audit.changed(dict.fromkeys(VARIANT_FIELDS), variant, VARIANT_FIELDS),
                             link=url_for("products.show", product_id=product.id))  # fmt: skip
        except peewee.IntegrityError:
            variant_form.external_id.errors.append(
                "This product already has a variant with this id."
            )
        else:
            flash("Variant added.", "success")
            return redirect(url_for("products.show", product_id=product.id))
    return _page(product, ProductForm(obj=product, formdata=None), variant_form)


@bp.route("/<product_id>/variants/<variant_id>", methods=["POST"])
def edit_variant(product_id, variant_id):
    """Change a variant's access days."""
    product = get_owned(Product, product_id)
    variant = get_child(PriceVariant, variant_id, PriceVariant.product, product)
    variant_form = VariantForm(obj=variant)
    if variant_form.validate_on_submit():
        before = audit.snapshot(variant, VARIANT_FIELDS)
        variant.name = variant_form.name.data.strip()
        variant.access_days = variant_form.access_days.data
        variant.save(only=[PriceVariant.name, PriceVariant.access_days])
        if changes := audit.changed(before, variant, VARIANT_FIELDS):
            audit.record("product", f"Variant “{variant.name}” of “{product.name}” changed",
                         changes, link=url_for("products.show", product_id=product.id))  # fmt: skip
        flash(f"Variant “{variant.name}” saved.", "success")
        return redirect(url_for("products.show", product_id=product.id))
    return _page(product, ProductForm(obj=product, formdata=None), variant_form)


@bp.route("/<product_id>/add-undo", methods=["POST"])
def add_undo(product_id):
    """One click: add the expiry automations that undo this product's purchase ones."""
    product = get_owned(Product, product_id)
    created = automations.add_undo(product)
    if created:
        audit.record("automation", f"{len(created)} automation(s) added to “{product.name}” that "
                     "undo its purchase when access ends",
                     link=url_for("products.show", product_id=product.id))  # fmt: skip
    flash(f"Added {len(created)} automation(s) that undo the purchase when access ends.", "success")
    return redirect(url_for("products.show", product_id=product.id))


@bp.route("/<product_id>/access", methods=["POST"])
def give_access(product_id):
    """Give access by hand (a gift, staff, a giveaway): an order marked manual, under the
    same rules as a paid one."""
    product = get_owned(Product, product_id)
    access_form = ManualAccessForm()
    if access_form.validate_on_submit():
        email = access_form.email.data.strip()
        try:
            order = events.give_by_hand(
                Seller.get_by_id(current_user.id), product, email, days=access_form.days.data,
                discord_user_id=access_form.discord_user_id.data or None,
            )  # fmt: skip
        except ValueError as exc:
            access_form.discord_user_id.errors.append(str(exc))
        else:
            audit.record("access", f"Access to “{product.name}” given by hand to {email}",
                         {"days": (None, order.access_days or "the product's rule"),
                          "Discord user": (None, access_form.discord_user_id.data or None)},
                         link=url_for("orders.show", order_id=order.id))  # fmt: skip
            flash(f"Access to “{product.name}” given to {email}.", "success")
            return redirect(url_for("orders.show", order_id=order.id))
    return _page(product, ProductForm(obj=product, formdata=None), VariantForm(formdata=None),
                 access_form=access_form)  # fmt: skip


MESSAGE_FIELDS = ("renewal_url", "reminder_days", "reminder_by", "reminder_text",
                  "welcome_text", "payment_failed_text")  # fmt: skip


@bp.route("/<product_id>/messages", methods=["POST"])
def messages(product_id):
    """Save the product's messages to buyers, or mail the seller a test of the reminder."""
    product = get_owned(Product, product_id)
    messages_form = MessagesForm()
    if not messages_form.validate_on_submit():
        return _page(product, ProductForm(obj=product, formdata=None), VariantForm(formdata=None),
                     messages_form=messages_form)  # fmt: skip
    before = audit.snapshot(product, MESSAGE_FIELDS)
    for name in MESSAGE_FIELDS:
        value = getattr(messages_form, name).data
        setattr(product, name, value if name == "reminder_days" else (value or "").strip())
    product.save(only=[getattr(Product, n) for n in MESSAGE_FIELDS])
    if changes := audit.changed(before, product, MESSAGE_FIELDS):
        audit.record("product", f"Messages to buyers of “{product.name}” changed", changes,
                     link=url_for("products.show", product_id=product.id))  # fmt: skip
    if request.form.get("do") == "test":
        sent = buyer_messages.send_test(product, current_user.email)
        flash(f"Test reminder {'mailed' if sent else 'written to the log (SMTP_URL is not set)'} "
              f"to {current_user.email}.", "success")  # fmt: skip
    else:
        flash("Messages saved.", "success")
    return redirect(url_for("products.show", product_id=product.id) + "#messages-title")
