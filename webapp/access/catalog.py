"""Products, variants and customers as the checkout names them."""

from webapp.access import catalog_cache
from webapp.models import Customer, Product, lookups


def get_or_create(lookup, insert, values, defaults, insert_first=False, cache=None):
    """(row, created): the row `lookup` finds for `values`, inserted from `defaults` when
    missing. `insert_first` when a new row is the likely case (one round trip less);
    `cache` = (kind, seller id) reads through `catalog_cache`."""
    if not insert_first:

        def find():
            return lookup.first(*values)

        row = catalog_cache.read(*cache, values, find) if cache else find()
        if row is not None:
            return row, False
    # ON CONFLICT DO NOTHING: a request creating the same row at the same moment wins
    # without aborting our transaction (no savepoint needed); we then read its row.
    row = insert.model(**defaults)
    if insert.save_new(row).id is None:
        return lookup.first(*values), False
    return row, True


def product_for(seller_id, external_id, name=None):
    """The seller's product with this checkout id, created on first sight."""
    product, created = get_or_create(
        lookups.product_by_external_id,
        lookups.new_product,
        (seller_id, external_id),
        {"seller": seller_id, "external_id": external_id, "name": name or external_id},
        cache=("product", seller_id),
    )
    if not created and name and product.name == product.external_id and name != product.name:
        # The found row may be shared (catalog_cache): name a copy.
        Product.update(name=name).where(Product.id == product.id).execute()
        product = Product(**{**product.__data__, "name": name})
    return product


def variant_for(product, external_id, name=None):
    """The product's price variant with this checkout id, created on first sight."""
    if not external_id:
        return None
    variant, _ = get_or_create(
        lookups.variant_by_external_id,
        lookups.new_variant,
        (product.id, external_id),
        {"product": product.id, "external_id": external_id, "name": name or external_id},
        cache=("variant", product.seller_id),
    )
    return variant


def customer_for(seller_id, email, name=""):
    """(customer, created): the seller's customer with this email, created on first sight."""
    email = email.strip().lower()
    customer, created = get_or_create(
        lookups.customer_by_email, lookups.new_customer, (seller_id, email),
        {"seller": seller_id, "email": email, "name": name or ""},
        insert_first=True,  # most payments are of new buyers
    )  # fmt: skip
    if not created and name and not customer.name:
        customer.name = name
        customer.save(only=[Customer.name])
    return customer, created


def access_days(product, variant):
    """Days of access per payment: the variant's value wins over the product's."""
    if variant is not None and variant.access_days:
        return variant.access_days
    return product.access_days if product is not None else None
