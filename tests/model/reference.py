"""A small reference model of the rules of access (SPEC §4 rule 12).

Events go in, one at a time, in the order they *happened*; out comes what every Discord
account should hold: membership and roles. It knows nothing of queues, workers, crashes or
the database; the real system, which sees the same events delivered twice, out of order and
with crashes in between, must end in the same state. Each branch names its rule.

The world it describes (`tests/model/test_rules_model.py` builds the same one):
- Product "A": 30 days per payment; purchase gives Pro; its end takes Pro and gives Alumni.
- Product "B": no time limit (a subscription ends with its period); purchase gives Member;
  its end takes Member and removes the buyer from the server.
- Before anything, BOB is on the server with Member (his own, not Rolegate's).
"""

from dataclasses import dataclass, field

PURCHASE = {"A": ("Pro",), "B": ("Member",)}
# What the end of access of a product takes back: roles, and "member" for the membership.
UNDONE_AT_END = {"A": {"Pro"}, "B": {"Member", "member"}}
ALUMNI = {"A": "Alumni", "B": None}
MEMBER = "member"
PREEXISTING = {"bob": {"Member"}}


@dataclass
class OrderState:
    """What the model knows of one order."""

    product: str
    subscription: bool
    paid: bool = False
    status: str = "unpaid"  # unpaid | active | expired | refunded | disputed
    dispute: str = ""  # "" | open | won
    subscription_ended: bool = False
    time_is_up: bool = False  # its end of access was reached by time
    generation: int = 0


@dataclass
class Grant:
    """Something Rolegate gave (or found the buyer had: `pre`) for an order on an account."""

    order: int
    account: str
    thing: str  # a role name, or MEMBER
    via: str  # purchase | expiry (an alumni role)
    pre: bool


@dataclass
class Model:
    """The state of the world after the events told so far."""

    orders: dict
    account: str | None = None
    discord: dict = field(default_factory=dict)
    grants: list = field(default_factory=list)
    alumni_waiting: set = field(default_factory=set)

    @classmethod
    def start(cls, specs):
        """A world with these orders (product, is a subscription), none paid yet."""
        model = cls({i: OrderState(p, s) for i, (p, s) in enumerate(specs)})
        for account, roles in PREEXISTING.items():
            model.discord[account] = {"member": True, "roles": set(roles)}
        return model

    # What Discord shows.

    def _acct(self, account):
        return self.discord.setdefault(account, {"member": False, "roles": set()})

    def holds(self, account, thing):
        """True when the account has the thing on Discord."""
        state = self._acct(account)
        return state["member"] if thing == MEMBER else thing in state["roles"]

    def expected(self, accounts):
        """{account: None when not a member, else the sorted role names}."""
        out = {}
        for account in accounts:
            state = self._acct(account)
            out[account] = sorted(state["roles"]) if state["member"] else None
        return out

    # Grants and reference counts (rules 4 and 5).

    def _needed(self, g):
        order = self.orders[g.order]
        if g.account != self.account:
            return False  # rule 9: only the current account holds access
        if g.via == "expiry":
            return order.status not in ("refunded", "disputed")
        return order.status == "active"

    def _give(self, order_id, account, thing, via):
        """Rule 1 and 4: give a role (adding the member) or the membership."""
        if via == "expiry" and not self.holds(account, MEMBER):
            return  # rule 3: the alumni role is for members only
        targets = [thing] if via == "expiry" else [MEMBER, thing] if thing != MEMBER else [MEMBER]
        for t in targets:
            rolegate_has = any(
                g.account == account and g.thing == t and not g.pre for g in self.grants
            )
            pre = self.holds(account, t) and not rolegate_has
            if not any(
                g.order == order_id and g.account == account and g.thing == t for g in self.grants
            ):
                self.grants.append(Grant(order_id, account, t, via, pre))
        state = self._acct(account)
        state["member"] = True
        if thing != MEMBER:
            state["roles"].add(thing)

    def _undo(self, g):
        """Rules 4 and 5: take a grant back unless it was the buyer's or is still needed."""
        if g not in self.grants:
            return
        self.grants.remove(g)
        if g.pre:
            return  # rule 4: what the buyer had before stays
        others = [o for o in self.grants if o.account == g.account and self._needed(o)]
        if g.thing == MEMBER:
            if any(o.via == "purchase" for o in others):
                return  # rule 5: a live order still needs the membership (or a role there)
            self._acct(g.account).update(member=False, roles=set())
            self.grants = [o for o in self.grants if o.account != g.account]
            return
        if any(o.thing == g.thing for o in others):
            return  # rule 5: another live order still gives this role
        self._acct(g.account)["roles"].discard(g.thing)
        self.grants = [
            o for o in self.grants if not (o.account == g.account and o.thing == g.thing)
        ]

    # What orders do.

    def _purchase(self, order_id):
        if self.account is None:
            return  # rule 9: waits for the buyer to link Discord
        for role in PURCHASE[self.orders[order_id].product]:
            self._give(order_id, self.account, role, "purchase")

    def _end(self, order_id):
        """Rule 3: the order's access ends; its expiry automations run unless another live
        order of the same product continues the access."""
        order = self.orders[order_id]
        order.status = "expired"
        if any(
            o.status == "active" and o.product == order.product
            for i, o in self.orders.items()
            if i != order_id
        ):
            return
        undone = UNDONE_AT_END[order.product]
        for g in [g for g in self.grants if g.order == order_id and g.via == "purchase"]:
            if g.thing in undone and g.account == self.account:
                self._undo(g)
        if ALUMNI[order.product]:
            if self.account is None:
                self.alumni_waiting.add(order_id)
            else:
                self._give(order_id, self.account, ALUMNI[order.product], "expiry")

    def _take_back(self, order_id, status):
        """Rule 6: a refund or a dispute ends access at once and undoes everything the order
        gave, its alumni role included; no alumni role."""
        order = self.orders[order_id]
        order.status = status
        self.alumni_waiting.discard(order_id)
        for g in [g for g in self.grants if g.order == order_id]:
            self._undo(g)

    # Events.

    def pay(self, order_id):
        """order.paid"""
        order = self.orders[order_id]
        if order.paid:
            return  # rule 8: told twice
        order.paid = True
        if order.status in ("refunded", "disputed"):
            return  # rule 6: the refund or dispute came first
        if order.subscription_ended:
            order.status = "expired"  # rule 6: ended before its payment arrived: no access
            return
        order.status = "active"
        self._purchase(order_id)

    def refund(self, order_id):
        """order.refunded"""
        order = self.orders[order_id]
        if order.status == "refunded":
            return
        self._take_back(order_id, "refunded")

    def dispute(self, order_id):
        """order.disputed"""
        order = self.orders[order_id]
        if order.dispute or order.status == "refunded":
            return  # a dispute told twice, or closed already
        order.dispute = "open"
        if order.paid:
            self._take_back(order_id, "disputed")
        else:
            order.status = "disputed"

    def dispute_won(self, order_id):
        """order.dispute_won: rule 6, the access comes back (if its time is not up)."""
        order = self.orders[order_id]
        if order.dispute == "won" or order.status == "refunded":
            return
        was = order.status == "disputed"
        order.dispute = "won"
        if not was:
            return
        if not order.paid:
            order.status = "unpaid"
            return
        if order.time_is_up or order.subscription_ended:
            order.status = "expired"
            return
        order.status = "active"
        order.generation += 1
        self._purchase(order_id)

    def renew(self, order_id):
        """subscription.renewed with a newer period: rule 7, access extends or starts again."""
        order = self.orders[order_id]
        if not order.subscription or order.subscription_ended or not order.paid:
            return
        if order.status == "disputed":
            order.time_is_up = False
            return
        if order.status == "expired":
            order.status = "active"  # edge case settled: a renewal after the end restarts
            order.time_is_up = False
            order.generation += 1
            self._purchase(order_id)
        elif order.status == "active":
            order.time_is_up = False

    def end_subscription(self, order_id):
        """subscription.ended (now): rule 2, access ends now."""
        order = self.orders[order_id]
        if not order.subscription or order.subscription_ended:
            return
        order.subscription_ended = True
        if order.status == "active":
            order.time_is_up = True
            self._end(order_id)
        elif order.status == "disputed":
            order.time_is_up = True

    def time_is_up(self, order_id):
        """The order's end of access is reached: rule 2."""
        order = self.orders[order_id]
        order.time_is_up = True
        if order.status == "active":
            self._end(order_id)

    def link(self, account):
        """The buyer links a Discord account (rule 9): waiting work runs; a switch moves
        every grant, the alumni role included, and leaves nothing on the old account."""
        old, self.account = self.account, account
        if old is None:
            for i, order in self.orders.items():
                if order.status == "active":
                    self._purchase(i)
            for i in sorted(self.alumni_waiting):
                if self.orders[i].status == "expired":
                    self._give(i, account, ALUMNI[self.orders[i].product], "expiry")
            self.alumni_waiting.clear()
            return
        if old == account:
            return
        # Purchases first: an alumni role moves to a member, and the purchases make one.
        moving = sorted(
            (g for g in self.grants if g.account == old), key=lambda g: g.via != "purchase"
        )
        for g in moving:
            order = self.orders[g.order]
            if g.via == "expiry":
                keeps = order.status not in ("refunded", "disputed")
            else:
                keeps = order.status == "active"
            if keeps:
                self._give(g.order, account, g.thing, g.via)
        for g in moving:
            self._undo(g)
