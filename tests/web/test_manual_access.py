"""Access given by hand (`events.give_by_hand`, the product page's form): an order marked
manual, under every rule of a paid one."""

from datetime import timedelta

from tests.fixtures.app import csrf_from
from tests.fixtures.world import ANN, BOB, GUILD, drain
from webapp.db import db, utcnow
from webapp.models import Customer, Order, Product


def _product(world, days=30):
    with db.connection_context():
        product, _ = Product.get_or_create(seller=world.seller.id, external_id="course-pro",
                                           defaults={"name": "Course Pro", "access_days": days})  # fmt: skip
    return product


def give(world, product, **fields):
    path = f"/products/{product.id}"
    token = csrf_from(world.client.get(path).get_data(as_text=True))
    return world.client.post(f"{path}/access", data={"csrf_token": token, **fields})


def _manual_orders():
    with db.connection_context():
        return list(Order.select().where(Order.source == "manual"))


def test_days_given_win_over_the_products_and_empty_days_follow_it(world):
    product = _product(world, days=30)
    answer = give(world, product, email="friend@example.com", days="7")
    assert answer.status_code == 302
    give(world, product, email="staff@example.com")
    friend, staff = sorted(_manual_orders(), key=lambda o: o.id)
    assert abs(friend.access_ends_at - (utcnow() + timedelta(days=7))) < timedelta(minutes=1)
    assert abs(staff.access_ends_at - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    assert friend.status == "active" and friend.claim_mail_due_at is not None  # the claim link goes


def test_access_given_by_hand_follows_the_products_automations_and_ends(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.automation("expiry", "revoke_role", role="Pro")
    product = _product(world)
    give(world, product, email="ann@example.com", days="3")
    (order,) = _manual_orders()
    world.claim(order.external_id, ANN)
    drain()
    assert world.member_roles(ANN) == ["Pro"]
    page = world.client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "by hand, without a checkout" in page
    token = csrf_from(page)
    world.client.post(f"/orders/{order.id}/end", data={"csrf_token": token})
    drain()
    assert "Pro" not in (world.member_roles(ANN) or [])


def test_a_discord_user_id_on_the_server_gets_the_role_at_once(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.sandbox.add_member(GUILD, BOB)
    give(world, _product(world), email="bob@example.com", discord_user_id=BOB)
    drain()
    assert world.member_roles(BOB) == ["Pro"]
    (order,) = _manual_orders()
    assert order.claim_mail_due_at is None  # linked already: nothing to claim


def test_a_buyer_linked_to_another_account_is_refused_in_words(world):
    product = _product(world)
    give(world, product, email="ann@example.com")
    with db.connection_context():
        Customer.update(discord_user_id=ANN).execute()
    answer = give(world, product, email="ann@example.com", discord_user_id=BOB)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert f"This buyer is linked to Discord account {ANN} already" in page
    assert len(_manual_orders()) == 1


def test_bad_input_is_said_next_to_its_field_and_gives_nothing(world):
    product = _product(world)
    for fields, message in (
        ({"email": ""}, "Enter the email the claim link goes to."),
        ({"email": "nobody"}, "Enter an email like name@example.com."),
        ({"email": "a@example.com", "days": "0"}, "Between 1 and 36500 days."),
        ({"email": "a@example.com", "days": "soon"}, "Not a valid integer value."),
        ({"email": "a@example.com", "discord_user_id": "ann"}, "A Discord user ID is 17 to 20"),
    ):
        answer = give(world, product, **fields)
        assert answer.status_code == 422 and message in answer.get_data(as_text=True), fields
    assert _manual_orders() == []


def test_another_sellers_product_is_not_found(world, make_seller):
    other = make_seller("other@example.com")
    with db.connection_context():
        theirs = Product.create(seller=other.id, external_id="x", name="Theirs")
    token = csrf_from(world.client.get("/overview").get_data(as_text=True))
    answer = world.client.post(f"/products/{theirs.id}/access",
                               data={"csrf_token": token, "email": "a@example.com"})  # fmt: skip
    assert answer.status_code == 404 and _manual_orders() == []
