"""The fast layer: events, planner and grants called directly, on the real database, with no
Discord and no worker (flaskr / redash style). The real-door suites sit beside it."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.access import events, grants, planner
from webapp.db import db
from webapp.models import Action, App, Automation, Customer, Grant, Order, Product

GUILD, ANN, BOB = "300000000000000001", "200000000000000001", "200000000000000002"


@pytest.fixture
def shop(app, make_seller):
    """A seller with a connected app, product A (Pro, 30 days) and its automations."""
    seller = make_seller()
    with db.connection_context():
        discord_app = App.create(seller=seller.id, name="C", status="connected", guild_id=GUILD)
        product = Product.create(seller=seller.id, external_id="A", name="A", access_days=30)
        for event, action, role in (
            ("purchase", "assign_role", "pro"), ("expiry", "revoke_role", "pro"),
            ("expiry", "assign_role", "alumni"),
        ):  # fmt: skip
            Automation.create(seller=seller.id, app=discord_app.id, product=product.id,
                              event=event, action=action, role_id=role)  # fmt: skip
    with db.connection_context():
        yield seller, discord_app, product


def paid(seller, order_id, **extra):
    """order.paid as the receiver hands it to the domain (already parsed)."""
    data = {
        "order_id": order_id, "product_id": "A", "product_name": "A", "variant_id": None,
        "customer": {"email": "ann@example.com", "name": "Ann"},
        "paid_at": extra.pop("paid_at", datetime.now(UTC)), "subscription_id": None,
        "period_end": None, **extra,
    }  # fmt: skip
    return events.order_paid(seller, data)


def link(customer_id, user_id):
    Customer.update(discord_user_id=user_id, link_count=Customer.link_count + 1).where(
        Customer.id == customer_id
    ).execute()


def test_planning_the_same_purchase_twice_creates_one_action(shop):
    seller, _, _ = shop
    order = paid(seller, "o1")
    assert planner.plan_purchase(order) == []  # planned by the payment already
    assert Action.select().where(Action.order == order.id).count() == 1


def test_a_new_link_plans_anew_even_for_an_account_seen_before(shop):
    seller, _, _ = shop
    order = paid(seller, "o1")
    for user in (ANN, BOB, ANN):
        link(order.customer_id, user)
        order = Order.get_by_id(order.id)
        assert planner.plan_purchase(order), f"nothing planned for link to {user}"


def test_an_intent_keeps_what_it_knew_before_the_discord_call(shop):
    seller, discord_app, _ = shop
    order = paid(seller, "o1")
    link(order.customer_id, ANN)
    action = Action.get(Action.order == order.id)
    action.discord_user_id = ANN
    first = grants.intend(action, "role", "pro", preexisting=False, via="purchase",
                          ends_with_access=True)  # fmt: skip
    # The re-run after a crash sees the role on Discord, but the intent says it was ours.
    again = grants.intend(action, "role", "pro", preexisting=True, via="purchase",
                          ends_with_access=True)  # fmt: skip
    assert again.id == first.id and again.state == "pending" and not again.preexisting


def _grant(order, kind, role="", user=ANN, state="active", via="purchase"):
    return Grant.create(order=order.id, customer=order.customer_id, app=App.select().first().id,
                        guild_id=GUILD, kind=kind, role_id=role, discord_user_id=user,
                        state=state, via=via)  # fmt: skip


def test_a_role_of_another_live_order_keeps_the_membership(shop):
    seller, _, _ = shop
    first, second = paid(seller, "o1"), paid(seller, "o2")
    link(first.customer_id, ANN)
    _grant(first, "membership")
    _grant(second, "role", "pro")
    assert grants.membership_needed_elsewhere(GUILD, ANN, first.id)
    Order.update(status="refunded").where(Order.id == second.id).execute()
    assert not grants.membership_needed_elsewhere(GUILD, ANN, first.id)


def test_grants_on_an_account_the_buyer_left_are_needed_no_more(shop):
    seller, _, _ = shop
    first, second = paid(seller, "o1"), paid(seller, "o2")
    link(first.customer_id, ANN)
    _grant(second, "role", "pro")
    assert grants.role_needed_elsewhere(GUILD, ANN, "pro", first.id)
    link(first.customer_id, BOB)  # switched: what sits on Ann is nobody's any more
    assert not grants.role_needed_elsewhere(GUILD, ANN, "pro", first.id)


def test_an_alumni_role_stays_needed_after_the_end_but_not_after_a_refund(shop):
    seller, _, _ = shop
    first, other = paid(seller, "o1"), paid(seller, "o2")
    link(first.customer_id, ANN)
    _grant(first, "role", "alumni", via="expiry")
    Order.update(status="expired").where(Order.id == first.id).execute()
    assert grants.role_needed_elsewhere(GUILD, ANN, "alumni", other.id)
    Order.update(status="refunded").where(Order.id == first.id).execute()
    assert not grants.role_needed_elsewhere(GUILD, ANN, "alumni", other.id)


def test_expiry_plans_nothing_while_another_order_of_the_product_is_live(shop):
    seller, _, _ = shop
    first, _second = paid(seller, "o1"), paid(seller, "o2")
    Order.update(access_ends_at=datetime.now(UTC) - timedelta(seconds=1)).where(
        Order.id == first.id
    ).execute()
    assert events.expire(first.id)
    expiry = Action.select().where((Action.order == first.id) & (Action.trigger == "expiry"))
    assert not expiry.exists()


def test_a_subscription_that_ended_before_its_payment_gives_nothing(shop):
    seller, _, product = shop
    Product.update(access_days=None).where(Product.id == product.id).execute()
    events.subscription_ended(seller, {"subscription_id": "s1",
                                       "ended_at": datetime.now(UTC) - timedelta(hours=1)})  # fmt: skip
    order = paid(seller, "o1", subscription_id="s1",
                 period_end=datetime.now(UTC) + timedelta(days=30))  # fmt: skip
    assert order.status == "expired"
    assert not Action.select().where(Action.order == order.id).exists()


def test_a_dispute_then_a_win_gives_the_remaining_access_back(shop):
    seller, _, _ = shop
    order = paid(seller, "o1")
    ends = Order.get_by_id(order.id).access_ends_at
    assert events.order_disputed(seller, {"order_id": "o1"}).status == "disputed"
    won = events.dispute_won(seller, {"order_id": "o1"})
    assert won.status == "active" and won.access_ends_at == ends and won.generation == 1
    # A dispute reported again after it was won stays closed.
    assert events.order_disputed(seller, {"order_id": "o1"}).status == "active"


def test_a_won_dispute_whose_time_ran_out_meanwhile_gives_nothing_back(shop):
    seller, _, _ = shop
    order = paid(seller, "o1", paid_at=datetime.now(UTC) - timedelta(days=29, hours=23))
    events.order_disputed(seller, {"order_id": "o1"})
    Order.update(access_ends_at=datetime.now(UTC) - timedelta(minutes=1)).where(
        Order.id == order.id
    ).execute()
    assert events.dispute_won(seller, {"order_id": "o1"}).status == "expired"


def test_a_paid_order_told_its_subscription_later_follows_it(shop):
    """Lemon Squeezy names the subscription on the subscription's events, not the order's."""
    seller, _, _ = shop
    order = paid(seller, "o1", product_id="B")  # no access days: the subscription decides
    assert order.access_ends_at is None and order.subscription_id is None
    end = datetime.now(UTC) + timedelta(days=30)
    assert events.subscription_renewed(seller, {"subscription_id": "s1", "period_end": end}) == []
    paid(seller, "o1", product_id="B", subscription_id="s1")
    order = Order.get_by_id(order.id)
    assert order.subscription_id == "s1" and order.status == "active"
    assert order.access_ends_at == end + timedelta(days=seller.subscription_grace_days)
    paid(seller, "o1", product_id="B", subscription_id="s2")  # told again: it keeps the first
    assert Order.get_by_id(order.id).subscription_id == "s1"
    events.subscription_ended(seller, {"subscription_id": "s1",
                                       "ended_at": datetime.now(UTC) - timedelta(seconds=5)})  # fmt: skip
    assert Order.get_by_id(order.id).status == "expired"
