"""Changes to purchase automations of a product with live orders ask first
(`automations/live.py`): adding offers to give it to the members with live access
(preview, then a job with progress); deleting asks whether their role goes now, when their
access ends, or never; switching off says what it means. Nothing retroactive without it."""

import pytest

from tests.fixtures.app import csrf_from
from tests.fixtures.world import ANN, BOB, CLEO, GUILD, drain, role_id
from webapp.db import db
from webapp.models import Action, Automation, Grant, Product


@pytest.fixture
def live_product(world):
    """Course Pro (30 days) with a Member automation; Ann and Bob linked, Cleo not yet."""
    with db.connection_context():
        Product.create(seller=world.seller.id, external_id="course-pro", name="Course Pro",
                       access_days=30)  # fmt: skip
    world.automation("purchase", "assign_role", role="Member")
    for order, email, user in (("o1", "ann@example.com", ANN), ("o2", "bob@example.com", BOB),
                               ("o3", "cleo@example.com", None)):  # fmt: skip
        world.checkout.paid(order, email=email)
        if user:
            world.claim(order, user)
    drain()
    return world


def add_pro(world):
    path = f"/apps/{world.discord_app.id}/automations/new"
    token = csrf_from(world.client.get(path).get_data(as_text=True))
    return world.client.post(path, data={
        "csrf_token": token, "event": "purchase", "action": "assign_role",
        "role": role_id(world.sandbox, GUILD, "Pro"), "enabled": "y", "give_back": "y"})  # fmt: skip


def pro_automation():
    with db.connection_context():
        return Automation.get(Automation.role_name == "Pro")


def post(world, path, **data):
    token = csrf_from(world.client.get(f"/apps/{world.discord_app.id}").get_data(as_text=True))
    return world.client.post(path, data={"csrf_token": token, **data})


def test_adding_asks_and_gives_to_the_members_with_live_access_once(live_product):
    world = live_product
    answer = add_pro(world)
    automation = pro_automation()
    live_path = f"/apps/{world.discord_app.id}/automations/{automation.id}/live"
    assert answer.headers["Location"] == live_path
    page = world.client.get(live_path).get_data(as_text=True)
    assert "<strong>3</strong> order(s) have live access already" in page
    assert "2 of their buyers have linked Discord" in page and "not linked yet" in page
    assert "Also give it to the 3 members with live access" in page
    assert world.member_roles(ANN) == ["Member"]  # nothing until the seller says so
    post(world, live_path, choice="give")
    post(world, live_path, choice="give")  # a second click gives nothing more
    drain()
    assert world.member_roles(ANN) == world.member_roles(BOB) == ["Member", "Pro"]
    done = world.client.get(live_path).get_data(as_text=True)
    assert "Given to the members with live access: 3 order(s)" in done
    world.claim("o3", CLEO)  # Cleo links later and gets it then
    drain()
    assert world.member_roles(CLEO) == ["Member", "Pro"]
    with db.connection_context():
        gives = Action.select().where((Action.kind == "assign_role")
                                      & (Action.automation == automation.id)).count()  # fmt: skip
    assert gives == 3


def test_only_new_orders_gives_nothing_to_the_live_ones(live_product):
    world = live_product
    add_pro(world)
    automation = pro_automation()
    answer = post(world, f"/apps/{world.discord_app.id}/automations/{automation.id}/live",
                  choice="skip")  # fmt: skip
    assert answer.status_code == 302
    world.checkout.paid("o4", email="dan@example.com")
    world.claim("o4", "200000000000000004")
    drain()
    assert world.member_roles(ANN) == ["Member"]
    assert world.member_roles("200000000000000004") == ["Member", "Pro"]


def _delete_member_automation(world, **choice):
    with db.connection_context():
        automation = Automation.get(Automation.role_name == "Member")
    return post(world, f"/apps/{world.discord_app.id}/automations/{automation.id}/delete",
                **choice)  # fmt: skip


def test_deleting_asks_what_happens_to_the_role_and_refuses_no_choice(live_product):
    world = live_product
    page = _delete_member_automation(world).get_data(as_text=True)
    assert "<strong>2</strong> member(s) with live access have the role through it" in page
    assert "Take it back now" in page and "when their access ends" in page and "Never" in page
    odd = _delete_member_automation(world, roles="tomorrow")
    assert odd.status_code == 422 and "Choose what happens to it." in odd.get_data(as_text=True)
    with db.connection_context():
        assert Automation.select().where(Automation.role_name == "Member").exists()


def test_deleting_with_now_takes_the_role_back_now(live_product):
    world = live_product
    answer = _delete_member_automation(world, roles="now")
    assert answer.status_code == 302
    drain()
    assert world.member_roles(ANN) == [] and world.member_roles(BOB) == []
    audit = world.client.get("/settings/audit/").get_data(as_text=True)
    assert "lose it now" in audit


def test_deleting_with_at_end_takes_it_when_access_ends_even_without_an_expiry_automation(
    live_product,
):
    world = live_product
    _delete_member_automation(world, roles="at_end")
    drain()
    assert world.member_roles(ANN) == ["Member"]
    order = world.order("o1")
    world.client.post(f"/orders/{order.id}/end", data={
        "csrf_token": csrf_from(world.client.get(f"/orders/{order.id}").get_data(as_text=True))})  # fmt: skip
    drain()
    assert "Member" not in (world.member_roles(ANN) or [])
    assert world.member_roles(BOB) == ["Member"]


def test_deleting_with_never_leaves_the_role_also_after_a_refund(live_product):
    world = live_product
    _delete_member_automation(world, roles="never")
    world.checkout.refunded("o1")
    drain()
    assert "Member" in (world.member_roles(ANN) or [])
    with db.connection_context():
        assert Grant.select().where(Grant.state == "kept").count() == 4  # roles and memberships


def test_a_role_another_automation_still_gives_is_not_asked_about(live_product):
    world = live_product
    world.automation("purchase", "assign_role", role="Member")  # the same role, twice
    answer = _delete_member_automation(world)
    assert answer.status_code == 302  # nobody holds it through this one alone
    drain()
    assert world.member_roles(ANN) == ["Member"]


def test_switching_off_says_what_it_means_for_live_orders(live_product):
    world = live_product
    with db.connection_context():
        automation = Automation.get(Automation.role_name == "Member")
    path = f"/apps/{world.discord_app.id}/automations/{automation.id}/toggle"
    token = csrf_from(world.client.get(f"/apps/{world.discord_app.id}").get_data(as_text=True))
    row = world.client.post(path, data={"csrf_token": token}, headers={"HX-Request": "true"})
    text = row.get_data(as_text=True)
    assert "Off: new orders no longer get it. The 2 member(s) who have it keep it" in text
    assert world.member_roles(ANN) == ["Member"]
