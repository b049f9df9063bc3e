"""From a paid order to the buyer in the server with their roles (SPEC §4 rules 1, 4, 8, 9)."""

from tests.fixtures.world import ANN, BOB, GUILD, drain
from webapp.db import db
from webapp.models import Action, Grant


def actions_of(world, order_id):
    with db.connection_context():
        return list(Action.select().where(Action.order == world.order(order_id).id))


def test_unlinked_buyer_gets_waiting_actions_then_everything_at_once_on_linking(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.automation("purchase", "assign_role", role="Member")
    world.checkout.paid("ord_1")
    world.checkout.paid("ord_2", product_id="other")
    assert {a.status for a in actions_of(world, "ord_1")} == {"waiting_for_link"}
    world.claim("ord_1", ANN)
    drain()
    assert world.member_roles(ANN) == ["Member", "Pro"]
    assert {a.status for a in actions_of(world, "ord_1")} == {"done"}
    assert {a.status for a in actions_of(world, "ord_2")} == {"done"}


def test_assign_role_adds_a_new_member_with_the_role_in_one_call(world, sandbox):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    before = sandbox.stats()
    drain()
    after = sandbox.stats()
    assert world.member_roles(ANN) == ["Pro"]
    assert (
        _count(after, "PUT", "/guilds/{guild_id}/members/{user_id}")
        - _count(before, "PUT", "/guilds/{guild_id}/members/{user_id}")
        == 1
    )
    assert _count(after, "PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}") == _count(
        before, "PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}"
    )


def _count(stats, method, route):
    return stats["by_route"].get(f"{method} {route}", 0)


def test_a_linked_buyer_gets_the_role_without_waiting(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    drain()
    world.checkout.paid("ord_2", email="buyer@example.com", product_id="p2")
    assert {a.status for a in actions_of(world, "ord_2")} == {"queued"}
    drain()
    assert {a.status for a in actions_of(world, "ord_2")} == {"done"}


def test_add_to_server_records_a_member_who_was_there_before_as_preexisting(world, sandbox):
    sandbox.add_member(GUILD, BOB)
    world.automation("purchase", "add_to_server")
    world.checkout.paid("ord_1")
    world.claim("ord_1", BOB)
    drain()
    with db.connection_context():
        grant = Grant.get(Grant.kind == "membership")
    assert grant.preexisting and grant.state == "active"


def test_running_an_action_twice_makes_one_discord_call(world, sandbox):
    from workers.actions import run_action

    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    (action,) = actions_of(world, "ord_1")
    assert run_action(action.id) == "done"
    calls = sandbox.stats()["requests"]
    assert run_action(action.id) == "not runnable"
    assert sandbox.stats()["requests"] == calls
