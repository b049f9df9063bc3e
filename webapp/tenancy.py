"""Tenant isolation in one place: every seller-owned row is loaded through here."""

from flask import abort
from flask_login import current_user


def owned_query(model):
    """`model.select()` limited to the current seller's rows."""
    return model.select().where(model.seller == current_user.id)


def get_owned(model, row_id):
    """The current seller's `model` row with id `row_id`, or 404 (never 403: no leak)."""
    try:
        row_id = int(row_id)
    except (TypeError, ValueError):
        abort(404)
    row = owned_query(model).where(model.id == row_id).first()
    if row is None:
        abort(404)
    return row


def get_child(model, row_id, parent_field, parent):
    """The `model` row `row_id` that belongs to `parent` (itself already the seller's), or 404."""
    try:
        row_id = int(row_id)
    except (TypeError, ValueError):
        abort(404)
    row = model.get_or_none((model.id == row_id) & (parent_field == parent.id))
    if row is None:
        abort(404)
    return row
