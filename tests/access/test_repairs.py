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


def _left_notes():
    with db.connection_context():
        return list(Action.select().where(Action.trigger == "left").order_by(Action.id))


def test_a_buyer_who_leaves_is_noted_once_however_often_it_is_told(world):
    _holding_pro(world)
    world.sandbox.remove_member(GUILD, ANN)
    assert check("left") == [] and check("left") == []
    assert check("checked") == []  # the reconciliation finds the same: still one note
    (note,) = _left_notes()
    assert note.status == "skipped" and "Left the server" in note.result
    page = world.client.get(f"/orders/{world.order('ord_1').id}").get_data(as_text=True)
    assert "Left the server" in page


def test_a_leave_after_a_rejoin_is_noted_again(world):
    _holding_pro(world)
    world.sandbox.remove_member(GUILD, ANN)
    check("left")
    world.sandbox.add_member(GUILD, ANN)
    check("joined")
    drain()
    assert world.member_roles(ANN) == ["Pro"]
    with db.connection_context():
        assert Grant.select().where(Grant.left_at.is_null(False)).count() == 0
    world.sandbox.remove_member(GUILD, ANN)
    check("left")
    assert len(_left_notes()) == 2


def test_a_member_event_out_of_order_reads_discord_as_it_is_now(world):
    """The remove event's job runs after Ann is already back: nothing is noted."""
    _holding_pro(world)
    world.sandbox.remove_member(GUILD, ANN)
    world.sandbox.add_member(GUILD, ANN)
    check("left")
    assert _left_notes() == []


def test_a_buyer_with_only_a_membership_is_noted_when_they_leave(world):
    world.automation("purchase", "add_to_server")
    world.checkout.paid("ord_1", email="ann@example.com")
    world.claim("ord_1", ANN)
    drain()
    assert world.member_roles(ANN) == []
    world.sandbox.remove_member(GUILD, ANN)
    check("left")
    assert len(_left_notes()) == 1


def test_the_end_of_access_never_pulls_back_a_buyer_who_left(world):
    _holding_pro(world)
    world.automation("expiry", "assign_role", role="Alumni")
    world.sandbox.remove_member(GUILD, ANN)
    check("left")
    from tests.fixtures.app import csrf_from

    order = world.order("ord_1")
    token = world.client.get(f"/orders/{order.id}").get_data(as_text=True)
    world.client.post(f"/orders/{order.id}/end", data={"csrf_token": csrf_from(token)})
    drain()
    assert world.member_roles(ANN) is None  # not on the server, no alumni role forced on them
