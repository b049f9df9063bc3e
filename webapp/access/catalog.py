"""Products, variants and customers as the checkout names them."""

from webapp.models import Customer, PriceVariant, Product


def get_or_create(model, where, defaults):
    """(row, created): the row matching `where`, inserted from `defaults` when missing."""
    row = model.get_or_none(where)
    if row is not None:
        return row, False
    # ON CONFLICT DO NOTHING: a request creating the same row at the same moment wins
    # without aborting our transaction (no savepoint needed); we then read its row.
    inserted = list(
        model.insert(**defaults).on_conflict_ignore().returning(model.id).tuples().execute()
    )
    if not inserted:
        return model.get(where), False
    row = model(**defaults)
    row.id = inserted[0][0]
    row._dirty.clear()
    return row, True


def product_for(seller_id, external_id, name=None):
    """The seller's product with this checkout id, created on first sight."""
    product, created = get_or_create(
        Product,
        (Product.seller == seller_id) & (Product.external_id == external_id),
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
        (PriceVariant.product == product.id) & (PriceVariant.external_id == external_id),
        {"product": product.id, "external_id": external_id, "name": name or external_id},
    )
    return variant


def customer_for(seller_id, email, name=""):
    """The seller's customer with this email, created on first sight."""
    email = email.strip().lower()
    customer, created = get_or_create(
        Customer,
        (Customer.seller == seller_id) & (Customer.email == email),
        {"seller": seller_id, "email": email, "name": name or ""},
    )
    if not created and name and not customer.name:
        customer.name = name
        customer.save(only=[Customer.name])
    return customer


def access_days(product, variant):
    """Days of access per payment: the variant's value wins over the product's."""
    if variant is not None and variant.access_days:
        return variant.access_days
    return product.access_days if product is not None else None
