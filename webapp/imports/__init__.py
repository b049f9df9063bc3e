"""Import members (a product's page): upload a CSV, see what will happen, confirm."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from webapp.audit import log as audit
from webapp.imports import csvfile, domain
from webapp.models import MemberImport, Product, Seller
from webapp.pages import render
from webapp.tenancy import get_child, get_owned

bp = Blueprint("imports", __name__, url_prefix="/products/<product_id>/imports")
# Read this much of an upload, so a file over the limit is refused in words next to the
# field, not by a bare 413 (which still answers anything larger).
UPLOAD_LIMIT = 3 * csvfile.MAX_BYTES


@bp.before_request
@login_required
def _login():
    """Every page here is the seller's."""


def init_app(app):
    """Let uploads to this page be larger than other requests; registered before the CSRF
    check, which reads the body."""

    @app.before_request
    def _larger_uploads():
        if request.method == "POST" and request.endpoint == "imports.upload":
            request.max_content_length = UPLOAD_LIMIT


@bp.route("", methods=["POST"])
def upload(product_id):
    """Read the file and store its lines; the check runs as a job."""
    product = get_owned(Product, product_id)
    sent = request.files.get("file")
    raw = sent.read() if sent else b""
    try:
        if not sent or not sent.filename:
            raise csvfile.FileError("Choose the CSV file to import.")
        imp = domain.create(Seller.get_by_id(current_user.id), product, sent.filename, raw)
    except csvfile.FileError as exc:
        from webapp.products import show_with

        return show_with(product, import_error=str(exc), status=400)
    audit.record("import", f"Import of {imp.rows} line(s) into “{product.name}” uploaded "
                 f"({imp.filename})", link=url_for("imports.show", product_id=product.id,
                                                   import_id=imp.id))  # fmt: skip
    return redirect(url_for("imports.show", product_id=product.id, import_id=imp.id))


def _import(product_id, import_id):
    product = get_owned(Product, product_id)
    return product, get_child(MemberImport, import_id, MemberImport.product, product)


@bp.route("/<import_id>")
def show(product_id, import_id):
    """The import: its check, what it will do, its progress (htmx polls while a job runs)."""
    product, imp = _import(product_id, import_id)
    return render("imports/show.html", "partials/_import_progress.html", product=product,
                  imp=imp, summary=domain.summary(imp), stalled=domain.stalled(imp),
                  role_names={r["id"]: r["name"] for a in domain.automations_of(product)
                              for r in a.app.roles})  # fmt: skip


@bp.route("/<import_id>/confirm", methods=["POST"])
def confirm(product_id, import_id):
    """The seller read the preview: import the OK lines."""
    product, imp = _import(product_id, import_id)
    if domain.confirm(imp):
        audit.record("import", f"Import into “{product.name}” confirmed: {imp.ok} member(s)",
                     link=url_for("imports.show", product_id=product.id, import_id=imp.id))  # fmt: skip
    else:
        flash("This import cannot be confirmed now.", "error")
    return redirect(url_for("imports.show", product_id=product.id, import_id=imp.id))


@bp.route("/<import_id>/resume", methods=["POST"])
def resume(product_id, import_id):
    """A job stopped without finishing: queue it again."""
    product, imp = _import(product_id, import_id)
    if domain.stalled(imp):
        domain.resume(imp)
        flash("The import goes on from where it stopped.", "success")
    return redirect(url_for("imports.show", product_id=product.id, import_id=imp.id))
