"""My access without the claim link (`webapp/buyers`): the seller's page mails a sign-in
link (single use, 15 minutes) to an email with orders, says the same for any email, and
shows that buyer's orders only."""

import email
import email.policy
import re

from tests.fixtures.app import csrf_from
from tests.fixtures.world import ANN, GUILD, drain
from webapp.buyers import signin
from webapp.db import db
from webapp.models import Seller


def link_in(inbox, to):
    for raw in inbox.messages:
        message = email.message_from_string(raw, policy=email.policy.default)
        if message["To"] == to and message["Subject"] == "Your sign-in link":
            return re.search(r"https?://\S+/buyers/\S+", message.get_content()).group(0)
    return None


def ask(world, client, address):
    path = f"/buyers/{world.seller_public_id}"
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "email": address})


def setup(world):
    with db.connection_context():
        world.seller_public_id = Seller.get_by_id(world.seller.id).public_id
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1", email="ann@example.com")
    world.checkout.paid("ord_2", product_id="mentoring", product_name="Mentoring",
                        email="ann@example.com")  # fmt: skip
    world.checkout.paid("ord_3", email="bob@example.com")
    world.claim("ord_1", ANN)
    drain()


def test_a_buyer_signs_in_by_mailed_link_once_and_sees_their_orders(inbox, world, app):
    setup(world)
    buyer = app.test_client()
    answer = ask(world, buyer, "Ann@Example.com")
    assert "If that email has orders here, a sign-in link is on its way." in answer.get_data(
        as_text=True
    )
    link = link_in(inbox, "ann@example.com")
    path = link.split("localhost", 1)[-1].split(":5000", 1)[-1]
    opened = buyer.get(path)  # a mail scanner opening the link spends nothing
    assert opened.status_code == 200 and "Open My access" in opened.get_data(as_text=True)
    assert app.test_client().get(path).status_code == 200
    entered = buyer.post(path, data={"csrf_token": csrf_from(opened.get_data(as_text=True))})
    assert entered.status_code == 302
    page = buyer.get(entered.headers["Location"]).get_data(as_text=True)
    assert "Course Pro" in page and "Mentoring" in page and "ord_3" not in page
    other = app.test_client()
    again = other.post(path, data={"csrf_token": csrf_from(other.get(path).get_data(as_text=True))})
    assert again.status_code == 400 and "used already or has expired" in again.get_data(
        as_text=True
    )
    world.sandbox.remove_member(GUILD, ANN)
    token = csrf_from(page)
    buyer.post(f"/buyers/{world.seller_public_id}/rejoin", data={"csrf_token": token})
    drain()
    assert world.member_roles(ANN) == ["Pro"]


def test_an_unknown_email_gets_the_same_answer_and_no_mail(inbox, world, app):
    setup(world)
    answer = ask(world, app.test_client(), "nobody@example.com")
    assert "If that email has orders here" in answer.get_data(as_text=True)
    assert link_in(inbox, "nobody@example.com") is None


def test_a_forged_expired_or_other_sellers_link_is_refused(world, app, make_seller):
    setup(world)
    other = make_seller("other@example.com")
    with db.connection_context():
        from webapp.models import Customer

        ann = Customer.get(Customer.email == "ann@example.com")
        link = signin.link_for(Seller.get_by_id(world.seller.id), ann)
        other_page = f"/buyers/{Seller.get_by_id(other.id).public_id}/in/{link.rsplit('/', 1)[1]}"
    client = app.test_client()
    token = csrf_from(client.get(f"/buyers/{world.seller_public_id}").get_data(as_text=True))
    assert client.post(other_page, data={"csrf_token": token}).status_code == 400  # other seller
    forged = f"/buyers/{world.seller_public_id}/in/forged.token"
    assert client.post(forged, data={"csrf_token": token}).status_code == 400
    not_signed_in = client.get(f"/buyers/{world.seller_public_id}/access")
    assert not_signed_in.status_code == 302
    assert client.get("/buyers/nope").status_code == 404
    assert client.post(f"/buyers/{world.seller_public_id}/rejoin",
                       data={"csrf_token": token}).status_code == 404  # fmt: skip


def test_the_seller_finds_the_address_in_settings(world):
    setup(world)
    page = world.client.get("/settings/account").get_data(as_text=True)
    assert f"/buyers/{world.seller_public_id}" in page
