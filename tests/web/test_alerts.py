"""Seller alerts (`webapp/alerts.py`): a deleted role, a role above the bot, a kicked bot —
told by the gateway's server refresh — raise a banner on every dashboard page and one mail
through a real SMTP server (aiosmtpd); at most one mail an hour, a digest after that; fixed
before its mail, never mailed; refused by SMTP, mailed after the lease; fixed, gone."""

import email
import email.policy
import html
from datetime import timedelta

from tests.fixtures.world import GUILD, drain, role_id
from webapp import alerts, jobs
from webapp.db import db, utcnow
from webapp.models import Alert

SELLER = "seller@example.com"


def told_by_the_gateway():
    """What the gateway process does on GUILD_ROLE_DELETE / UPDATE / GUILD_DELETE."""
    jobs.enqueue_server_refresh(GUILD)
    drain()


def banner(world, path="/overview"):
    page = html.unescape(world.client.get(path).get_data(as_text=True))
    if "Needs your attention" not in page:
        return ""
    return page.split('<section class="alerts"', 1)[1].split("</section>", 1)[0]


def mails_to_seller(inbox):
    """The seller's mails: subject and body, decoded."""
    parsed = [email.message_from_string(m, policy=email.policy.default) for m in inbox.messages]
    return [f"{m['Subject']}\n{m.get_content()}" for m in parsed if m["To"] == SELLER]


def active():
    with db.connection_context():
        return list(Alert.select().where(Alert.resolved_at.is_null()))


def test_a_deleted_role_alerts_the_seller_once_on_every_page_and_by_mail(inbox, world):
    world.automation("purchase", "assign_role", role="Pro")
    world.sandbox.delete_role(GUILD, role_id(world.sandbox, GUILD, "Pro"))
    told_by_the_gateway()
    told_by_the_gateway()  # told twice: still one alert, one mail
    shown = banner(world)
    assert "its role “Pro” was deleted in Discord. Choose another role for it." in shown
    assert f'href="/apps/{world.discord_app.id}"' in shown and "Fix it" in shown
    assert "was deleted in Discord" in banner(world, "/orders/")
    (mailed,) = mails_to_seller(inbox)
    assert "was deleted in Discord" in mailed and f"/apps/{world.discord_app.id}" in mailed


def test_fixing_the_automation_takes_the_alert_away(inbox, world):
    automation = world.automation("purchase", "assign_role", role="Pro")
    world.sandbox.delete_role(GUILD, role_id(world.sandbox, GUILD, "Pro"))
    told_by_the_gateway()
    assert len(active()) == 1
    from tests.fixtures.app import csrf_from

    page = world.client.get(f"/apps/{world.discord_app.id}").get_data(as_text=True)
    world.client.post(f"/apps/{world.discord_app.id}/automations/{automation.id}/delete",
                      data={"csrf_token": csrf_from(page)})  # fmt: skip
    assert active() == [] and banner(world) == ""


def test_a_role_above_the_bot_and_a_kicked_bot_are_said_in_words(inbox, world):
    world.automation("purchase", "assign_role", role="Pro")
    world.sandbox.move_bot_role(GUILD, 1)  # below Pro
    told_by_the_gateway()
    assert "its role “Pro” sits above the bot's role" in banner(world)
    world.sandbox.remove_bot(GUILD)
    told_by_the_gateway()
    shown = banner(world)
    assert "“Community” is broken" in shown and "bot is no longer on this server" in shown
    assert "sits above" not in shown  # the broken app says it all; the rest waits with it
    world.sandbox.install_bot(GUILD)
    told_by_the_gateway()
    assert banner(world) == ""


def test_at_most_one_mail_an_hour_then_a_digest(inbox, world):
    world.automation("purchase", "assign_role", role="Pro")
    world.automation("purchase", "assign_role", role="Member")
    world.sandbox.delete_role(GUILD, role_id(world.sandbox, GUILD, "Pro"))
    told_by_the_gateway()
    assert len(mails_to_seller(inbox)) == 1
    world.sandbox.delete_role(GUILD, role_id(world.sandbox, GUILD, "Member"))
    told_by_the_gateway()
    assert len(mails_to_seller(inbox)) == 1  # within the hour: it waits
    assert "“Member”" in banner(world)  # the banner says it at once
    with db.connection_context():  # an hour goes by
        for alert in Alert.select():
            alert.mailed_at = alert.mailed_at and alert.mailed_at - timedelta(hours=1)
            alert.mail_due_at = alert.mail_due_at and utcnow()
            alert.save()
    drain()
    first, second = mails_to_seller(inbox)
    assert "“Member”" in second and "“Pro”" not in second  # only what is new since


def test_a_problem_fixed_before_its_mail_is_not_mailed(inbox, world):
    problem = alerts.Problem("app1", "The app is broken.", "/apps/1")
    with db.connection_context():
        assert alerts.sync(world.seller.id, "app1", [problem]) == ["app1"]
        assert alerts.sync(world.seller.id, "app1", [problem]) == []  # already raised
        alerts.sync(world.seller.id, "app1", [])  # fixed before the mailer ran
        assert alerts.mail_due() == 0
    assert active() == [] and inbox.messages == []


def test_a_refused_mail_is_sent_after_its_lease(inbox, world):
    world.automation("purchase", "assign_role", role="Pro")
    world.sandbox.delete_role(GUILD, role_id(world.sandbox, GUILD, "Pro"))
    inbox.refuse = True
    told_by_the_gateway()
    assert inbox.messages == []
    inbox.refuse = False
    drain()
    assert inbox.messages == []  # still leased: no retry storm
    with db.connection_context():
        Alert.update(mail_due_at=utcnow()).execute()  # the lease has run out
    drain()
    assert len(mails_to_seller(inbox)) == 1


def test_alerts_are_the_sellers_own(world, make_seller):
    world.automation("purchase", "assign_role", role="Pro")
    world.sandbox.delete_role(GUILD, role_id(world.sandbox, GUILD, "Pro"))
    told_by_the_gateway()
    other = make_seller("other@example.com")
    with db.connection_context():
        assert alerts.active(other.id) == []
        assert len(alerts.active(world.seller.id)) == 1


def test_actions_failed_for_good_alert_the_seller_in_the_bell_and_by_mail(inbox, world):
    world.automation("purchase", "assign_role", role="Pro")
    world.sandbox.move_bot_role(GUILD, 1)  # Pro above the bot: Discord answers 50013
    world.checkout.paid("ord_1", email="ann@example.com")
    world.claim("ord_1", "200000000000000001")
    drain()
    with db.connection_context():
        failed = [a for a in active() if a.key == "failed"]
    assert failed and failed[0].message.startswith("1 Discord action(s) failed for good")
    bell = html.unescape(world.client.get("/alerts").get_data(as_text=True))
    assert "1 Discord action(s) failed for good" in bell and 'href="/orders/?status=failed"' in bell
    assert "need your attention" in bell  # the bell's count in the navigation
    listed = world.client.get("/orders/?status=failed").get_data(as_text=True)
    assert "ord_1" in listed
    assert any("failed for good" in m for m in mails_to_seller(inbox))
    world.sandbox.move_bot_role(GUILD, 99)  # the seller fixes it in Discord, then Retry
    order = world.order("ord_1")
    from tests.fixtures.app import csrf_from
    from webapp.models import Action

    with db.connection_context():
        action = Action.get(Action.status == "failed")
    token = csrf_from(world.client.get(f"/orders/{order.id}").get_data(as_text=True))
    world.client.post(f"/orders/{order.id}/actions/{action.id}/retry", data={"csrf_token": token})
    assert [a for a in active() if a.key == "failed"] == []
    drain()
    bell = html.unescape(world.client.get("/alerts").get_data(as_text=True))
    assert "fixed" in bell
