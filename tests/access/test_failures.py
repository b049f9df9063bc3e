"""Discord errors on the outbox: permanent ones fail with a sentence, others retry (SPEC §7)."""

import pytest

from tests.fixtures.world import ANN, GUILD, drain
from webapp.db import db, utcnow
from webapp.models import Action
from webapp.services import settings
from workers.actions import run_action


def the_action(world):
    with db.connection_context():
        return Action.get(Action.order == world.order("ord_1").id)


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        (50013, 403, "drag the Rolegate bot's role above"),
        (50001, 403, "Reconnect the app"),
        (10004, 404, "Reconnect the app"),
        (10011, 404, "Choose another role"),
        (40007, 403, "Unban them"),
        (30001, 400, "100 servers"),
        (340015, 403, "onboarding"),
    ],
)
def test_each_permanent_error_ends_as_a_failed_action_with_its_sentence(
    world, sandbox, code, status, words
):
    sandbox.add_member(GUILD, ANN)
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    sandbox.fault(method="PUT", path="/roles/", status=status, code=code, count=1)
    drain()
    action = the_action(world)
    assert action.status == "failed" and action.attempts == 1
    assert action.last_error_code == code and words in action.last_error
    # No retry loop: running the job again does nothing, and nothing was scheduled.
    calls = sandbox.stats()["requests"]
    assert run_action(action.id) == "not runnable"
    assert sandbox.stats()["requests"] == calls
    page = world.client.get(f"/orders/{action.order_id}").get_data(as_text=True)
    assert f"Discord error {code}" in page and "Retry" in page


def test_the_claim_page_explains_a_ban_in_the_buyers_words(world, sandbox):
    sandbox.ban(GUILD, ANN)
    world.automation("purchase", "add_to_server")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    drain()
    page = world.client.get(f"/claim/{world.order('ord_1').claim_token}").get_data(as_text=True)
    assert "banned from this server" in page


def test_a_5xx_ends_in_success_after_a_retry(world, sandbox):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    sandbox.fault(method="GET", path="/members/", status=500, count=1)
    drain()
    assert the_action(world).status == "done"
    assert world.member_roles(ANN) == ["Pro"]


def test_a_lasting_outage_is_retried_later_with_backoff_then_succeeds(world, sandbox):
    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    sandbox.fault(method="GET", path="/members/", status=503, count=3)
    drain()
    action = the_action(world)
    assert action.status == "queued" and action.attempts == 1
    wait = (action.next_attempt_at - utcnow()).total_seconds()
    assert settings().backoff[0] == 60
    assert 55 < wait <= 60
    assert "retries automatically" in action.last_error
    # The scheduled retry comes due (here: we move it to now) and succeeds.
    with db.connection_context():
        Action.update(next_attempt_at=utcnow()).where(Action.id == action.id).execute()
    assert run_action(action.id) == "done"
    assert world.member_roles(ANN) == ["Pro"]


def test_retry_button_runs_a_failed_action_again(world, sandbox):
    from tests.fixtures.app import csrf_from

    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    sandbox.fault(method="GET", path="/members/", status=403, code=50013, count=1)
    drain()
    action = the_action(world)
    assert action.status == "failed"
    page = world.client.get(f"/orders/{action.order_id}").get_data(as_text=True)
    world.client.post(
        f"/orders/{action.order_id}/actions/{action.id}/retry", data={"csrf_token": csrf_from(page)}
    )
    drain()
    assert the_action(world).status == "done"
    assert world.member_roles(ANN) == ["Pro"]


def test_a_revoked_buyer_token_is_refreshed_once(world, sandbox):
    world.automation("purchase", "add_to_server")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    sandbox.user(ANN, tokens="expire")
    drain()
    assert the_action(world).status == "done"
    assert world.member_roles(ANN) == []


def test_a_buyer_whose_authorisation_is_gone_is_asked_to_link_again(world, sandbox):
    world.automation("purchase", "add_to_server")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    sandbox.user(ANN, tokens="revoke")
    drain()
    action = the_action(world)
    assert action.status == "waiting_for_link"
    world.claim("ord_1", ANN)
    drain()
    assert the_action(world).status == "done"


def test_the_retry_failed_command_queues_every_failed_action_again(world, sandbox, app):
    from click.testing import CliRunner

    world.automation("purchase", "assign_role", role="Pro")
    world.checkout.paid("ord_1")
    world.claim("ord_1", ANN)
    sandbox.fault(method="GET", path="/members/", status=403, code=50013, count=1)
    drain()
    assert the_action(world).status == "failed"
    result = CliRunner().invoke(app.cli, ["retry-failed"])
    assert result.exit_code == 0 and "queued again: 1" in result.output
    drain()
    assert the_action(world).status == "done"


def test_the_sweep_command_reports_what_it_repaired(world, app):
    from click.testing import CliRunner

    result = CliRunner().invoke(app.cli, ["sweep"])
    assert result.exit_code == 0
    assert "expired: 0, rescheduled: 0, requeued: 0" in result.output
