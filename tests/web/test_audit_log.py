"""Settings → Audit log (`webapp/audit`): every seller change through the real pages, with
what changed; never a secret's value; filtered by area and words; CSV safe for spreadsheets;
paged; each seller's own."""

import csv
import io

from tests.fixtures.app import csrf_from
from webapp.audit import log
from webapp.db import db
from webapp.models import AuditEntry, Automation, Checkout, Product


def post(world, path, page="/overview", **data):
    token = csrf_from(world.client.get(page).get_data(as_text=True))
    return world.client.post(path, data={"csrf_token": token, **data})


def entries(area=None):
    with db.connection_context():
        query = AuditEntry.select().order_by(AuditEntry.id)
        if area:
            query = query.where(AuditEntry.area == area)
        return [(e.summary, log.described_changes(e), e.actor) for e in query]


def test_product_variant_and_access_changes_are_written_with_what_changed(world):
    made = post(world, "/products/new", "/products/new", name="Course Pro",
                external_id="course-pro", access_days="30")  # fmt: skip
    product_path = made.headers["Location"]
    post(world, product_path, product_path, name="Course Pro+", external_id="course-pro",
         access_days="60")  # fmt: skip
    post(
        world,
        product_path,
        product_path,
        name="Course Pro+",
        external_id="course-pro",
        access_days="60",
    )  # saved unchanged: nothing to write
    post(world, product_path + "/variants", product_path, name="Yearly", external_id="y",
         access_days="365")  # fmt: skip
    post(world, product_path + "/access", product_path, email="friend@example.com", days="7")
    created, changed, variant = entries("product")
    assert created[0] == "Product “Course Pro” created" and created[2] == "seller@example.com"
    assert ("access_days", None, 30) in created[1]
    assert changed == ("Product “Course Pro+” changed",
                       [("name", "Course Pro", "Course Pro+"), ("access_days", 30, 60)],
                       "seller@example.com")  # fmt: skip
    assert variant[0] == "Variant “Yearly” added to “Course Pro+”"
    ((given, changes, _),) = entries("access")
    assert given == "Access to “Course Pro+” given by hand to friend@example.com"
    assert ("days", None, 7) in changes


def test_automation_changes_say_what_the_automation_does(world):
    app_page = f"/apps/{world.discord_app.id}"
    post(world, f"{app_page}/automations/new", f"{app_page}/automations/new",
         event="purchase", action="assign_role", role=_pro(world), enabled="y", give_back="y")  # fmt: skip
    with db.connection_context():
        automation = Automation.get()
    post(world, f"{app_page}/automations/{automation.id}/toggle", app_page)
    post(world, f"{app_page}/automations/{automation.id}/delete", app_page)
    (added, added_changes, _), (off, off_changes, _), (deleted, deleted_changes, _) = entries(
        "automation"
    )
    assert (
        added
        == "Automation added in “Community”: Order paid → Assign role “Pro” (for every product)"
    )
    assert ("role", None, "Pro") in added_changes
    assert off.startswith("Automation switched off") and ("on", True, False) in off_changes
    assert deleted.startswith("Automation deleted") and ("role", "Pro", None) in deleted_changes


def test_checkout_secrets_are_written_as_set_and_replaced_never_by_value(world):
    made = post(world, "/settings/checkouts/new", "/settings/checkouts/new", name="Stripe",
                provider="stripe")  # fmt: skip
    path = made.headers["Location"]
    post(world, path + "/secret", path, secret="whsec_first_secret_value")
    post(world, path + "/secret", path, secret="whsec_second_secret_value")
    post(world, path + "/key", path, api_key="rk_test_a_restricted_key_value")
    post(world, "/settings/webhooks/rotate", "/settings/webhooks/")
    post(world, path + "/delete", path)
    summaries = [s for s, _, _ in entries("checkout")]
    assert summaries[:3] == ["Checkout “Stripe” (Stripe) added", "Signing secret of “Stripe” set",
                             "Signing secret of “Stripe” replaced"]  # fmt: skip
    assert summaries[-1] == "Checkout “Stripe” (Stripe) removed"
    assert any(s.startswith("Webhook signing secret rotated") for s in summaries)
    with db.connection_context():
        assert Checkout.select().where(Checkout.provider == "stripe").count() == 0
        text = " ".join(f"{e.summary} {e.changes}" for e in AuditEntry.select())
    assert "whsec_" not in text and "rk_test" not in text
    page = world.client.get("/settings/audit/").get_data(as_text=True)
    assert "whsec_" not in page and "Signing secret of “Stripe” replaced" in page


def test_order_ended_and_extended_by_hand(world):
    with db.connection_context():
        Product.create(seller=world.seller.id, external_id="course-pro", name="Course Pro",
                       access_days=30)  # fmt: skip
    world.checkout.paid("ord_1")
    order = world.order("ord_1")
    post(world, f"/orders/{order.id}/extend", f"/orders/{order.id}", days="10")
    post(world, f"/orders/{order.id}/end", f"/orders/{order.id}")
    (extended, changes, _), (ended, _, _) = entries("access")
    assert extended == "Access of order ord_1 extended by 10 days"
    assert changes[0][0] == "access ends" and changes[0][1] < changes[0][2]
    assert ended == "Access of order ord_1 ended by hand"


def test_the_page_filters_by_area_and_words_and_pages_on(world):
    with db.connection_context():
        for n in range(60):
            log.record("product", f"Product “P{n}” created", seller_id=world.seller.id, actor="x")
        log.record("checkout", "Signing secret of “Shop” set", seller_id=world.seller.id, actor="x")
    first = world.client.get("/settings/audit/").get_data(as_text=True)
    assert "Signing secret of “Shop” set" in first and "Product “P59” created" in first
    assert "Product “P9” created" not in first and "Older changes" in first
    with db.connection_context():
        oldest_shown = log.entries(world.seller.id)[49].id
    second = world.client.get(f"/settings/audit/?before={oldest_shown}").get_data(as_text=True)
    assert "Product “P9” created" in second and "Older changes" not in second
    only = world.client.get("/settings/audit/?area=checkout").get_data(as_text=True)
    assert "Signing secret" in only and "Product “P1” created" not in only
    words = world.client.get("/settings/audit/?q=P42").get_data(as_text=True)
    assert "Product “P42” created" in words and "Product “P41” created" not in words
    odd = world.client.get("/settings/audit/?area=nonsense&before=abc&q=" + "x" * 5000)
    assert odd.status_code == 200


def test_the_csv_export_is_oldest_first_and_safe_for_spreadsheets(world):
    with db.connection_context():
        log.record("product", "Product “A” created", seller_id=world.seller.id, actor="x")
        log.record("product", "=HYPERLINK(\"http://evil\")", {"name": ("a", "=1+1")},
                   seller_id=world.seller.id, actor="x")  # fmt: skip
    answer = world.client.get("/settings/audit/export.csv?area=product")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0] == ["time (UTC)", "by", "area", "what", "changes"]
    assert rows[1][3] == "Product “A” created"
    assert rows[2][3].startswith("'=") and rows[2][4] == "name: a → =1+1"


def test_each_seller_sees_only_their_own(world, make_seller):
    other = make_seller("other@example.com")
    with db.connection_context():
        log.record("product", "Their secret product", seller_id=other.id, actor="o")
        Product.create(seller=other.id, external_id="x", name="Theirs")
    assert "Their secret product" not in world.client.get("/settings/audit/").get_data(as_text=True)
    csv_text = world.client.get("/settings/audit/export.csv").get_data(as_text=True)
    assert "Their secret product" not in csv_text


def _pro(world):
    from tests.fixtures.world import GUILD, role_id

    return role_id(world.sandbox, GUILD, "Pro")
