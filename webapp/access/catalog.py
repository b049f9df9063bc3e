"""Products, variants and customers as the checkout names them."""

from webapp.db import Insert
from webapp.models import Customer, PriceVariant, Product, lookups


def get_or_create(model, lookup, values, defaults):
    """(row, created): the row `lookup` finds for `values`, inserted from `defaults` when
    missing."""
    row = lookup.first(*values)
    if row is not None:
        return row, False
    # ON CONFLICT DO NOTHING: a request creating the same row at the same moment wins
    # without aborting our transaction (no savepoint needed); we then read its row.
    row = model(**defaults)
    if _insert_unless_there(model).save_new(row).id is None:
        return lookup.first(*values), False
    return row, True


_inserts = {}


def _insert_unless_there(model):
    if model not in _inserts:
        _inserts[model] = Insert(
            model, extend=lambda query: query.on_conflict_ignore().returning(model.id)
        )
    return _inserts[model]


def product_for(seller_id, external_id, name=None):
    """The seller's product with this checkout id, created on first sight."""
    product, created = get_or_create(
        Product,
        lookups.product_by_external_id,
        (seller_id, external_id),
        {"seller": seller_id, "external_id": external_id, "name": name or external_id},
    )
    if not created and name and product.name == product.external_id and name != product.name:
        product.name = name
        product.save(only=[Product.name])
    return product


def variant_for(product, external_id, name=None):
    """The product's price variant with this checkout id, created on first sight."""
    if not external_id:
        return None
    variant, _ = get_or_create(
        PriceVariant,
        lookups.variant_by_external_id,
        (product.id, external_id),
        {"product": product.id, "external_id": external_id, "name": name or external_id},
    )
    return variant


def customer_for(seller_id, email, name=""):
    """(customer, created): the seller's customer with this email, created on first sight."""
    email = email.strip().lower()
    customer, created = get_or_create(
        Customer,
        lookups.customer_by_email,
        (seller_id, email),
        {"seller": seller_id, "email": email, "name": name or ""},
    )
    if not created and name and not customer.name:
        customer.name = name
        customer.save(only=[Customer.name])
    return customer, created


def access_days(product, variant):
    """Days of access per payment: the variant's value wins over the product's."""
    if variant is not None and variant.access_days:
        return variant.access_days
    return product.access_days if product is not None else None
