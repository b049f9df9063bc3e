"""Seller accounts through the real pages."""

from tests.fixtures.app import PASSWORD, csrf_from
from webapp.db import db
from webapp.models import Seller


def test_signup_logs_the_seller_in_and_shows_the_navigation(client, auth):
    response = auth.signup("ann@example.com")
    assert response.status_code == 302
    page = client.get("/overview").get_data(as_text=True)
    for item in ("Overview", "Automation", "Apps", "Products", "Orders", "Settings"):
        assert f">{item}<" in page
    assert "ann@example.com" in page


def test_signup_stores_an_argon2_hash_not_the_password(client, auth):
    auth.signup("ann@example.com")
    with db.connection_context():
        seller = Seller.get(Seller.email == "ann@example.com")
    assert seller.password_hash.startswith("$argon2")
    assert PASSWORD not in seller.password_hash


def test_signup_refuses_a_taken_email_with_a_sentence(client, auth, make_seller):
    make_seller("ann@example.com")
    response = auth.signup("ANN@example.com")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_signup_says_what_is_wrong_next_to_each_field(client):
    token = csrf_from(client.get("/signup").get_data(as_text=True))
    page = client.post(
        "/signup", data={"email": "nope", "password": "short", "confirm": "x", "csrf_token": token}
    ).get_data(as_text=True)
    assert "Invalid email address." in page
    assert "Use at least 10 characters." in page
    assert "The passwords differ." in page


def test_wrong_password_is_refused_with_a_clear_message(client, auth, make_seller):
    make_seller("ann@example.com")
    response = auth.login("ann@example.com", "wrong password!")
    assert response.status_code == 401
    assert "do not match an account" in response.get_data(as_text=True)
    assert client.get("/overview").status_code == 302


def test_login_then_logout(client, auth, make_seller):
    make_seller("ann@example.com")
    assert auth.login("ann@example.com").status_code == 302
    assert client.get("/overview").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/overview").headers["Location"].startswith("/login")


def test_login_gives_a_new_session_cookie(client, auth, make_seller):
    make_seller("ann@example.com")
    client.get("/login")
    before = client.get_cookie("session").value
    auth.login("ann@example.com")
    assert client.get_cookie("session").value != before


def test_login_ignores_a_next_parameter_that_leaves_the_site(client, make_seller):
    make_seller("ann@example.com")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=//evil.example/",
        data={"email": "ann@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/overview"


def test_change_password_logs_out_other_sessions(app, client, auth):
    auth.signup("ann@example.com")
    other = app.test_client()
    from tests.fixtures.app import Auth

    Auth(other).login("ann@example.com")
    assert other.get("/overview").status_code == 200
    token = auth.csrf("/settings/account")
    response = client.post(
        "/settings/account",
        data={
            "current": PASSWORD,
            "new": "a new long password",
            "confirm": "a new long password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert client.get("/overview").status_code == 200
    assert other.get("/overview").status_code == 302
    assert auth.logout().status_code == 302
    assert auth.login("ann@example.com", "a new long password").status_code == 302


def test_change_password_refuses_a_wrong_current_password(client, auth):
    auth.signup("ann@example.com")
    token = auth.csrf("/settings/account")
    response = client.post(
        "/settings/account",
        data={
            "current": "not it at all",
            "new": "a new long password",
            "confirm": "a new long password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "current password is not right" in response.get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(client, auth, make_seller):
    make_seller("ann@example.com")
    response = client.post("/login", data={"email": "ann@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/overview").status_code == 302


def test_an_htmx_post_with_a_wrong_csrf_header_is_refused(client, auth):
    auth.signup("ann@example.com")
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": "forged"})
    assert response.status_code == 400
    assert client.get("/overview").status_code == 200


def test_logout_by_get_does_nothing(client, auth):
    auth.signup("ann@example.com")
    assert client.get("/logout").status_code == 405
    assert client.get("/overview").status_code == 200


def test_login_brute_force_is_rate_limited_with_a_clear_page(app_config, redis_conn):
    from tests.fixtures.app import empty_tables
    from webapp import create_app

    empty_tables()
    app_config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = create_app(app_config).test_client()
    statuses = []
    for _ in range(5):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={"email": "x@example.com", "password": "guess", "csrf_token": token}
        )
        statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429, 429]
    assert "Too many attempts" in response.get_data(as_text=True)


def test_session_cookie_flags(client, auth):
    response = auth.signup("ann@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
