"""The brake on mass removals (`access/brake.py`): a burst of refunds past 20 and 10 % of an
app's live members within 10 minutes is held; the seller is alerted; Release runs the held
removals once, Cancel leaves the roles in place, marked kept; gives are never braked, and
a renewal meanwhile is respected."""

import pytest

from tests.fixtures.world import GUILD, drain
from webapp.access import brake, events
from webapp.db import db, utcnow
from webapp.models import Action, Alert, App, Grant, Order, Product, Seller

FIRST = 500000000000000000


@pytest.fixture
def members(world):
    """`make(n)`: n members on the server, each holding Pro through an order given by hand."""
    world.automation("purchase", "assign_role", role="Pro")
    member_writes = ("PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}",
                     "DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}")  # fmt: skip
    world.sandbox.limits(routes={r: {"limit": 100, "per": 1.0} for r in member_writes})

    def make(n, first=FIRST):
        world.sandbox.add_members(GUILD, str(first), n)
        with db.connection_context():
            seller = Seller.get_by_id(world.seller.id)
            product, _ = Product.get_or_create(seller=seller.id, external_id="course-pro",
                                               defaults={"name": "Course Pro"})  # fmt: skip
            orders = [
                events.give_by_hand(seller, product, f"m{first + i}@example.com",
                                    discord_user_id=str(first + i))
                for i in range(n)
            ]  # fmt: skip
        drain()
        return [o.external_id for o in orders]

    return make


def refund_all(world, external_ids):
    for external_id in external_ids:
        world.checkout.refunded(external_id)
    drain()


def statuses(kind="revoke_role"):
    with db.connection_context():
        rows = Action.select(Action.status).where(Action.kind == kind).tuples()
        return sorted(s for (s,) in rows)


def with_pro(world, n, first=FIRST):
    return sum("Pro" in (world.member_roles(str(first + i)) or []) for i in range(n))


def app_of(world):
    with db.connection_context():
        return App.get_by_id(world.discord_app.id)


def test_a_mass_refund_is_held_past_the_threshold_and_the_seller_is_alerted(world, members):
    orders = members(30)
    refund_all(world, orders)
    assert statuses().count("done") == 20 and statuses().count("held") == 10
    assert with_pro(world, 30) == 10  # the rest keep their role while the seller decides
    assert app_of(world).brake_held_at is not None
    page = world.client.get(f"/apps/{world.discord_app.id}").get_data(as_text=True)
    assert "Removals held" in page and "<strong>10</strong> waiting" in page
    assert "Release" in page and "Cancel these removals" in page
    assert "Removals held on “Community”" in world.client.get("/overview").get_data(as_text=True)
    with db.connection_context():
        assert Order.select().where(Order.status == "refunded").count() == 30  # ended anyway


def test_once_tripped_every_removal_of_the_app_waits_even_after_the_window(world, members):
    orders = members(25)
    refund_all(world, orders[:21])
    assert statuses().count("held") == 1
    from webapp.services import get_redis

    get_redis().delete(brake.KEY.format(app=world.discord_app.id))  # ten minutes later
    refund_all(world, orders[21:])
    assert statuses().count("held") == 5


def test_release_runs_the_held_removals_once_and_takes_the_brake_off(world, members):
    orders = members(25)
    refund_all(world, orders)
    token = world.auth.csrf(f"/apps/{world.discord_app.id}")
    answer = world.client.post(f"/apps/{world.discord_app.id}/removals/release",
                               data={"csrf_token": token})  # fmt: skip
    assert answer.status_code == 302
    drain()
    assert statuses() == ["done"] * 25 and with_pro(world, 25) == 0
    assert app_of(world).brake_held_at is None
    with db.connection_context():
        assert Alert.select().where(Alert.resolved_at.is_null()).count() == 0
    page = world.client.get("/settings/audit/").get_data(as_text=True)
    assert "Held removals released on “Community”: 5 will run" in page


def test_cancel_keeps_the_roles_marks_them_kept_and_the_orders_stay_ended(world, members):
    orders = members(25)
    refund_all(world, orders)
    token = world.auth.csrf(f"/apps/{world.discord_app.id}")
    world.client.post(f"/apps/{world.discord_app.id}/removals/cancel", data={"csrf_token": token})
    drain()
    assert statuses().count("done") == 20 and statuses().count("skipped") == 5
    assert with_pro(world, 25) == 5
    with db.connection_context():
        assert Grant.select().where(Grant.state == "kept").count() == 5
        assert Order.select().where(Order.status == "refunded").count() == 25
        skipped = Action.get((Action.status == "skipped") & (Action.kind == "revoke_role"))
    assert skipped.result.startswith("Cancelled by the seller (removal brake)")
    assert app_of(world).brake_held_at is None
    assert "Removals held" not in world.client.get("/overview").get_data(as_text=True)


def test_access_given_back_while_held_is_respected_on_release(world, members):
    orders = members(22)
    for external_id in orders:
        world.checkout.send("order.disputed", {"order_id": external_id})
    drain()
    with db.connection_context():
        held = Action.get(Action.status == "held")
        order = Order.get_by_id(held.order_id)
    world.checkout.send("order.dispute_won", {"order_id": order.external_id})  # access back
    drain()
    with db.connection_context():
        brake.release(App.get_by_id(world.discord_app.id))
    drain()
    user = held.discord_user_id
    assert "Pro" in world.member_roles(user)  # the held revoke found the role needed again


def test_gives_are_never_braked(world, members):
    members(25)
    with db.connection_context():
        App.update(brake_held_at=utcnow()).execute()  # braked
    assert statuses("assign_role") == ["done"] * 25
    more = members(3, first=FIRST + 100)
    assert len(more) == 3 and with_pro(world, 3, first=FIRST + 100) == 3


@pytest.fixture
def brake_of_5(app_config):
    app_config["BRAKE_THRESHOLD"] = "5,10%"


def test_a_large_app_allows_its_share_of_members(brake_of_5, world, members):
    orders = members(80)
    refund_all(world, orders[:12])
    assert statuses().count("done") == 8 and statuses().count("held") == 4  # 10 % of 80


def test_the_brake_can_be_switched_off(app_config):
    from webapp.settings import SettingsError, parse_brake

    assert parse_brake("0") is None and parse_brake("off") is None
    assert parse_brake("20,10%") == (20, 0.10) and parse_brake("50") == (50, 0.0)
    for bad in ("many", "-3", "20,150%", "20,x%"):
        with pytest.raises(SettingsError, match="BRAKE_THRESHOLD must be like 20,10%"):
            parse_brake(bad)
