"""My access (from a claim link): the buyer's orders with the seller, the linked account, and
Rejoin the server for one who left — with the roles their live access gives."""

import html

from tests.fixtures.app import csrf_from
from tests.fixtures.world import ANN, GUILD, drain
from webapp.db import db
from webapp.models import Action


def two_orders(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1", email="ann@example.com")
    world.checkout.paid("ord_2", product_id="mentoring", product_name="Mentoring",
                        email="ann@example.com")  # fmt: skip
    world.checkout.paid("ord_3", email="bob@example.com")  # somebody else's
    world.claim("ord_1", ANN)
    drain()
    return world.order("ord_1")


def test_my_access_lists_the_buyers_orders_and_nobody_elses(world):
    order = two_orders(world)
    from webapp.models import Product

    with db.connection_context():
        Product.update(renewal_url="https://shop.example.com/renew").where(
            Product.external_id == "course-pro").execute()  # fmt: skip
    page = html.unescape(
        world.client.get(f"/claim/{order.claim_token}/access").get_data(as_text=True)
    )
    assert "Your orders with this seller, for ann@example.com." in page
    assert "Course Pro" in page and "Mentoring" in page and "ord_3" not in page
    assert "Linked Discord account" in page and "Rejoin the server" in page
    assert 'href="https://shop.example.com/renew" rel="noopener">Renew' in page
    claim = world.client.get(f"/claim/{order.claim_token}").get_data(as_text=True)
    assert f'href="/claim/{order.claim_token}/access"' in claim


def test_a_buyer_who_left_rejoins_with_their_roles_once_however_often_they_press(world):
    order = two_orders(world)
    world.sandbox.remove_member(GUILD, ANN)
    path = f"/claim/{order.claim_token}"
    token = csrf_from(world.client.get(f"{path}/access").get_data(as_text=True))
    answer = world.client.post(f"{path}/rejoin", data={"csrf_token": token})
    world.client.post(f"{path}/rejoin", data={"csrf_token": token})  # pressed twice
    assert answer.status_code == 302
    drain()
    assert world.member_roles(ANN) == ["Pro"]
    with db.connection_context():
        rejoins = Action.select().where(Action.trigger == "rejoin").count()
    assert rejoins == 2  # one per order's grant (Pro for ord_1, and ord_2's), not per press


def test_an_unknown_claim_link_is_not_found(world):
    assert world.client.get("/claim/nope/access").status_code == 404
    token = csrf_from(world.client.get("/overview").get_data(as_text=True))
    assert world.client.post("/claim/nope/rejoin", data={"csrf_token": token}).status_code == 404
