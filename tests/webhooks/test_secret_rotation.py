"""Rotating the webhook secret: every old secret keeps working for its own 24 hours."""

from datetime import timedelta

from tests.fixtures.checkout import Checkout
from webapp import crypto
from webapp.db import db, utcnow
from webapp.models import Seller
from webapp.webhooks import secrets


def test_rotating_twice_in_a_day_keeps_the_first_secret_valid(client, auth, seller):
    auth.login()
    first = Checkout(client, seller)
    for _ in range(2):
        client.post("/settings/webhooks/rotate", data={"csrf_token": auth.csrf()})
    with db.connection_context():
        fresh = Seller.get_by_id(seller.id)
        assert len(secrets.valid_secrets(fresh)) == 3
    assert first.paid("ord_first_secret").status_code == 202
    current = Checkout(client, fresh)
    assert current.paid("ord_current_secret").status_code == 202
    with db.connection_context():
        later = utcnow() + timedelta(hours=25)
        assert secrets.valid_secrets(fresh, now=later) == [crypto.decrypt(fresh.webhook_secret)]


def test_a_secret_stored_before_the_list_format_still_verifies_for_a_day(client, seller):
    with db.connection_context():
        old = seller.webhook_secret
        Seller.update(
            webhook_previous_secret=old, webhook_rotated_at=utcnow() - timedelta(hours=2),
            webhook_secret=crypto.encrypt("whsec_" + "A" * 32),
        ).execute()  # fmt: skip
        fresh = Seller.get_by_id(seller.id)
        assert crypto.decrypt(old) in secrets.valid_secrets(fresh)
        assert crypto.decrypt(old) not in secrets.valid_secrets(
            fresh, now=utcnow() + timedelta(hours=23)
        )
