"""The lookups every webhook makes, as statements built once per process (`db.Statement`).

Each finds at most one row through a unique index, so none needs a LIMIT.
"""

from webapp.db import Insert, Statement
from webapp.models.accounts import Seller
from webapp.models.catalog import PriceVariant, Product
from webapp.models.checkouts import Checkout
from webapp.models.orders import Customer, Order, Subscription, WebhookEvent

# The checkout connection behind a webhook endpoint, with its seller's fields and
# `known_response`: the answer already given to this webhook-id (None when it is new).
checkout_by_endpoint = Statement(
    Checkout,
    lambda webhook_id, endpoint_id: Checkout.select(
        Checkout.id, Checkout.seller, Checkout.provider, Checkout.secret, Checkout.api_key,
        Checkout.waiting, Checkout.account_id,
        Seller.webhook_secret, Seller.webhook_previous_secret, Seller.webhook_rotated_at,
        Seller.subscription_grace_days, Seller.catalog_version,
        WebhookEvent.select(WebhookEvent.response).where(
            (WebhookEvent.seller == Checkout.seller) & (WebhookEvent.webhook_id == webhook_id)
        ).alias("known_response"),
    ).join(Seller).where(Checkout.endpoint_id == endpoint_id),
)  # fmt: skip

webhook_answer = Statement(
    WebhookEvent,
    lambda seller_id, webhook_id: WebhookEvent.select(WebhookEvent.response).where(
        (WebhookEvent.seller == seller_id) & (WebhookEvent.webhook_id == webhook_id)
    ),
)

product_by_external_id = Statement(
    Product,
    lambda seller_id, external_id: Product.select().where(
        (Product.seller == seller_id) & (Product.external_id == external_id)
    ),
)

variant_by_external_id = Statement(
    PriceVariant,
    lambda product_id, external_id: PriceVariant.select().where(
        (PriceVariant.product == product_id) & (PriceVariant.external_id == external_id)
    ),
)

customer_by_email = Statement(
    Customer,
    lambda seller_id, email: Customer.select().where(
        (Customer.seller == seller_id) & (Customer.email == email)
    ),
)

order_by_external_id = Statement(
    Order,
    lambda seller_id, external_id: Order.select().where(
        (Order.seller == seller_id) & (Order.external_id == external_id)
    ),
)

subscription_by_external_id = Statement(
    Subscription,
    lambda seller_id, external_id: Subscription.select().where(
        (Subscription.seller == seller_id) & (Subscription.external_id == external_id)
    ),
)


def _unless_there(model, *unique):
    """Insert a new row, or nothing when one with the same `unique` columns exists."""
    return Insert(
        model,
        extend=lambda query: query.on_conflict(conflict_target=unique, action="NOTHING")
        .returning(model.id),
    )  # fmt: skip


order_insert_unless_there = _unless_there(Order, Order.seller, Order.external_id)
new_product = _unless_there(Product, Product.seller, Product.external_id)
new_variant = _unless_there(PriceVariant, PriceVariant.product, PriceVariant.external_id)
new_customer = _unless_there(Customer, Customer.seller, Customer.email)
new_subscription = _unless_there(Subscription, Subscription.seller, Subscription.external_id)
webhook_event_insert = Insert(WebhookEvent)
