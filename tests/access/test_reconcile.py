"""Reconciliation (`access/reconcile.py`): with no gateway running, "Check every member now",
`flask --app wsgi reconcile` and the periodic job find drift and repair it, in batches."""

from tests.fixtures.app import csrf_from
from tests.fixtures.world import ANN, BOB, CLEO, GUILD, drain, role_id
from webapp import jobs
from webapp.access import reconcile
from webapp.db import db
from webapp.models import App


def _buyers(world, *users):
    world.automation("purchase", "assign_role", role="Pro")
    for n, user in enumerate(users):
        world.checkout.paid(f"ord_{n}", email=f"buyer{n}@example.com")
        world.claim(f"ord_{n}", user)
    drain()
    return role_id(world.sandbox, GUILD, "Pro")


def test_check_every_member_now_repairs_what_the_gateway_missed(world):
    pro = _buyers(world, ANN, BOB)
    world.sandbox.remove_role_by_hand(GUILD, ANN, pro)  # no gateway process is running
    url = f"/apps/{world.discord_app.id}"
    page = world.client.get(url).get_data(as_text=True)
    assert "Check every member now" in page
    panel = world.client.post(f"{url}/members", headers={"HX-Request": "true",
                                                          "X-CSRFToken": csrf_from(page)})  # fmt: skip
    html = panel.get_data(as_text=True)
    assert "Checking members: 0 of 2" in html and 'hx-trigger="load delay:1s"' in html
    drain()
    assert world.member_roles(ANN) == ["Pro"] and world.member_roles(BOB) == ["Pro"]
    done = world.client.get(f"{url}/members", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Last check: 2 member(s) checked, 1 role(s) given back" in done
    assert "hx-trigger" not in done


def test_batches_cover_every_member_and_only_live_grants_count(world, monkeypatch):
    monkeypatch.setattr(reconcile, "BATCH", 1)
    pro = _buyers(world, ANN, BOB, CLEO)
    world.checkout.refunded("ord_2")  # Cleo's order no longer holds anything
    drain()
    for user in (ANN, BOB):
        world.sandbox.remove_role_by_hand(GUILD, user, pro)
    with db.connection_context():
        app = App.get_by_id(world.discord_app.id)
        assert reconcile.members(app) == sorted([ANN, BOB])
        reconcile.start(app)
    drain(times=6)
    assert world.member_roles(ANN) == ["Pro"] and world.member_roles(BOB) == ["Pro"]
    with db.connection_context():
        assert reconcile.progress(app.id) == {"total": 2, "done": 2, "repaired": 2,
                                              "running": False}  # fmt: skip


def test_the_cli_checks_now_and_names_what_it_did(world):
    pro = _buyers(world, ANN)
    world.sandbox.remove_role_by_hand(GUILD, ANN, pro)
    result = world.app.test_cli_runner().invoke(args=["reconcile"])
    assert result.exit_code == 0, result.output
    assert "1 checked, 1 repair(s) queued" in result.output
    drain()
    assert world.member_roles(ANN) == ["Pro"]


def test_the_reconciliation_is_periodic_unless_turned_off(world, monkeypatch):
    from webapp.services import settings

    assert jobs.RECONCILE in [p.kind for p in jobs.periodic()]
    every = next(p.interval for p in jobs.periodic() if p.kind == jobs.RECONCILE)
    assert every == 6 * 3600
    monkeypatch.setattr(settings(), "reconcile_every", 0)
    assert jobs.RECONCILE not in [p.kind for p in jobs.periodic()]


def test_the_reconciliation_keeps_to_its_share_of_the_global_rate(world, monkeypatch):
    from webapp.services import get_redis, settings

    monkeypatch.setattr(settings(), "discord_global_limit", 10)
    clock = {"now": 1_000_000.2}
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(reconcile.time, "time", lambda: clock["now"])
    monkeypatch.setattr(reconcile.time, "sleep", sleep)
    for _ in range(8):  # 80 % of 10 per second
        reconcile._pace(get_redis())
    assert slept == []
    assert reconcile._pace(get_redis()) is True  # the ninth waits for the next second
    assert int(clock["now"]) == 1_000_001 and abs(sum(slept) - 0.8) < 1e-6


def test_a_batch_stops_for_a_waiting_purchase_and_goes_on_after_it(world):
    from webapp.services import get_redis

    _buyers(world, ANN, BOB, CLEO)
    waiting = jobs.queue(jobs.ACTIONS).key
    with db.connection_context():
        app = App.get_by_id(world.discord_app.id)
        reconcile.start(app)
        get_redis().rpush(waiting, "a-purchase-job")  # what a webhook queued meanwhile
        maintenance = jobs.queue(jobs.MAINTENANCE)
        first = maintenance.jobs[0]
        maintenance.remove(first)  # run here, by hand, instead
        assert reconcile.run_batch(app.id, *first.args[1:]) == 1  # one member, then it yields
        get_redis().lrem(waiting, 0, "a-purchase-job")
        assert reconcile.progress(app.id)["done"] == 1
    drain()
    with db.connection_context():
        assert reconcile.progress(app.id) == {"total": 3, "done": 3, "repaired": 0,
                                              "running": False}  # fmt: skip
