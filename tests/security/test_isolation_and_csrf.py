"""Every route of the app, from Flask's URL map: tenant isolation and CSRF."""

import re

import pytest

from tests.fixtures.app import Auth, csrf_from
from tests.fixtures.world import ANN, drain
from webapp.db import db
from webapp.models import MODELS, Action, Checkout, MemberImport

# Routes that are not the seller's dashboard: each has its own door and its own tests.
PUBLIC = {"static", "hooks.receive", "health.healthz", "health.live", "dashboard.index",
          "accounts.signup", "accounts.login", "accounts.logout", "claim.show", "claim.connect", "claim.code", "claim.my_access", "claim.rejoin",
          "buyers.start", "buyers.enter", "buyers.my_access", "buyers.rejoin",
          "discord.login", "discord.authorized", "discord_bot.login", "discord_bot.authorized", "paid.landing", "paid.status"}  # fmt: skip


def snapshot():
    """Every row of every table, to prove a request changed nothing."""
    with db.connection_context():
        return {m.__name__: sorted(map(repr, m.select().tuples())) for m in MODELS}


@pytest.fixture
def first_sellers_world(world, sandbox):
    """The first seller with an app, automation, product, order, failed action."""
    automation = world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1", product_id="course", variant_id="monthly")
    world.claim("ord_1", ANN)
    sandbox.fault(method="GET", path="/members/", status=403, code=50013, count=1)
    drain()
    with db.connection_context():
        order = world.order("ord_1")
        action = Action.get(Action.order == order.id)
        stripe = Checkout.create(seller=world.seller.id, name="Stripe", provider="stripe")
        member_import = MemberImport.create(seller=world.seller.id, product=order.product_id,
                                            state="checked")  # fmt: skip
        ids = {
            "app_id": world.discord_app.id, "automation_id": automation.id, "order_id": order.id,
            "product_id": order.product_id, "variant_id": order.variant_id, "action_id": action.id,
            "checkout_id": stripe.id, "import_id": member_import.id,
        }  # fmt: skip
    return world, ids


def seller_routes(app):
    """(endpoint, method, rule) for every dashboard route."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return found


def fill(rule, ids):
    return rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]


def test_the_url_map_has_the_routes_this_suite_must_cover(app):
    endpoints = {e for e, _, _ in seller_routes(app)}
    assert {
        "orders.retry",
        "automations.toggle",
        "apps.check",
        "products.edit_variant",
    } <= endpoints
    assert len(endpoints) >= 20


def test_a_second_seller_gets_404_on_every_route_with_the_first_sellers_ids(
    app, first_sellers_world
):
    world, ids = first_sellers_world
    other = app.test_client()
    Auth(other).signup("intruder@example.com")
    token = csrf_from(other.get("/settings/account").get_data(as_text=True))
    before = snapshot()
    checked = 0
    for endpoint, method, rule in seller_routes(app):
        if not rule.arguments:
            continue
        url = fill(rule, ids)
        for headers in ({}, {"HX-Request": "true"}):
            response = other.open(url, method=method, data={"csrf_token": token, "days": "5", "name": "x",
                                  "external_id": "x"}, headers={**headers, "X-CSRFToken": token})  # fmt: skip
            assert response.status_code == 404, (endpoint, method, url, response.status_code)
            checked += 1
    assert checked >= 30
    assert snapshot() == before


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(app, first_sellers_world):
    world, ids = first_sellers_world
    before = snapshot()
    refused = 0
    for endpoint, method, rule in seller_routes(app) + [("accounts.logout", "POST", None)]:
        if method == "GET":
            continue
        url = fill(rule, ids) if rule is not None else "/logout"
        for headers, data in (({}, {}), ({"X-CSRFToken": "forged"}, {"csrf_token": "forged"})):
            response = world.client.open(
                url, method=method, data={**data, "days": "5"}, headers=headers
            )
            assert response.status_code == 400, (endpoint, url, response.status_code)
            assert "CSRF" in response.get_data(as_text=True)
            refused += 1
    assert refused >= 20
    assert snapshot() == before
    assert world.client.get("/overview").status_code == 200  # still logged in


def test_every_page_carries_the_security_headers(app, first_sellers_world):
    world, ids = first_sellers_world
    for endpoint, method, rule in seller_routes(app):
        if method != "GET" or endpoint == "automations.roles":
            continue
        response = world.client.get(fill(rule, ids))
        assert response.status_code == 200, endpoint
        csp = response.headers["Content-Security-Policy"]
        assert (
            "default-src 'self'" in csp and "unsafe-eval" not in csp and "unsafe-inline" not in csp
        )
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_buyer_named_like_an_attack_is_shown_escaped_everywhere(first_sellers_world):
    world, ids = first_sellers_world
    evil = "<img src=x onerror=alert(1)>"
    world.checkout.paid("ord_evil", email="evil@example.com", name=evil, product_name=evil)
    order = world.order("ord_evil")
    pages = [f"/orders/{order.id}", "/orders/", "/products/", f"/claim/{order.claim_token}",
             f"/products/{order.product_id}", "/overview"]  # fmt: skip
    for url in pages:
        html = world.client.get(url).get_data(as_text=True)
        assert evil not in html, url
        assert not re.search(r"<img[^>]*onerror", html), url
    assert "&lt;img src=x onerror=alert(1)&gt;" in world.client.get(f"/orders/{order.id}").get_data(
        as_text=True
    )
