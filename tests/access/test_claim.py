"""The buyer's claim page and switching Discord account."""

from tests.fixtures.world import ANN, BOB, drain
from webapp.db import db
from webapp.models import Customer


def test_claim_page_shows_product_server_and_connect_button(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1", product_name="Course Pro")
    order = world.order("ord_1")
    page = world.client.get(f"/claim/{order.claim_token}").get_data(as_text=True)
    assert "Course Pro" in page and "Sandbox Server" in page
    assert "Connect Discord" in page


def test_progress_partial_reports_each_action_and_ends_with_open_server(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    token = world.order("ord_1").claim_token
    working = world.client.get(f"/claim/{token}", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "In progress" in working and 'hx-trigger="load delay:1s"' in working
    drain()
    done = world.client.get(f"/claim/{token}", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "Done" in done and "Open Sandbox Server in Discord" in done
    assert "hx-trigger" not in done


def test_tokens_are_stored_encrypted(world):
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    with db.connection_context():
        customer = Customer.get(Customer.email == "buyer@example.com")
    assert customer.discord_user_id == ANN
    assert customer.access_token.startswith("gAAAA")  # Fernet
    assert "sandbox" not in customer.access_token


def test_switching_discord_account_moves_the_role(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    drain()
    assert world.member_roles(ANN) == ["Pro"]
    world.claim("ord_1", BOB)
    drain()
    assert world.member_roles(BOB) == ["Pro"]
    # Rolegate had added Ann to give her the role: the old account leaves the server.
    assert world.member_roles(ANN) is None


def test_cancelling_on_discord_says_so_and_links_nothing(world, sandbox):
    world.checkout.paid("ord_1")
    order = world.order("ord_1")
    sandbox.config(auto_approve=None, auto_deny=True)
    from tests.fixtures.app import csrf_from
    from tests.fixtures.world import follow_oauth

    page = world.client.get(f"/claim/{order.claim_token}").get_data(as_text=True)
    response = follow_oauth(
        world.client,
        world.client.post(
            f"/claim/{order.claim_token}/connect", data={"csrf_token": csrf_from(page)}
        ),
    )
    assert response.status_code == 302
    page = world.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You cancelled on Discord" in page
    with db.connection_context():
        assert Customer.get(Customer.email == "buyer@example.com").discord_user_id is None


def test_a_refund_first_orders_claim_link_explains_and_links_nothing(world, sandbox):
    world.automation("purchase", "assign_role", role="Pro")
    answer = world.checkout.refunded("ord_1").get_json()
    token = answer["claim_url"].rsplit("/", 1)[-1]
    page = world.client.get(f"/claim/{token}")
    assert page.status_code == 200 and "This order was refunded" in page.get_data(as_text=True)
    assert "Connect Discord" not in page.get_data(as_text=True)
    refused = world.client.post(f"/claim/{token}/connect", data={"csrf_token": world.auth.csrf()})
    assert refused.status_code == 409
    # The payment arrives after its refund: still no access, and linking is refused in words.
    world.checkout.paid("ord_1")
    page = world.client.get(f"/claim/{token}").get_data(as_text=True)
    assert "This order was refunded" in page and "Connect Discord" not in page
    refused = world.client.post(f"/claim/{token}/connect", data={"csrf_token": world.auth.csrf()})
    assert refused.status_code == 409
    drain()
    assert world.member_roles(ANN) is None
