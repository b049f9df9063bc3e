"""The seller's dashboard pages: products, automations, orders, webhook settings."""

import json
import re
from datetime import UTC, datetime, timedelta

from tests.fixtures.app import csrf_from
from tests.fixtures.checkout import Checkout
from tests.fixtures.world import GUILD, SECOND_GUILD, role_id
from webapp.db import db
from webapp.models import Automation, PriceVariant, Product, Seller


def post_form(client, page_url, action_url, data):
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(action_url, data={**data, "csrf_token": token})


def test_products_are_created_edited_and_given_variants_whose_days_win(client, auth):
    auth.signup()
    created = post_form(client, "/products/new", "/products/new",
                        {"name": "Course Pro", "external_id": "course-pro", "access_days": "30"})  # fmt: skip
    assert created.status_code == 302
    url = created.headers["Location"]
    page = post_form(client, url, url.rstrip("/") + "/variants",
                     {"name": "Monthly", "external_id": "monthly", "access_days": "7"})  # fmt: skip
    assert page.status_code == 302
    with db.connection_context():
        product = Product.get(Product.external_id == "course-pro")
        variant = PriceVariant.get(PriceVariant.product == product.id)
    assert product.access_days == 30 and variant.access_days == 7
    html = client.get(url).get_data(as_text=True)
    assert "Remove access after how many days" in html and "Monthly" in html


def test_product_form_says_what_is_wrong(client, auth):
    auth.signup()
    post_form(client, "/products/new", "/products/new", {"name": "A", "external_id": "same"})
    response = post_form(client, "/products/new", "/products/new",
                         {"name": "B", "external_id": "same", "access_days": "0"})  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Between 1 and 36500 days." in html
    response = post_form(
        client, "/products/new", "/products/new", {"name": "B", "external_id": "same"}
    )
    assert "Another product already has this checkout id." in response.get_data(as_text=True)


def test_a_webhook_names_a_new_product_and_it_appears(client, auth):
    auth.signup()
    with db.connection_context():
        seller = Seller.get(Seller.email == "seller@example.com")
    Checkout(client, seller).paid("ord_1", product_id="new-course", product_name="New Course")
    assert "New Course" in client.get("/products/").get_data(as_text=True)


def test_automation_refuses_expiry_add_to_server_with_a_sentence(world):
    url = f"/apps/{world.discord_app.id}/automations/new"
    response = post_form(
        world.client, url, url, {"event": "expiry", "action": "add_to_server", "enabled": "y"}
    )
    assert response.status_code == 422
    assert "cannot run when access ends" in response.get_data(as_text=True)


def test_automation_refuses_a_role_above_the_bot_and_says_how_to_fix_it(world, sandbox):
    app = world.connect(SECOND_GUILD, name="Second")  # there the bot's role is at the bottom
    url = f"/apps/{app.id}/automations/new"
    page = world.client.get(url).get_data(as_text=True)
    assert "VIP" not in page.split('id="role"')[1].split("</select>")[0]  # not offered
    response = post_form(world.client, url, url, {"event": "purchase", "action": "assign_role",
                                                  "role": role_id(sandbox, SECOND_GUILD, "VIP")})  # fmt: skip
    assert response.status_code == 422
    assert "drag the Rolegate bot&#39;s role above it" in response.get_data(as_text=True)


def test_automation_can_create_a_new_role_the_bot_manages(world, sandbox):
    url = f"/apps/{world.discord_app.id}/automations/new"
    response = post_form(world.client, url, url, {"event": "purchase", "action": "assign_role",
                                                  "role": "__new__", "new_role_name": "Students",
                                                  "enabled": "y"})  # fmt: skip
    assert response.status_code == 302
    with db.connection_context():
        automation = Automation.get(Automation.role_name == "Students")
    assert automation.role_id == role_id(sandbox, GUILD, "Students")
    assert automation.give_back is False  # the box was not ticked in this post


def test_a_new_automation_gives_back_a_removed_role_by_default(world):
    url = f"/apps/{world.discord_app.id}/automations/new"
    form = world.client.get(url).get_data(as_text=True)
    box = re.search(r'<label class="check">(<input[^>]*id="give_back"[^>]*>) Give it back if '
                    r"removed</label>", form)  # fmt: skip
    assert box and "checked" in box.group(1) and 'type="checkbox"' in box.group(1)


def test_app_page_lists_automations_and_the_switch_toggles_with_htmx(world):
    automation = world.automation("purchase", "assign_role", role="Pro")
    url = f"/apps/{world.discord_app.id}"
    page = world.client.get(url).get_data(as_text=True)
    assert "Assign role “Pro”" in page
    token = csrf_from(page)
    row = world.client.post(f"{url}/automations/{automation.id}/toggle",
                            headers={"HX-Request": "true", "X-CSRFToken": token})  # fmt: skip
    assert "Off" in row.get_data(as_text=True) and "<html" not in row.get_data(as_text=True)
    with db.connection_context():
        assert not Automation.get_by_id(automation.id).enabled


def test_product_page_flags_purchase_automations_nothing_undoes_and_one_click_adds_them(world):
    world.checkout.paid("ord_1", product_id="course")
    with db.connection_context():
        product = Product.get(Product.external_id == "course")
    world.automation("purchase", "assign_role", role="Pro", product=product.id)
    url = f"/products/{product.id}"
    assert "Access can end, but nothing is taken back" in world.client.get(url).get_data(
        as_text=True
    )
    post_form(world.client, url, f"{url}/add-undo", {})
    assert "Access can end, but nothing is taken back" not in world.client.get(url).get_data(
        as_text=True
    )
    with db.connection_context():
        undo = Automation.get((Automation.event == "expiry") & (Automation.product == product.id))
    assert undo.action == "revoke_role" and undo.role_name == "Pro"


def test_orders_are_searched_by_email_or_id_and_filtered(client, checkout, auth, seller):
    auth.login()
    checkout.paid("ord_a", email="ann@example.com")
    checkout.paid("ord_b", email="bob@example.com")
    checkout.refunded("ord_b")
    page = client.get("/orders/?q=ann@").get_data(as_text=True)
    assert "ord_a" in page and "ord_b" not in page
    page = client.get("/orders/?q=ord_b").get_data(as_text=True)
    assert "ord_b" in page and "ord_a" not in page
    page = client.get("/orders/?status=refunded", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "ord_b" in page and "ord_a" not in page and "<html" not in page


def test_orders_ending_within_7_days_filter(client, checkout, auth, seller):
    auth.login()
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    checkout.paid("ord_soon", subscription_id="s1", period_end=soon)
    checkout.paid("ord_later", subscription_id="s2", period_end=later)
    page = client.get("/orders/?status=ending").get_data(as_text=True)
    assert "ord_soon" in page and "ord_later" not in page


def test_orders_ending_soon_list_the_soonest_end_first_and_page_through_every_one(
    client, auth, seller
):
    import re

    from webapp.models import Order

    auth.login()
    now = datetime.now(UTC)
    with db.connection_context(), db.atomic():
        product = Product.create(seller=seller.id, external_id="course", name="Course")
        for i in range(57):  # same end for pairs: the cursor must also order by id
            Order.create(seller=seller.id, external_id=f"end_{i:02d}", product=product,
                         paid_at=now, access_ends_at=now + timedelta(days=6, minutes=-(i // 2)))  # fmt: skip
        Order.create(seller=seller.id, external_id="end_later", product=product, paid_at=now,
                     access_ends_at=now + timedelta(days=9))  # fmt: skip
    seen, url = [], "/orders/?status=ending"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r">(end_\w+)</a>", page)
        link = re.search(r'<a href="([^"]+)">Later endings</a>', page)
        url = link.group(1).replace("&amp;", "&") if link else None
    expected = sorted((f"end_{i:02d}" for i in range(57)), key=lambda e: (-(int(e[4:]) // 2), e))
    assert seen[:3] == ["end_56", "end_54", "end_55"] and seen == expected
    for bad in ("x", "1-", "99999999999999999999999-1", "-5-3"):
        assert client.get(f"/orders/?status=ending&after={bad}").status_code == 200


def test_webhook_secret_is_revealed_on_request_and_rotation_keeps_the_old_one_a_day(
    client, auth, seller
):
    auth.login()
    page = client.get("/settings/webhooks/").get_data(as_text=True)
    assert seller.webhook_endpoint_id in page and "whsec_" in page
    token = csrf_from(page)
    revealed = client.post(
        "/settings/webhooks/secret", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    old_secret = (
        revealed.get_data(as_text=True)
        .split('id="secret" type="text" readonly value="')[1]
        .split('"')[0]
    )
    assert old_secret.startswith("whsec_")
    client.post("/settings/webhooks/rotate", data={"csrf_token": token})
    with db.connection_context():
        fresh = Seller.get_by_id(seller.id)
    old = Checkout(client, fresh)
    old.secret = old_secret
    assert old.paid("ord_old_secret").status_code == 202  # still valid for 24 h
    with db.connection_context():
        # A day later: the old secret's deadline has passed.
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        kept = json.loads(Seller.get_by_id(seller.id).webhook_previous_secret)
        Seller.update(
            webhook_previous_secret=json.dumps([{**e, "until": past} for e in kept])
        ).execute()
    assert old.paid("ord_too_late").status_code == 401


def test_overview_checklist_follows_the_setup(world):
    page = world.client.get("/overview").get_data(as_text=True)
    assert 'Done:</span>\n      <a href="/apps/">Connect a Discord server' in page
    assert 'To do:</span>\n      <a href="/products/">Add a product' in page


def test_operations_page_shows_queues_workers_and_the_outbox(world):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", "200000000000000001")
    page = world.client.get("/operations/").get_data(as_text=True)
    assert "rolegate-actions" in page and "No worker is running" in page
    assert "queued: 1" in page and "Oldest action waiting for a worker" in page
    assert "Claim mails due: <strong>1</strong>, the oldest for" in page
    assert "Gateway: <strong>never started</strong> — No gateway process has run." in page


def test_operations_page_shows_the_gateway_as_it_reports_itself(world):
    import time

    from webapp.discord import gateway_status

    gateway_status.write(state="connected", detail="session abc", events=7, resumes=2,
                         last_event_at=time.time() - 42, identifies_left=997,
                         identifies_total=1000)  # fmt: skip
    page = world.client.get("/operations/").get_data(as_text=True)
    assert "Gateway: <strong>connected</strong> — session abc; member events: 7, resumes: 2" in page
    assert "identifies left today: 997 of 1000" in page
    assert "last event <time" in page and re.search(r"4[234] s ago", page)


def test_operations_page_is_404_for_sellers_not_listed_as_operators(
    app_config, redis_conn, make_seller
):
    from tests.fixtures.app import Auth, empty_tables
    from webapp import create_app

    empty_tables()
    app_config["OPERATOR_EMAILS"] = "ops@example.com"
    client = create_app(app_config).test_client()
    Auth(client).signup("seller@example.com")
    assert client.get("/operations/").status_code == 404
    assert "Operations" not in client.get("/overview").get_data(as_text=True)


def test_app_page_warns_when_a_role_used_by_an_automation_sits_above_the_bot(world, sandbox):
    world.automation("purchase", "assign_role", role="Pro")
    url = f"/apps/{world.discord_app.id}"
    assert "Automations that will fail" not in world.client.get(url).get_data(as_text=True)
    sandbox.move_bot_role(GUILD, 1)  # someone dragged the bot's role to the bottom
    token = csrf_from(world.client.get(url).get_data(as_text=True))
    panel = world.client.post(f"{url}/check", headers={"HX-Request": "true", "X-CSRFToken": token})
    html = panel.get_data(as_text=True)
    assert "Automations that will fail" in html and "sits above the bot" in html


def test_check_again_marks_the_app_broken_when_the_bot_was_removed(world, sandbox):
    sandbox.remove_bot(GUILD)
    url = f"/apps/{world.discord_app.id}"
    token = csrf_from(world.client.get(url).get_data(as_text=True))
    html = world.client.post(
        f"{url}/check", headers={"HX-Request": "true", "X-CSRFToken": token}
    ).get_data(as_text=True)
    assert "Reconnect" in html and "badge-broken" in html


def test_the_seller_sets_the_subscription_grace_and_new_orders_use_it(
    client, auth, seller, checkout
):
    auth.login()
    page = client.get("/settings/webhooks/").get_data(as_text=True)
    assert 'value="3"' in page  # SUBSCRIPTION_GRACE_DAYS' default
    client.post("/settings/webhooks/grace", data={"grace_days": "7", "csrf_token": csrf_from(page)})
    period_end = datetime.now(UTC) + timedelta(days=30)
    checkout.paid("ord_1", subscription_id="sub_1", period_end=period_end.isoformat())
    with db.connection_context():
        from webapp.models import Order

        ends = Order.get(Order.external_id == "ord_1").access_ends_at
    assert abs((ends - (period_end + timedelta(days=7))).total_seconds()) < 1
    bad = client.post(
        "/settings/webhooks/grace", data={"grace_days": "-1", "csrf_token": csrf_from(page)}
    )
    assert "whole number from 0 to 60" in client.get(bad.headers["Location"]).get_data(as_text=True)


def test_an_email_search_takes_underscore_and_percent_literally(client, checkout, auth):
    auth.login()
    for order_id, email in (("ord_u", "a_b@example.com"), ("ord_x", "axb@example.com"),
                            ("ord_p", "a%b@example.com"), ("ord_z", "azzb@example.com")):  # fmt: skip
        checkout.paid(order_id, email=email)
    page = client.get("/orders/?q=A_B@").get_data(as_text=True)
    assert "ord_u" in page and "ord_x" not in page
    page = client.get("/orders/?q=a%25b@").get_data(as_text=True)
    assert "ord_p" in page and "ord_z" not in page


def test_orders_export_as_csv_follows_the_filter_and_is_safe_for_spreadsheets(world):
    import csv
    import io

    world.checkout.paid("ord_1", email="ann@example.com")
    world.checkout.paid("=cmd|calc", email="bob@example.com")
    world.checkout.refunded("ord_1")
    answer = world.client.get("/orders/export.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.is_streamed and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0][:4] == ["order id", "status", "source", "buyer email"]
    assert [r[0] for r in rows[1:]] == ["'=cmd|calc", "ord_1"]  # newest first, defused
    assert (
        rows[2][1] == "refunded" and rows[2][3] == "ann@example.com" and rows[2][5] == "Course Pro"
    )
    refunded = world.client.get("/orders/export.csv?status=refunded").get_data(as_text=True)
    assert "ord_1" in refunded and "calc" not in refunded
    page = world.client.get("/orders/?status=refunded").get_data(as_text=True)
    assert 'href="/orders/export.csv?status=refunded"' in page


def test_orders_export_pages_through_every_order(world):
    import csv
    import io

    from webapp.orders import export_rows

    for n in range(7):
        world.checkout.paid(f"ord_{n}")
    with db.connection_context():
        text = "".join(export_rows(world.seller.id, batch=3))
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert [r[0] for r in rows] == [f"ord_{n}" for n in reversed(range(7))]
