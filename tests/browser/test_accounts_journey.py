"""A seller in Chromium: sign up, log out, a wrong password, log in, the navigation."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def test_seller_signs_up_logs_out_fails_a_login_logs_in_and_sees_the_navigation(live_server, page):
    page.goto(live_server.url)
    expect(page.get_by_role("heading", name="Create your Rolegate account")).to_be_visible()
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()

    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "That email and password do not match an account."
    )

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Overview", "Apps", "Products", "Orders", "Settings"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav.get_by_text("Automation")).to_be_visible()
    nav.get_by_role("link", name="Apps").click()
    expect(page).to_have_url(re.compile(r"/apps/$"))
    expect(page.get_by_role("link", name="+ New App")).to_be_visible()
