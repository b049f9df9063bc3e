"""Repairs decided from Discord's current state (`access/repairs.py`), in-process: what is
given back, what is left alone, and that Rolegate's own revocations never come back."""

from tests.fixtures.world import ANN, GUILD, drain, role_id
from webapp.access import repairs
from webapp.db import db
from webapp.models import Action, Automation, Grant


def _holding_pro(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1", email="ann@example.com")
    world.claim("ord_1", ANN)
    drain()
    assert world.member_roles(ANN) == ["Pro"]
    return role_id(world.sandbox, GUILD, "Pro")


def check(why="updated"):
    with db.connection_context():
        return repairs.check_member(GUILD, ANN, why)


def test_nothing_is_done_while_discord_agrees(world):
    _holding_pro(world)
    assert check() == []


def test_a_missing_role_is_given_back_once_even_when_told_twice(world):
    pro = _holding_pro(world)
    world.sandbox.remove_role_by_hand(GUILD, ANN, pro)
    assert len(check()) == 1
    assert check() == []  # the repair is already queued
    drain()
    assert world.member_roles(ANN) == ["Pro"]


def test_a_rejoin_gives_back_even_when_the_automation_says_not_to(world):
    _holding_pro(world)
    with db.connection_context():
        Automation.update(give_back=False).execute()
    world.sandbox.remove_member(GUILD, ANN)
    assert check("joined") == []  # not on the server: nothing to give yet
    world.sandbox.add_member(GUILD, ANN)
    assert len(check("joined")) == 1
    drain()
    assert world.member_roles(ANN) == ["Pro"]


def test_a_refunded_order_holds_nothing_to_give_back(world):
    _holding_pro(world)
    world.checkout.refunded("ord_1")
    drain()
    assert world.member_roles(ANN) is None  # the refund took the membership too
    world.sandbox.add_member(GUILD, ANN, [])  # Ann comes back by an invite
    assert check("joined") == [] and world.member_roles(ANN) == []


def test_a_repair_queued_before_access_ended_is_skipped_when_it_runs(world):
    pro = _holding_pro(world)
    world.sandbox.remove_role_by_hand(GUILD, ANN, pro)
    (repair_id,) = check()
    order = world.order("ord_1")
    token = world.client.get(f"/orders/{order.id}").get_data(as_text=True)
    from tests.fixtures.app import csrf_from

    world.client.post(f"/orders/{order.id}/end", data={"csrf_token": csrf_from(token)})
    drain()
    with db.connection_context():
        assert Action.get_by_id(repair_id).status == "skipped"
    assert "Pro" not in (world.member_roles(ANN) or [])


def test_with_give_back_off_the_grant_is_marked_removed_and_not_taken_at_the_end(world):
    pro = _holding_pro(world)
    with db.connection_context():
        Automation.update(give_back=False).execute()
    world.sandbox.remove_role_by_hand(GUILD, ANN, pro)
    assert check() == []
    with db.connection_context():
        assert Grant.get(Grant.role_id == pro).state == "removed"
    assert check() == []  # noted once
    with db.connection_context():
        noted = Action.select().where(Action.trigger == "repair").count()
    assert noted == 1
