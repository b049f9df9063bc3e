"""The data model of SPEC §3, one module per part of the domain."""

from webapp.models.accounts import Seller
from webapp.models.alerts import Alert
from webapp.models.audit import AuditEntry
from webapp.models.catalog import PriceVariant, Product
from webapp.models.checkouts import Checkout, CheckoutCustomer
from webapp.models.discord_apps import App, Automation
from webapp.models.imports import ImportRow, MemberImport
from webapp.models.messages import BuyerMessage
from webapp.models.orders import AccountSwitch, Customer, Order, Subscription, WebhookEvent
from webapp.models.outbox import Action, Grant

# In dependency order: create in this order, drop in reverse.
MODELS = [
    Seller,
    Product,
    PriceVariant,
    App,
    Automation,
    Checkout,
    CheckoutCustomer,
    Customer,
    Order,
    AccountSwitch,
    Subscription,
    WebhookEvent,
    Grant,
    Action,
    Alert,
    AuditEntry,
    MemberImport,
    ImportRow,
    BuyerMessage,
]

__all__ = [m.__name__ for m in MODELS] + ["MODELS"]
