"""The whole pipeline with real processes: gunicorn, rq worker, the sandbox (SPEC §4–§6)."""

import json
import threading
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from tests.fixtures.processes import wait_until
from tests.fixtures.world import ANN, GUILD, role_id
from webapp import crypto
from webapp.db import db
from webapp.models import Automation, Customer, Order

pytestmark = pytest.mark.slow


def signed(secret, body, webhook_id):
    now = datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, body),
    }


def paid_body(order_id="ord_e2e", email="buyer@example.com"):
    return json.dumps({"type": "order.paid", "data": {
        "order_id": order_id, "product_id": "course-pro", "product_name": "Course Pro",
        "variant_id": None, "variant_name": None, "customer": {"email": email, "name": "Buyer"},
        "paid_at": datetime.now(UTC).isoformat(), "subscription_id": None, "period_end": None}})  # fmt: skip


@pytest.fixture
def running(world, processes, sandbox):
    """gunicorn and a real rq worker on the world's database and Redis."""
    world.automation("purchase", "assign_role", role="Pro")
    url = processes.web()
    processes.worker()
    with db.connection_context():
        secret = crypto.decrypt(world.seller.webhook_secret)
    return url, secret


def claim_in_browserless_session(url, claim_url, sandbox, user_id):
    """The buyer's claim through real HTTP: claim page → sandbox OAuth → back."""
    session = requests.Session()
    page = session.get(claim_url, timeout=10)
    assert page.status_code == 200 and "Connect Discord" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    sandbox.config(auto_approve={"user_id": user_id})
    path = urlsplit(claim_url).path
    started = session.post(
        url + path + "/connect", data={"csrf_token": token}, allow_redirects=False, timeout=10
    )
    consent = session.get(started.headers["Location"], allow_redirects=False, timeout=10)
    back = session.get(consent.headers["Location"], allow_redirects=True, timeout=10)
    assert back.status_code == 200, back.text
    return session


def test_a_signed_webhook_ends_with_the_buyer_in_the_server_with_the_role(running, sandbox, world):
    url, secret = running
    body = paid_body()
    answer = requests.post(f"{url}/hooks/{world.seller.webhook_endpoint_id}", data=body,
                           headers=signed(secret, body, "msg_e2e_1"), timeout=10)  # fmt: skip
    assert answer.status_code == 202
    claim_url = answer.json()["claim_url"]
    assert claim_url.startswith(url + "/claim/")
    claim_in_browserless_session(url, claim_url, sandbox, ANN)
    wait_until(
        lambda: world.member_roles(ANN) == ["Pro"], timeout=20, message="the role in the sandbox"
    )


def test_twenty_concurrent_replays_make_one_order_and_one_discord_call(running, sandbox, world):
    url, secret = running
    # The buyer is linked already, so the order's action runs at once.
    first = paid_body("ord_first")
    answer = requests.post(f"{url}/hooks/{world.seller.webhook_endpoint_id}", data=first,
                           headers=signed(secret, first, "msg_first"), timeout=10)  # fmt: skip
    claim_in_browserless_session(url, answer.json()["claim_url"], sandbox, ANN)
    wait_until(lambda: world.member_roles(ANN) == ["Pro"], timeout=20, message="the first role")
    with db.connection_context():
        Automation.create(seller=world.seller.id, app=world.discord_app.id, event="purchase",
                          action="assign_role", role_id=role_id(sandbox, GUILD, "Member"), role_name="Member")  # fmt: skip
    body = paid_body("ord_replayed")
    headers = signed(secret, body, "msg_replayed")
    statuses = []

    def post():
        r = requests.post(
            f"{url}/hooks/{world.seller.webhook_endpoint_id}",
            data=body,
            headers=headers,
            timeout=20,
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 19 + [202]
    wait_until(
        lambda: world.member_roles(ANN) == ["Member", "Pro"], timeout=20, message="the Member role"
    )
    with db.connection_context():
        assert Order.select().where(Order.external_id == "ord_replayed").count() == 1
    member_role = role_id(sandbox, GUILD, "Member")
    calls = sandbox.stats()["changes"]
    made = {k: v for k, v in calls.items() if k.endswith(member_role)}
    assert list(made.values()) == [1], calls


def test_a_database_dump_after_a_claim_holds_no_plaintext_token(
    running, sandbox, world, database_url
):
    url, secret = running
    body = paid_body()
    answer = requests.post(f"{url}/hooks/{world.seller.webhook_endpoint_id}", data=body,
                           headers=signed(secret, body, "msg_dump"), timeout=10)  # fmt: skip
    claim_in_browserless_session(url, answer.json()["claim_url"], sandbox, ANN)
    with db.connection_context():
        customer = Customer.get(Customer.email == "buyer@example.com")
        access, refresh = (
            crypto.decrypt(customer.access_token),
            crypto.decrypt(customer.refresh_token),
        )
        dump = _dump(database_url)
    assert len(access) > 20 and len(refresh) > 20
    assert access not in dump and refresh not in dump
    assert secret not in dump  # the webhook secret is encrypted too


def _dump(database_url):
    if database_url.startswith("sqlite"):
        return "\n".join(db.connection().iterdump())
    rows = []
    for table in db.get_tables():
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')
        rows.extend(repr(r) for r in cursor.fetchall())
    return "\n".join(rows)
