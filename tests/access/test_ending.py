"""When access ends: time limits, refunds, subscriptions, reference counting (SPEC §4)."""

from datetime import UTC, datetime, timedelta

from tests.fixtures.world import ANN, BOB, GUILD, drain
from webapp.access import events
from webapp.db import db
from webapp.models import Order, Product


def now():
    return datetime.now(UTC)


def pro_and_alumni(world, remove=False):
    world.automation("purchase", "assign_role", role="Pro")
    world.automation("expiry", "revoke_role", role="Pro")
    world.automation("expiry", "assign_role", role="Alumni")
    if remove:
        world.automation("expiry", "remove_from_server")


def expire(world, order_id):
    with db.connection_context():
        order = world.order(order_id)
        Order.update(access_ends_at=now() - timedelta(seconds=1)).where(
            Order.id == order.id
        ).execute()
        assert events.expire(order.id)
    drain()


def test_expiry_revokes_the_role_and_gives_the_alumni_role(world):
    pro_and_alumni(world)
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    drain()
    assert world.member_roles(ANN) == ["Pro"]
    expire(world, "ord_1")
    assert world.member_roles(ANN) == ["Alumni"]
    assert world.order("ord_1").status == "expired"


def test_access_days_of_the_variant_win_over_the_product(world):
    with db.connection_context():
        Product.create(seller=world.seller.id, external_id="course", name="Course", access_days=30)
    world.checkout.paid("ord_1", product_id="course", variant_id="monthly")
    order = world.order("ord_1")
    assert order.access_ends_at - order.paid_at == timedelta(days=30)
    from webapp.models import PriceVariant

    with db.connection_context():
        PriceVariant.update(access_days=7).where(PriceVariant.external_id == "monthly").execute()
    world.checkout.paid("ord_2", product_id="course", variant_id="monthly")
    order = world.order("ord_2")
    assert order.access_ends_at - order.paid_at == timedelta(days=7)
    assert order.end_reason == "time_limit"


def test_reference_counting_keeps_the_role_while_another_order_grants_it(world):
    pro_and_alumni(world)
    world.checkout.paid("ord_1")
    world.checkout.paid("ord_2", product_id="second")
    world.claim("ord_1", ANN)
    drain()
    expire(world, "ord_1")
    assert "Pro" in world.member_roles(ANN)
    expire(world, "ord_2")
    assert "Pro" not in world.member_roles(ANN)


def test_a_member_who_was_on_the_server_before_buying_is_not_removed(world, sandbox):
    sandbox.add_member(GUILD, BOB)
    world.automation("purchase", "add_to_server")
    world.automation("expiry", "remove_from_server")
    world.checkout.paid("ord_1")
    world.claim("ord_1", BOB)
    drain()
    expire(world, "ord_1")
    assert world.member_roles(BOB) is not None


def test_a_member_rolegate_added_is_removed_at_expiry(world):
    world.automation("purchase", "add_to_server")
    world.automation("expiry", "remove_from_server")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    drain()
    assert world.member_roles(ANN) == []
    expire(world, "ord_1")
    assert world.member_roles(ANN) is None


def test_a_role_the_buyer_had_before_is_not_revoked(world, sandbox):
    from tests.fixtures.world import role_id

    sandbox.add_member(GUILD, BOB, roles=[role_id(sandbox, GUILD, "Pro")])
    pro_and_alumni(world)
    world.checkout.paid("ord_1")
    world.claim("ord_1", BOB)
    drain()
    expire(world, "ord_1")
    assert "Pro" in world.member_roles(BOB)


def test_refund_revokes_at_once_without_alumni_role(world):
    pro_and_alumni(world)
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    drain()
    assert world.checkout.refunded("ord_1").status_code == 202
    drain()
    # Everything the order gave goes: the role, and the place Rolegate made on the server.
    assert world.member_roles(ANN) is None
    assert world.order("ord_1").status == "refunded"


def test_refund_before_payment_ends_with_no_access(world):
    pro_and_alumni(world)
    world.checkout.refunded("ord_1")
    world.checkout.paid("ord_1")
    page = world.client.get(f"/claim/{world.order('ord_1').claim_token}").get_data(as_text=True)
    assert "This order was refunded" in page  # and it offers no Discord link
    drain()
    assert world.member_roles(ANN) is None
    assert world.order("ord_1").status == "refunded"


def test_renewal_moves_the_end_and_an_older_renewal_does_not_move_it_back(world):
    pro_and_alumni(world)
    end1 = now() + timedelta(days=30)
    world.checkout.paid("ord_1", subscription_id="sub_1", period_end=end1.isoformat())
    first = world.order("ord_1").access_ends_at
    assert abs((first - (end1 + timedelta(days=3))).total_seconds()) < 1  # period end + grace
    end2 = now() + timedelta(days=60)
    world.checkout.renewed("sub_1", end2)
    later = world.order("ord_1").access_ends_at
    assert later > first
    world.checkout.renewed("sub_1", now() + timedelta(days=45))
    assert world.order("ord_1").access_ends_at == later


def test_an_expiry_job_that_finds_the_order_renewed_does_nothing(world):
    from workers.expiry import expire_order

    pro_and_alumni(world)
    world.checkout.paid(
        "ord_1", subscription_id="sub_1", period_end=(now() + timedelta(days=1)).isoformat()
    )
    world.claim("ord_1", ANN)
    drain()
    world.checkout.renewed("sub_1", now() + timedelta(days=31))
    assert expire_order(world.order("ord_1").id) is False
    assert world.member_roles(ANN) == ["Pro"]


def test_subscription_ended_ends_access_now(world):
    pro_and_alumni(world)
    world.checkout.paid(
        "ord_1", subscription_id="sub_1", period_end=(now() + timedelta(days=20)).isoformat()
    )
    world.claim("ord_1", ANN)
    drain()
    world.checkout.ended("sub_1", now())
    drain()
    assert world.order("ord_1").status == "expired"
    assert world.member_roles(ANN) == ["Alumni"]
    # A renewal arriving after the end does not revive it.
    world.checkout.renewed("sub_1", now() + timedelta(days=30))
    assert world.order("ord_1").status == "expired"


def test_seller_ends_access_now_and_extends_it_again(world):
    pro_and_alumni(world)
    with db.connection_context():
        Product.create(seller=world.seller.id, external_id="course", name="Course", access_days=30)
    world.checkout.paid("ord_1", product_id="course")
    world.claim("ord_1", ANN)
    drain()
    with db.connection_context():
        assert events.end_access_now(world.order("ord_1"))
    drain()
    assert world.member_roles(ANN) == ["Alumni"]
    with db.connection_context():
        events.extend_access(world.order("ord_1"), 10)
    drain()
    assert world.order("ord_1").status == "active"
    assert "Pro" in world.member_roles(ANN)
