"""The reference model itself, by example: each rule of SPEC §4 as the model states it."""

from tests.model.reference import Model


def world(*specs):
    return Model.start(specs or [("A", False), ("A", False), ("B", False)])


def test_a_paid_order_gives_its_role_once_the_buyer_links():
    m = world()
    m.pay(0)
    assert m.expected(["ann"]) == {"ann": None}
    m.link("ann")
    assert m.expected(["ann"]) == {"ann": ["Pro"]}


def test_the_end_takes_the_role_and_gives_alumni_unless_another_order_continues():
    m = world()
    m.pay(0), m.pay(1), m.link("ann")
    m.time_is_up(0)
    assert m.expected(["ann"]) == {"ann": ["Pro"]}
    m.time_is_up(1)
    assert m.expected(["ann"]) == {"ann": ["Alumni"]}


def test_a_refund_takes_back_everything_the_order_gave_its_alumni_role_included():
    m = world()
    m.pay(0), m.link("ann"), m.time_is_up(0)
    assert m.expected(["ann"]) == {"ann": ["Alumni"]}
    m.refund(0)
    assert m.expected(["ann"]) == {"ann": None}  # Rolegate had added her: she leaves too


def test_removal_keeps_a_buyer_another_live_order_gives_a_role():
    m = world()
    m.pay(0), m.pay(2), m.link("ann")
    assert m.expected(["ann"]) == {"ann": ["Member", "Pro"]}
    m.refund(2)
    assert m.expected(["ann"]) == {"ann": ["Pro"]}


def test_what_bob_had_before_buying_stays_his():
    m = world()
    m.pay(2), m.link("bob"), m.refund(2)
    assert m.expected(["bob"]) == {"bob": ["Member"]}


def test_switches_back_and_forth_leave_access_on_the_current_account_only():
    m = world()
    m.pay(0)
    for account in ("ann", "cleo", "ann", "cleo"):
        m.link(account)
    assert m.expected(["ann", "cleo"]) == {"ann": None, "cleo": ["Pro"]}


def test_an_ended_subscription_before_its_payment_gives_nothing():
    m = world(("A", True))
    m.end_subscription(0), m.pay(0), m.link("ann")
    assert m.expected(["ann"]) == {"ann": None}


def test_a_won_dispute_gives_access_back_and_a_renewal_revives_an_ended_one():
    m = world(("A", True))
    m.pay(0), m.link("ann"), m.dispute(0)
    assert m.expected(["ann"]) == {"ann": None}
    m.dispute_won(0)
    assert m.expected(["ann"]) == {"ann": ["Pro"]}
    m.time_is_up(0)
    m.renew(0)
    assert m.expected(["ann"]) == {"ann": ["Alumni", "Pro"]}
