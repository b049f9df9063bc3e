"""The per-process catalog cache of webhooks (`access/catalog_cache.py`) never serves what a
seller changed: every change of products, variants, apps and automations — by any path,
here straight in the database — moves the seller's `catalog_version` (triggers, m0008), and
the next webhook reads afresh. Runs on SQLite and, in the PostgreSQL run, on PostgreSQL."""

import pytest

from webapp.access import catalog_cache
from webapp.db import db
from webapp.models import Action, App, Automation, Order, PriceVariant, Product, Seller


@pytest.fixture(autouse=True)
def _fresh_cache():
    catalog_cache.clear()
    yield
    catalog_cache.clear()


def version(seller):
    with db.connection_context():
        return Seller.get_by_id(seller.id).catalog_version


def actions_of(external_id):
    with db.connection_context():
        order = Order.get(Order.external_id == external_id)
        return list(Action.select().where(Action.order == order.id))


def test_each_catalog_change_moves_the_version_and_a_first_sight_product_does_not(world):
    seller = world.seller
    before = version(seller)
    world.checkout.paid("o1", product_id="course", variant_id="monthly")
    assert version(seller) == before  # product and variant created on first sight
    with db.connection_context():
        product = Product.get(Product.external_id == "course")
        variant = PriceVariant.get(PriceVariant.external_id == "monthly")
    changes = [
        lambda: Product.update(access_days=30).where(Product.id == product.id).execute(),
        lambda: PriceVariant.update(access_days=7).where(PriceVariant.id == variant.id).execute(),
        lambda: world.automation("purchase", "assign_role", role="Pro"),
        lambda: Automation.update(enabled=False).where(Automation.seller == seller.id).execute(),
        lambda: Automation.delete().where(Automation.seller == seller.id).execute(),
        lambda: App.update(guild_id=None).where(App.id == world.discord_app.id).execute(),
        lambda: App.create(seller=seller.id, name="Second"),
        lambda: PriceVariant.delete().where(PriceVariant.id == variant.id).execute(),
        lambda: Product.delete().where(Product.id == product.id).execute(),
    ]
    for change in changes:
        seen = version(seller)
        with db.connection_context():
            change()
        assert version(seller) > seen, change
    with db.connection_context():
        unrelated = version(seller)
        App.update(name="Renamed").where(App.seller == seller.id).execute()  # not read by webhooks
    assert version(seller) == unrelated


def test_a_webhook_after_an_automation_is_added_plans_it(world):
    world.checkout.paid("o1", product_id="course", email="a@example.com")
    world.checkout.paid("o2", product_id="course", email="b@example.com")  # served cached
    assert actions_of("o2") == []
    with db.connection_context():
        product = Product.get(Product.external_id == "course")
    world.automation("purchase", "assign_role", role="Pro", product=product.id)
    world.checkout.paid("o3", product_id="course", email="c@example.com")
    assert [a.kind for a in actions_of("o3")] == ["assign_role"]


def test_a_disabled_automation_or_a_disconnected_server_stops_at_once(world):
    automation = world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("o1", email="a@example.com")
    world.checkout.paid("o2", email="b@example.com")
    assert len(actions_of("o2")) == 1
    with db.connection_context():
        Automation.update(enabled=False).where(Automation.id == automation.id).execute()
    world.checkout.paid("o3", email="c@example.com")
    assert actions_of("o3") == []
    with db.connection_context():
        Automation.update(enabled=True).where(Automation.id == automation.id).execute()
        App.update(guild_id=None).where(App.id == world.discord_app.id).execute()
    world.checkout.paid("o4", email="d@example.com")
    assert actions_of("o4") == []


def test_access_days_changed_between_two_webhooks_are_used(world):
    world.checkout.paid("o1", product_id="course", email="a@example.com")
    world.checkout.paid("o2", product_id="course", email="b@example.com")  # read, kept
    with db.connection_context():
        assert Order.get(Order.external_id == "o2").access_ends_at is None
        Product.update(access_days=10).where(Product.external_id == "course").execute()
    world.checkout.paid("o3", product_id="course", email="c@example.com")
    with db.connection_context():
        assert Order.get(Order.external_id == "o3").access_ends_at is not None


def test_a_new_seller_never_shares_a_version_with_one_removed(app):
    from webapp.accounts.domain import create_seller

    with db.connection_context():
        first = create_seller("one@example.com", "a long password!")
        Seller.delete().where(Seller.id == first.id).execute()
        second = create_seller("two@example.com", "a long password!")
    assert second.catalog_version != first.catalog_version


def test_outside_a_webhook_reads_always_go_to_the_database(world):
    loads = []
    assert catalog_cache.read("product", world.seller.id, "x", lambda: loads.append(1) or 1) == 1
    assert catalog_cache.read("product", world.seller.id, "x", lambda: loads.append(1) or 1) == 1
    with catalog_cache.at(world.seller.id, 5):
        catalog_cache.read("product", world.seller.id, "x", lambda: loads.append(1) or 1)
        catalog_cache.read("product", world.seller.id, "x", lambda: loads.append(1) or 1)
        catalog_cache.read("product", world.seller.id + 1, "x", lambda: loads.append(1) or 1)
    with catalog_cache.at(world.seller.id, 6):
        catalog_cache.read("product", world.seller.id, "x", lambda: loads.append(1) or 1)
    assert len(loads) == 5  # two outside, one miss at 5, another seller, a miss at 6
