"""The rules of access hold under every sequence (SPEC §4 rule 12).

A hypothesis state machine draws payments, refunds, disputes and won disputes, renewals,
ends of subscriptions (also before their payment), ends of access reached by time, Discord
account switches, replayed webhooks and worker crashes; it sends each through the real doors
(signed webhooks to the receiver, the buyer's claim flow, RQ workers against the sandbox)
and, once the work has settled, compares every account on the sandbox's server with the
reference model (`reference.py`).

CI runs RULES_EXAMPLES examples (default 12, of up to RULES_STEPS steps) with a fixed seed on
each database; `make test-deep` runs many more with fresh seeds.
"""

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.fixtures.app import empty_tables
from tests.fixtures.checkout import Checkout
from tests.fixtures.world import ANN, BOB, CLEO, GUILD, World, drain, role_id
from tests.model.reference import Model
from webapp import jobs
from webapp.access import sweeper
from webapp.db import db, utcnow
from webapp.discord.http import DiscordHTTP
from webapp.models import Action, Order, Product, Subscription
from webapp.services import get_redis

ACCOUNTS = {"ann": ANN, "bob": BOB, "cleo": CLEO}
EXAMPLES = int(os.environ.get("RULES_EXAMPLES", "12"))
STEPS = int(os.environ.get("RULES_STEPS", "14"))
DEEP = bool(os.environ.get("RULES_DEEP"))
VERBOSITY = Verbosity.verbose if os.environ.get("RULES_VERBOSE") else Verbosity.normal
ORDERS = 4


class Crash(BaseException):
    """A worker dies right after Discord answered (not an exception any code catches)."""


def _role_names(sandbox):
    names = {r["id"]: r["name"] for r in sandbox.guild(GUILD)["roles"]}
    members = {m["user"]["id"]: m for m in sandbox.guild(GUILD)["members"]}
    out = {}
    for name, uid in ACCOUNTS.items():
        member = members.get(uid)
        out[name] = None if member is None else sorted(names[r] for r in member["roles"])
    return out


def settle(crash=False, monkeypatch=None):
    """Run every job until nothing is queued or running; a crashed worker's action is
    handed back by the sweeper; a retry or a deferral is fired at once (time moves on)."""
    if crash:
        _arm_crash(monkeypatch)
    for _ in range(60):
        try:
            drain(1)
        finally:
            if crash:
                monkeypatch.undo()
                crash = False
        with db.connection_context():
            now = utcnow()
            running = Action.select().where(Action.status == "running").exists()
            if running:
                sweeper.requeue_lost_actions(now + timedelta(minutes=10))
            waiting = [a.id for a in Action.select(Action.id).where(Action.status == "queued")]
            if not waiting and not running:
                return
            if waiting:
                Action.update(next_attempt_at=now - timedelta(seconds=1), job_id="").where(
                    Action.id.in_(waiting)
                ).execute()
                jobs.enqueue_actions_now(waiting)
    raise AssertionError("the outbox did not settle")


def _arm_crash(monkeypatch):
    """The next Discord write succeeds, and the worker dies before it records it."""
    fired = []
    for name in ("add_member", "add_role", "remove_role", "remove_member"):
        real = getattr(DiscordHTTP, name)

        def dying(self, *args, _real=real, **kwargs):
            result = _real(self, *args, **kwargs)
            if not fired:
                fired.append(1)
                raise Crash("worker killed after Discord answered")
            return result

        monkeypatch.setattr(DiscordHTTP, name, dying)


def build_machine(app, sandbox, monkeypatch_factory):
    """The state machine class, bound to this test's app and sandbox."""

    class AccessRules(RuleBasedStateMachine):
        """Events through the real doors, compared with the reference model."""

        def __init__(self):
            super().__init__()
            empty_tables()
            get_redis().flushdb()
            sandbox.reset()
            sandbox.add_member(GUILD, BOB, roles=[role_id(sandbox, GUILD, "Member")])
            self.client = app.test_client()
            from tests.fixtures.app import Auth

            self.world = World(app, self.client, Auth(self.client), sandbox)
            with db.connection_context():
                seller = self.world.seller.id
                a = Product.create(seller=seller, external_id="A", name="A", access_days=30)
                b = Product.create(seller=seller, external_id="B", name="B")
            w = self.world
            w.automation("purchase", "assign_role", role="Pro", product=a.id)
            w.automation("expiry", "revoke_role", role="Pro", product=a.id)
            w.automation("expiry", "assign_role", role="Alumni", product=a.id)
            w.automation("purchase", "assign_role", role="Member", product=b.id)
            w.automation("expiry", "revoke_role", role="Member", product=b.id)
            w.automation("expiry", "remove_from_server", product=b.id)
            self.checkout = Checkout(self.client, self.world.seller)
            self.sent = []
            self.renewals = 0
            self.crash_next = False
            self.model = None
            self.specs = None

        @initialize(
            specs=st.lists(
                st.tuples(st.sampled_from("AB"), st.booleans()), min_size=ORDERS, max_size=ORDERS
            )
        )
        def orders(self, specs):
            self.specs = specs
            self.model = Model.start(specs)

        # Sending events.

        def _send(self, kind, data):
            body = json.dumps({"type": kind, "data": data})
            headers = self.checkout.sign(body)
            response = self.checkout.post(body, headers)
            assert response.status_code == 202, response.get_data(as_text=True)
            self.sent.append((body, headers))
            self._settle()

        def _settle(self):
            monkeypatch = monkeypatch_factory() if self.crash_next else None
            settle(self.crash_next, monkeypatch)
            self.crash_next = False

        def _paid_data(self, i):
            product, subscription = self.specs[i]
            now = datetime.now(UTC)
            return {
                "order_id": f"ord_{i}", "product_id": product, "product_name": product,
                "customer": {"email": "buyer@example.com", "name": "Buyer"},
                "paid_at": now.isoformat(),
                "subscription_id": f"sub_{i}" if subscription else None,
                "period_end": (now + timedelta(days=30)).isoformat() if subscription else None,
            }  # fmt: skip

        @rule(i=st.integers(0, ORDERS - 1), then=st.none() | st.sampled_from(sorted(ACCOUNTS)))
        def pay(self, i, then):
            """A payment; often the buyer opens the claim link straight after."""
            self._send("order.paid", self._paid_data(i))
            self.model.pay(i)
            if then is not None:
                self.link(then)

        @rule(i=st.integers(0, ORDERS - 1), how=st.sampled_from(["refund", "dispute", "won"]))
        def take_back(self, i, how):
            """A refund, a chargeback opened, or a chargeback the seller won."""
            kind = {"refund": "order.refunded", "dispute": "order.disputed",
                    "won": "order.dispute_won"}[how]  # fmt: skip
            self._send(kind, {"order_id": f"ord_{i}"})
            {"refund": self.model.refund, "dispute": self.model.dispute,
             "won": self.model.dispute_won}[how](i)  # fmt: skip

        @rule(i=st.integers(0, ORDERS - 1), what=st.sampled_from(["renew", "old renewal", "end"]))
        def subscription(self, i, what):
            """The subscription renews (or an old renewal arrives late), or it ends now."""
            if not self.specs[i][1]:
                return
            sub = f"sub_{i}"
            if what == "end":
                ended = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
                self._send("subscription.ended", {"subscription_id": sub, "ended_at": ended})
                self.model.end_subscription(i)
                return
            if what == "renew":
                self.renewals += 1
                period_end = datetime.now(UTC) + timedelta(days=30 + self.renewals)
            else:
                period_end = datetime.now(UTC) - timedelta(days=365)
            self._send("subscription.renewed",
                       {"subscription_id": sub, "period_end": period_end.isoformat()})  # fmt: skip
            if what == "renew":
                self.model.renew(i)

        @rule(i=st.integers(0, ORDERS - 1))
        def time_passes(self, i):
            """The order's access end is reached: its whole timeline moves into the past."""
            with db.connection_context():
                order = Order.get_or_none(Order.external_id == f"ord_{i}")
                if order is None or order.paid_at is None or order.access_ends_at is None:
                    return
                if order.status not in ("active", "disputed"):
                    return
                shift = order.access_ends_at - utcnow() + timedelta(seconds=1)
                if shift <= timedelta(0):
                    shift = timedelta(0)
                Order.update(
                    paid_at=order.paid_at - shift, access_ends_at=order.access_ends_at - shift,
                    period_end=order.period_end - shift if order.period_end else None,
                ).where(Order.id == order.id).execute()  # fmt: skip
                if order.subscription_id:
                    sub = Subscription.get_or_none(
                        Subscription.external_id == order.subscription_id
                    )
                    if sub and sub.period_end:
                        Subscription.update(period_end=sub.period_end - shift).where(
                            Subscription.id == sub.id
                        ).execute()
                sweeper.run_due_expiries(utcnow())
            self._settle()
            self.model.time_is_up(i)

        @rule(account=st.sampled_from(sorted(ACCOUNTS)))
        def switch_account(self, account):
            """The buyer links (another) Discord account from a claim link."""
            self.link(account)

        def link(self, account):
            """The buyer opens a claim link and authorises this Discord account."""
            with db.connection_context():
                order = (
                    Order.select()
                    .where(Order.customer.is_null(False) & Order.status.in_(("active", "expired")))
                    .first()
                )
            if order is None:
                return
            response = self.world.claim(order.external_id, ACCOUNTS[account])
            assert response.status_code == 302, response.get_data(as_text=True)
            self._settle()
            self.model.link(account)

        @precondition(lambda self: self.sent)
        @rule(data=st.data())
        def replay(self, data):
            """A webhook delivered again, byte for byte: 200, and nothing changes."""
            body, headers = data.draw(st.sampled_from(self.sent))
            response = self.checkout.post(body, headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            self._settle()

        @rule()
        def crash_a_worker(self):
            """The next Discord call of the next event's work kills its worker."""
            self.crash_next = True

        @invariant()
        def discord_matches_the_model(self):
            if self.model is None:
                return
            assert _role_names(sandbox) == self.model.expected(ACCOUNTS), self._story()

        @invariant()
        def nothing_failed_or_stuck(self):
            if self.model is None:
                return
            with db.connection_context():
                bad = list(
                    Action.select().where(Action.status.in_(("failed", "running", "queued")))
                )
            assert not bad, [(a.id, a.kind, a.status, a.last_error) for a in bad]

        def _story(self):
            with db.connection_context():
                actions = [(a.id, a.order_id, a.trigger, a.kind, a.discord_user_id, a.status,
                            a.result) for a in Action.select().order_by(Action.id)]  # fmt: skip
            return f"model grants {self.model.grants}\nactions {actions}"

    return AccessRules


@pytest.fixture
def many_switches(app_config):
    """The model switches accounts far more often than the 3 in 30 days a buyer gets."""
    app_config["ACCOUNT_SWITCH_LIMIT"] = 100_000


@pytest.mark.slow
def test_the_rules_of_access_hold_under_every_sequence(many_switches, app, sandbox):
    """Random sequences of events end where the reference model says (SPEC §4 rule 12)."""
    app.config["SERVER_NAME"] = None
    patches = []

    def monkeypatch_factory():
        mp = pytest.MonkeyPatch()
        patches.append(mp)
        return mp

    machine = build_machine(app, sandbox, monkeypatch_factory)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
            derandomize=not DEEP, database=None, verbosity=VERBOSITY,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
            if DEEP else [Phase.explicit, Phase.generate],
        ),
    )  # fmt: skip
    for mp in patches:
        mp.undo()
