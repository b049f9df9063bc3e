"""Discord stays true, with real processes: the sandbox's gateway, Rolegate's gateway process
(hikari) and a real rq worker (SPEC §10)."""

import html
import time

import pytest
import requests

from tests.fixtures.app import PASSWORD, csrf_from
from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN, BOB, GUILD, role_id
from webapp.db import db
from webapp.models import Action, App, Automation, Grant

pytestmark = pytest.mark.slow


@pytest.fixture
def live(world, processes):
    """A buyer holding Pro through a live order, with the worker and the gateway running."""
    world.automation("purchase", "assign_role", role="Pro")
    processes.worker()
    processes.gateway()
    wait_until(lambda: world.sandbox.gateway()["connected"] == 1, timeout=20,
               message="the gateway process to connect")  # fmt: skip
    world.checkout.paid("ord_1", email="ann@example.com")
    world.claim("ord_1", ANN)
    wait_until(lambda: world.member_roles(ANN) == ["Pro"], timeout=15, message="Ann to get Pro")
    return world


def _repairs(world):
    with db.connection_context():
        order = world.order("ord_1")
        return list(Action.select().where((Action.order == order.id)
                                          & Action.trigger.in_(("rejoin", "repair"))))  # fmt: skip


def test_a_buyer_who_leaves_is_noted_and_on_rejoining_gets_the_role_back(live):
    world = live
    world.sandbox.remove_member(GUILD, ANN)
    wait_until(lambda: "Left the server" in _timeline(world), timeout=15,
               message="the order to say Ann left")  # fmt: skip
    world.sandbox.add_member(GUILD, ANN)  # back through an invite, with no roles
    started = time.monotonic()
    wait_until(lambda: world.member_roles(ANN) == ["Pro"], timeout=15, interval=0.05,
               message="Pro to come back after the rejoin")  # fmt: skip
    assert time.monotonic() - started < 5
    # The worker commits "done" a moment after Discord answered.
    wait_until(lambda: [(r.trigger, r.status) for r in _repairs(world)] == [("rejoin", "done")],
               timeout=5, message="the rejoin to be recorded as done")  # fmt: skip


def _timeline(world):
    return world.client.get(f"/orders/{world.order('ord_1').id}").get_data(as_text=True)


def test_a_role_removed_by_hand_comes_back_unless_its_automation_says_no(live):
    world = live
    pro = role_id(world.sandbox, GUILD, "Pro")
    world.sandbox.remove_role_by_hand(GUILD, ANN, pro)
    wait_until(lambda: world.member_roles(ANN) == ["Pro"], timeout=15, interval=0.05,
               message="Pro to come back after its removal by hand")  # fmt: skip
    assert [a.trigger for a in _repairs(world)] == ["repair"]

    with db.connection_context():
        Automation.update(give_back=False).execute()
    world.sandbox.remove_role_by_hand(GUILD, ANN, pro)
    wait_until(lambda: len(_repairs(world)) == 2, timeout=15, message="the removal to be noted")
    time.sleep(1)
    assert world.member_roles(ANN) == []
    noted = _repairs(world)[-1]
    assert noted.status == "skipped" and "Removed by hand" in noted.result
    with db.connection_context():
        assert Grant.get(Grant.role_id == pro).state == "removed"
    page = world.client.get(f"/orders/{world.order('ord_1').id}").get_data(as_text=True)
    assert "Removed by hand in Discord" in page


def test_a_change_made_while_the_connection_dropped_is_repaired_after_the_resume(live):
    world = live
    world.sandbox.gateway(drop=True)
    wait_until(lambda: world.sandbox.gateway()["connected"] == 0, timeout=5,
               message="the connection to drop")  # fmt: skip
    world.sandbox.remove_role_by_hand(GUILD, ANN, role_id(world.sandbox, GUILD, "Pro"))
    wait_until(lambda: world.member_roles(ANN) == ["Pro"], timeout=20, interval=0.05,
               message="Pro to come back once the gateway resumed")  # fmt: skip
    assert world.sandbox.gateway()["resumes"] >= 1


def test_a_deleted_role_breaks_its_automation_with_a_sentence_and_alerts_the_seller(live):
    world = live
    world.sandbox.delete_role(GUILD, role_id(world.sandbox, GUILD, "Pro"))
    url = f"/apps/{world.discord_app.id}"
    wait_until(lambda: "Automations that will fail" in world.client.get(url).get_data(as_text=True),
               timeout=15, message="the App page to warn about the deleted role")  # fmt: skip
    overview = html.unescape(world.client.get("/overview").get_data(as_text=True))
    assert "Needs your attention" in overview and "“Pro” was deleted in Discord" in overview
    world.checkout.paid("ord_2", email="bob@example.com")
    world.claim("ord_2", BOB)
    wait_until(lambda: _actions_of("ord_2") == ["failed"], timeout=15,
               message="Bob's role to fail")  # fmt: skip
    with db.connection_context():
        failed = Action.get((Action.order == world.order("ord_2").id) & (Action.status == "failed"))
    assert failed.last_error.startswith("Unknown role: the role was deleted in Discord.")


def test_a_kicked_bot_breaks_the_app_and_work_waits_until_it_is_back(live):
    world = live
    world.sandbox.remove_bot(GUILD)
    wait_until(lambda: _app(world).status == "broken", timeout=15,
               message="the app to be marked broken")  # fmt: skip
    assert "Needs your attention" in world.client.get("/overview").get_data(as_text=True)
    world.checkout.paid("ord_2", email="bob@example.com")
    world.claim("ord_2", BOB)
    wait_until(lambda: _actions_of("ord_2") == ["waiting_for_app"], timeout=10,
               message="Bob's role to wait for the app")  # fmt: skip
    world.sandbox.install_bot(GUILD)  # the seller adds the bot again
    wait_until(lambda: world.member_roles(BOB) == ["Pro"], timeout=20,
               message="the waiting work to run once the bot is back")  # fmt: skip
    assert "Needs your attention" not in world.client.get("/overview").get_data(as_text=True)


def _actions_of(external_id):
    with db.connection_context():
        order = world_order(external_id)
        return [a.status for a in Action.select().where(
            (Action.order == order.id) & (Action.kind == "assign_role"))]  # fmt: skip


def world_order(external_id):
    from webapp.models import Order

    return Order.get(Order.external_id == external_id)


def _app(world):
    with db.connection_context():
        return App.get_by_id(world.discord_app.id)


def test_with_the_gateway_stopped_check_every_member_now_repairs_drift(world, processes):
    """No gateway: nobody hears the removals. The seller presses the button, on gunicorn."""
    world.automation("purchase", "assign_role", role="Pro")
    url = processes.web()
    processes.worker()
    for order, user, email in (
        ("ord_1", ANN, "ann@example.com"),
        ("ord_2", BOB, "bob@example.com"),
    ):
        world.checkout.paid(order, email=email)
        world.claim(order, user)
    wait_until(lambda: world.member_roles(ANN) == world.member_roles(BOB) == ["Pro"], timeout=15,
               message="Ann and Bob to get Pro")  # fmt: skip
    pro = role_id(world.sandbox, GUILD, "Pro")
    world.sandbox.remove_role_by_hand(GUILD, ANN, pro)
    world.sandbox.remove_member(GUILD, BOB)
    time.sleep(1)
    assert world.member_roles(ANN) == [] and _repairs(world) == []  # nobody noticed

    seller = requests.Session()
    login = seller.get(f"{url}/login", timeout=10).text
    seller.post(f"{url}/login", data={"email": "seller@example.com", "password": PASSWORD,
                                      "csrf_token": csrf_from(login)}, timeout=10)  # fmt: skip
    app_page = seller.get(f"{url}/apps/{world.discord_app.id}", timeout=10).text
    assert "Check every member now" in app_page
    seller.post(f"{url}/apps/{world.discord_app.id}/members",
                data={"csrf_token": csrf_from(app_page)}, timeout=10)  # fmt: skip
    wait_until(lambda: world.member_roles(ANN) == ["Pro"], timeout=20, interval=0.1,
               message="the check to give Ann's role back")  # fmt: skip
    panel = wait_until(
        lambda: "Last check" in (p := seller.get(f"{url}/apps/{world.discord_app.id}/members",
                                                 headers={"HX-Request": "true"}, timeout=10).text)
        and p, timeout=20, message="the check to finish")  # fmt: skip
    assert "Last check: 2 member(s) checked, 1 role(s) given back" in panel
    bob = world.client.get(f"/orders/{world.order('ord_2').id}").get_data(as_text=True)
    assert "Left the server" in bob
