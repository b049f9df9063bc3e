"""Import members (`webapp/imports`): a CSV's lines checked against the server and the
database, previewed, imported on confirmation as orders whose present roles are adopted
(and taken at the end of access) and missing ones given; the same file twice changes
nothing; a file that cannot be read is refused whole, in words, with nothing stored."""

import html
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures.app import csrf_from
from tests.fixtures.world import GUILD, drain, role_id
from webapp.db import db
from webapp.models import Grant, ImportRow, MemberImport, Order, PriceVariant, Product

FIRST = 600000000000000000
HEADER = "email,discord_user_id,paid_at,access_ends_at,days,order_id,variant_id"


def user(n):
    return str(FIRST + n)


@pytest.fixture
def shop(world):
    """Course Pro gives Pro (and takes it at the end); members 0–4 are on the server, 0 and 1
    with Pro already."""
    world.automation("purchase", "assign_role", role="Pro")
    world.automation("expiry", "revoke_role", role="Pro")
    pro = role_id(world.sandbox, GUILD, "Pro")
    world.sandbox.add_members(GUILD, user(0), 2, roles=[pro])
    world.sandbox.add_members(GUILD, user(2), 3)
    with db.connection_context():
        product = Product.create(seller=world.seller.id, external_id="course-pro",
                                 name="Course Pro", access_days=30)  # fmt: skip
        PriceVariant.create(product=product.id, name="Yearly", external_id="yearly",
                            access_days=365)  # fmt: skip
    world.product = product
    return world


def upload(world, content, name="members.csv"):
    path = f"/products/{world.product.id}"
    token = csrf_from(world.client.get(path).get_data(as_text=True))
    data = {"csrf_token": token, "file": (io.BytesIO(content), name)}
    return world.client.post(f"{path}/imports", data=data, content_type="multipart/form-data")


def page(world, answer):
    return html.unescape(world.client.get(answer.headers["Location"]).get_data(as_text=True))


def confirm(world, answer):
    location = answer.headers["Location"]
    token = csrf_from(world.client.get(location).get_data(as_text=True))
    return world.client.post(f"{location}/confirm", data={"csrf_token": token})


def _day(delta):
    return (datetime.now(UTC) + timedelta(days=delta)).strftime("%Y-%m-%d")


def good_and_bad():
    paid = _day(-10)
    return "\n".join([
        HEADER,
        f"ann@example.com,{user(0)},{paid},{_day(20)},,,",  # has Pro: adopted
        f"bob@example.com,{user(1)},{paid},,,o-bob,yearly",  # has Pro, a variant
        f"cleo@example.com,{user(2)},{paid},,50,,",  # on the server without Pro: given
        f"not-an-email,{user(3)},{paid},,,,",
        f"dan@example.com,{user(3)},{paid},,,,lifetime",  # unknown variant
        f"eve@example.com,{user(4)},{paid},{_day(-20)},,,",  # ends before it starts
        f"fay@example.com,{user(4)},{paid},,,o-bob,",  # duplicate order id
        f"gus@example.com,{FIRST + 99},{paid},,,,",  # not on the server
        f"hal@example.com,{user(4)},{paid},{_day(5)},5,,",  # both end and days
        "",  # a blank line is no member
    ]).encode()  # fmt: skip


def test_a_file_of_good_and_bad_lines_is_previewed_then_imported(shop):
    world = shop
    answer = upload(world, good_and_bad())
    assert answer.status_code == 302
    assert "Checking every line against the server: 0 of 9" in page(world, answer)  # before the job
    drain()
    shown = page(world, answer)
    assert "<strong>3</strong> ready to import" in shown and "<strong>6</strong> refused" in shown
    for reason in ("Not an email address: “not-an-email”.",
                   "Unknown variant “lifetime” for this product.",
                   "Access ends before it starts", "Duplicate order id: line 3 has the same.",
                   f"Not on the server “{world.sandbox.guild(GUILD)['name']}”",
                   "Give access_ends_at or days, not both."):  # fmt: skip
        assert reason in shown, reason
    assert "“Pro”" in shown and "Import 3 member(s)" in shown
    with db.connection_context():
        assert Order.select().where(Order.source == "import").count() == 0  # nothing yet
    confirm(world, answer)
    drain()
    assert "Imported 3 member(s)." in page(world, answer)
    assert world.member_roles(user(2)) == ["Pro"]  # given
    with db.connection_context():
        orders = {o.customer.email: o for o in Order.select().where(Order.source == "import")}
        assert set(orders) == {"ann@example.com", "bob@example.com", "cleo@example.com"}
        assert orders["bob@example.com"].external_id == "o-bob"
        assert orders["bob@example.com"].variant.external_id == "yearly"
        bob_ends = orders["bob@example.com"].access_ends_at
        assert abs(bob_ends - (datetime.now(UTC) + timedelta(days=355))) < timedelta(days=1)
        adopted = Grant.get(Grant.order == orders["ann@example.com"].id)
        assert (adopted.state, adopted.preexisting, adopted.ends_with_access) == (
            "active",
            False,
            True,
        )


def imported(world):
    """The good-and-bad file uploaded, checked, confirmed and imported."""
    answer = upload(world, good_and_bad())
    drain()
    confirm(world, answer)
    drain()
    return answer


def test_adopted_roles_are_taken_at_the_end_of_access(shop):
    world = shop
    imported(world)
    with db.connection_context():
        ann = Order.get(Order.external_id.startswith("import-")
                        & (Order.customer.in_(_customers("ann@example.com"))))  # fmt: skip
    token = csrf_from(world.client.get(f"/orders/{ann.id}").get_data(as_text=True))
    world.client.post(f"/orders/{ann.id}/end", data={"csrf_token": token})
    drain()
    assert world.member_roles(user(0)) == []  # Rolegate's now: taken as the seller said


def _customers(email):
    from webapp.models import Customer

    return Customer.select(Customer.id).where(Customer.email == email)


def test_the_same_file_imported_again_changes_nothing(shop):
    world = shop
    imported(world)
    again = upload(world, good_and_bad())
    drain()
    shown = page(world, again)
    assert (
        "<strong>0</strong> ready to import" in shown
        and "<strong>3</strong> already imported" in shown
    )
    assert "Nothing to import." in shown
    assert confirm(world, again).status_code == 302
    drain()
    with db.connection_context():
        assert Order.select().where(Order.source == "import").count() == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"name,phone\nAnn,123\n", "The file has no column “email”, “discord_user_id”, “paid_at”."),
        (b"email,discord_user_id,paid_at\n", "The file names its columns but has no member in it."),
        (
            b"email,discord_user_id,paid_at\nann@example.com,1,2026-01-01\n\xff\xfe\n",
            "The file is not UTF-8 text (line 3",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "The file is not UTF-8 text"),
        (b'email,discord_user_id,paid_at\n"' + b"a" * 200_000, "Line 2 could not be read"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_in_words_and_nothing_is_stored(shop, content,
                                                                              message):  # fmt: skip
    answer = upload(shop, content)
    text = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 400 and message in text
    assert 'id="import-file-error"' in text and 'aria-invalid="true"' in text
    with db.connection_context():
        assert MemberImport.select().count() == 0 and ImportRow.select().count() == 0


def test_no_file_and_a_twenty_megabyte_file_are_refused_in_words(shop):
    path = f"/products/{shop.product.id}"
    token = csrf_from(shop.client.get(path).get_data(as_text=True))
    none = shop.client.post(f"{path}/imports", data={"csrf_token": token},
                            content_type="multipart/form-data")  # fmt: skip
    assert none.status_code == 400 and "Choose the CSV file to import." in none.get_data(
        as_text=True
    )
    big = (HEADER + "\n").encode() + b"x" * (20 * 1024 * 1024)
    answer = upload(shop, big)
    text = answer.get_data(as_text=True)
    assert (
        answer.status_code == 400
        and "The file is 20 MB; Rolegate imports files of up to 10 MB" in text
    )
    huge = upload(shop, b"x" * (40 * 1024 * 1024))
    assert huge.status_code == 413 and "Split it and import each part" in huge.get_data(
        as_text=True
    )
    with db.connection_context():
        assert MemberImport.select().count() == 0


def test_a_bom_semicolons_and_quoted_commas_are_read(shop):
    world = shop
    content = ("\ufeffEmail;Discord_User_ID;Paid_At;Days;Order_ID\n"
               f"ann@example.com;{user(0)};{_day(-1)};30;\"ord, with a comma\"\n").encode()  # fmt: skip
    answer = upload(world, content)
    assert answer.status_code == 302
    drain()
    assert "<strong>1</strong> ready to import" in page(world, answer)
    confirm(world, answer)
    drain()
    with db.connection_context():
        assert Order.get(Order.source == "import").external_id == "ord, with a comma"


def test_without_the_members_intent_the_check_says_what_to_switch_on(shop):
    world = shop
    world.sandbox.gateway(members_intent=False)
    answer = upload(world, good_and_bad())
    drain()
    shown = page(world, answer)
    assert "Discord did not list the server's members" in shown and "Server Members Intent" in shown
    assert "Import 3 member(s)" not in shown


def test_a_product_without_an_automation_is_told_to_add_one(world):
    with db.connection_context():
        product = Product.create(seller=world.seller.id, external_id="x", name="X")
    world.product = product
    answer = upload(world, good_and_bad())
    drain()
    assert "has no “Order paid” automation" in page(world, answer)


def test_another_sellers_import_is_not_found(shop, make_seller):
    answer = upload(shop, good_and_bad())
    other = make_seller("other@example.com")
    shop.auth.logout()
    shop.auth.login("other@example.com")
    assert shop.client.get(answer.headers["Location"]).status_code == 404
    assert other is not None
