"""OAuth callbacks that do not match, and tokens at rest."""

from urllib.parse import urlsplit

import pytest
import requests
from click.testing import CliRunner
from cryptography.fernet import Fernet

from tests.fixtures.app import csrf_from
from tests.fixtures.world import ANN
from webapp import crypto
from webapp.db import db
from webapp.models import App, Customer


def start_buyer_oauth(world, order_id="ord_1"):
    """The claim's redirect to the sandbox, and the sandbox's answer (not yet followed back)."""
    world.checkout.paid(order_id)
    token = world.order(order_id).claim_token
    page = world.client.get(f"/claim/{token}").get_data(as_text=True)
    world.sandbox.config(auto_approve={"user_id": ANN})
    started = world.client.post(f"/claim/{token}/connect", data={"csrf_token": csrf_from(page)})
    consent = requests.get(started.headers["Location"], allow_redirects=False, timeout=5)
    return urlsplit(consent.headers["Location"])


def linked():
    with db.connection_context():
        return Customer.select().where(Customer.discord_user_id.is_null(False)).count()


@pytest.mark.parametrize("how", ["wrong", "missing"])
def test_a_callback_with_a_wrong_or_missing_state_is_an_error_page_and_stores_nothing(world, how):
    back = start_buyer_oauth(world)
    query = (
        back.query.replace("state=", "state=forged")
        if how == "wrong"
        else "&".join(p for p in back.query.split("&") if not p.startswith("state="))
    )
    response = world.client.get(f"{back.path}?{query}")
    assert response.status_code == 400
    assert "Discord sign-in expired" in response.get_data(as_text=True)
    assert linked() == 0


def test_a_callback_opened_in_another_browser_is_refused(world, app):
    back = start_buyer_oauth(world)
    stranger = app.test_client()
    response = stranger.get(f"{back.path}?{back.query}")
    assert response.status_code == 400
    assert linked() == 0


def test_a_reused_code_is_refused(world):
    back = start_buyer_oauth(world)
    assert world.client.get(f"{back.path}?{back.query}").status_code == 302
    assert linked() == 1
    with world.client.session_transaction() as session:
        session["discord_oauth_state"] = dict(p.split("=") for p in back.query.split("&"))["state"]
        session["claiming_order_token"] = world.order("ord_1").claim_token
    again = world.client.get(f"{back.path}?{back.query}")
    assert again.status_code == 400
    assert "did not accept the authorisation" in again.get_data(as_text=True)


def test_a_bot_install_callback_with_a_forged_state_connects_nothing(world):
    token = csrf_from(world.client.get("/apps/new").get_data(as_text=True))
    created = world.client.post("/apps/new", data={"name": "Other", "csrf_token": token})
    app_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    started = world.client.post(f"/apps/{app_id}/connect", data={"csrf_token": token})
    consent = requests.get(started.headers["Location"], allow_redirects=False, timeout=5)
    back = urlsplit(consent.headers["Location"])
    response = world.client.get(f"{back.path}?{back.query.replace('state=', 'state=x')}")
    assert response.status_code == 400
    with db.connection_context():
        assert App.get_by_id(app_id).status == "pending"


def test_rotating_the_token_key_re_encrypts_every_token(world, app):
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    with db.connection_context():
        before = Customer.get(Customer.discord_user_id == ANN)
        plain = crypto.decrypt(before.access_token)
    new_key = Fernet.generate_key().decode()
    old_key = app.extensions["rolegate"].token_key
    crypto.configure(f"{new_key},{old_key}")  # new key first, old one still decrypts
    result = CliRunner().invoke(app.cli, ["rotate-token-key"], obj=None)
    assert result.exit_code == 0, result.output
    assert "re-encrypted rows" in result.output
    crypto.configure(new_key)  # the old key is gone: everything must read with the new one
    with db.connection_context():
        after = Customer.get(Customer.discord_user_id == ANN)
        assert crypto.decrypt(after.access_token) == plain
        assert after.access_token != before.access_token
    crypto.configure(old_key)
