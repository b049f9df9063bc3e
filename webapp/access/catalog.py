"""Products, variants and customers as the checkout names them."""

import peewee

from webapp.models import Customer, PriceVariant, Product


def _get_or_create(model, where, defaults):
    row = model.get_or_none(where)
    if row is not None:
        return row, False
    try:
        with model._meta.database.atomic():
            return model.create(**defaults), True
    except peewee.IntegrityError:
        # Another request created it between our read and our insert.
        return model.get(where), False


def product_for(seller_id, external_id, name=None):
    """The seller's product with this checkout id, created on first sight."""
    product, created = _get_or_create(
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
    variant, _ = _get_or_create(
        PriceVariant,
        (PriceVariant.product == product.id) & (PriceVariant.external_id == external_id),
        {"product": product.id, "external_id": external_id, "name": name or external_id},
    )
    return variant


def customer_for(seller_id, email, name=""):
    """The seller's customer with this email, created on first sight."""
    email = email.strip().lower()
    customer, created = _get_or_create(
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
