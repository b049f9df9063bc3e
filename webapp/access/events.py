"""What checkout events and seller decisions do to an order's access (SPEC §4)."""

import secrets
from datetime import timedelta

from webapp import jobs
from webapp.access import catalog, customers, locks, planner
from webapp.db import utcnow, write_transaction
from webapp.messages import outbox as buyer_messages
from webapp.models import Order, Subscription, lookups

# An expiry that fires a moment early (clock skew between machines) still counts as due.
EARLY = timedelta(seconds=1)


def _grace(order):
    return timedelta(days=order.seller.subscription_grace_days)


def _end_of_access(order, paid_at):
    """(access_ends_at, why) for an order paid at paid_at."""
    days = order.access_days or catalog.access_days(order.product, order.variant)
    candidates = []
    if days:
        candidates.append((paid_at + timedelta(days=days), "time_limit"))
    elif order.subscription_id and order.period_end:
        candidates.append((order.period_end + _grace(order), "subscription_grace"))
    if order.subscription_ended_at:
        candidates.append((order.subscription_ended_at, "subscription"))
    if not candidates:
        return None, None
    return min(candidates, key=lambda c: c[0])


def _save(order, *fields):
    order.updated_at = utcnow()
    order.save(only=[*fields, Order.updated_at])


def order_paid(seller, data, source="checkout", access_days=None):
    """An `order.paid` event: the order gets access and its purchase actions (idempotent).
    `source` and `access_days`: for access given by hand (`give_by_hand`)."""
    with write_transaction():
        product = catalog.product_for(seller.id, data["product_id"], data.get("product_name"))
        variant = catalog.variant_for(product, data.get("variant_id"), data.get("variant_name"))
        customer, created = catalog.customer_for(
            seller.id, data["customer"]["email"], data["customer"].get("name", "")
        )
        if not created:  # a row this transaction inserted is locked until it commits
            locks.customer_row(customer.id)
        order = Order(seller=seller.id, external_id=data["order_id"], status="active",
                      source=source, access_days=access_days)  # fmt: skip
        _paid(order, seller, data, customer, product, variant)
        # Most payments are of new orders: insert, and only when the order is known (told
        # twice, or refunded / disputed first) read and update it.
        if lookups.order_insert_unless_there.save_new(order).id is None:
            order = _find(seller, data["order_id"])
            if order.paid_at is not None:
                if data.get("subscription_id") and order.subscription_id is None:
                    _link_subscription(order, seller, data["subscription_id"])
                return order  # the same payment told twice
            _paid(order, seller, data, customer, product, variant)
            order.save()
        if order.status == "active":
            jobs.enqueue_actions(planner.plan_purchase(order))
            if order.access_ends_at is not None:
                jobs.schedule_expiry(order.id, order.access_ends_at)
    return order


def give_by_hand(seller, product, email, days=None, discord_user_id=None, name=""):
    """Access the seller gives without a checkout (a gift, staff, a giveaway): a paid order
    marked manual, paid now, ending after `days` (else the product's rule), with a claim link
    — and every rule of access, like any other order. With `discord_user_id` the buyer is
    linked to that account at once (ValueError when linked to another one)."""
    if discord_user_id:
        customer, _ = catalog.customer_for(seller.id, email, name)
        customers.link_by_hand(customer, discord_user_id)
    data = {
        "order_id": f"manual-{secrets.token_hex(6)}", "product_id": product.external_id,
        "product_name": product.name, "customer": {"email": email, "name": name}, "paid_at": utcnow(),
    }  # fmt: skip
    return order_paid(seller, data, source="manual", access_days=days)


def _link_subscription(order, seller, subscription_id):
    """A later event says which subscription a paid order started (Lemon Squeezy tells it
    on the subscription, not on the order): the order follows that subscription from now
    on, with what is known of it (rule 4)."""
    order.subscription_id = subscription_id
    known = _subscription(seller, subscription_id)
    if known.period_end and (order.period_end is None or known.period_end > order.period_end):
        order.period_end = known.period_end
    order.subscription_ended_at = known.ended_at
    if order.status == "active":
        order.access_ends_at, order.end_reason = _end_of_access(order, order.paid_at)
    _save(order, Order.subscription_id, Order.period_end, Order.subscription_ended_at,
          Order.access_ends_at, Order.end_reason)  # fmt: skip
    if order.status == "active":
        jobs.schedule_expiry(order.id, order.access_ends_at)


def _paid(order, seller, data, customer, product, variant):
    """Set on the order what its payment says (not saved). A refund or a dispute that came
    first keeps its status: the final state is no access."""
    paid_at = data["paid_at"]
    order.customer, order.product, order.variant = customer, product, variant
    order.subscription_id = data.get("subscription_id") or None
    order.period_end = data.get("period_end")
    order.paid_at = paid_at
    order.payment_ref = data.get("payment_ref") or order.payment_ref
    order.seller = seller
    if order.subscription_id:
        # What the checkout said of the subscription before this payment arrived.
        known = _subscription(seller, order.subscription_id)
        if known.period_end and (order.period_end is None or known.period_end > order.period_end):
            order.period_end = known.period_end
        order.subscription_ended_at = known.ended_at
    order.access_ends_at, order.end_reason = _end_of_access(order, paid_at)
    now = utcnow()
    if order.status == "active" and order.access_ends_at is not None:
        if order.access_ends_at <= now:
            order.status, order.ended_at = "expired", now
    # The claim link is mailed to a buyer who has not linked Discord yet: due with the order
    # itself (the outbox of `claim.mails`), so no mail is lost with a Redis job.
    if order.status == "active" and customer is not None and customer.discord_user_id is None:
        order.claim_mail_due_at = order.claim_mail_due_at or now
    order.updated_at = now


def _find(seller, external_id):
    return lookups.order_by_external_id.first(seller.id, external_id)


def _locked_order(seller, external_id):
    """The order, re-read after locking its customer's row (None when unknown)."""
    order = _find(seller, external_id)
    if order is not None and order.customer_id is not None:
        locks.customer_row(order.customer_id)
        order = Order.get_by_id(order.id)
    return order


def _take_away(order, status, trigger, reason, now):
    """End the order's access at once and undo everything it gave (rule 6).

    A dispute keeps `access_ends_at`: winning it gives back the access still to run.
    """
    order.status, order.end_reason = status, reason
    order.ended_at = order.ended_at or now
    if status == "refunded" and (order.access_ends_at is None or order.access_ends_at > now):
        order.access_ends_at = now
    _save(order, Order.status, Order.refunded_at, Order.end_reason, Order.ended_at,
          Order.access_ends_at, Order.dispute)  # fmt: skip
    if order.customer_id is not None:
        planner.cancel_pending(order, why="The order was refunded or disputed before this ran.")
        jobs.enqueue_actions(planner.plan_undo(order, trigger))
    jobs.schedule_expiry(order.id, None)


def order_refunded(seller, data):
    """An `order.refunded` event: access ends at once and what it granted is revoked."""
    now = utcnow()
    with write_transaction():
        order = _locked_order(seller, data["order_id"])
        if order is None:
            # Refund before payment: remember it, so the payment grants nothing.
            return Order.create(
                seller=seller.id, external_id=data["order_id"], status="refunded",
                refunded_at=now, ended_at=now, end_reason="refund",
            )  # fmt: skip
        if order.status == "refunded":
            return order
        order.refunded_at = now
        _take_away(order, "refunded", "refund", "refund", now)
    return order


def order_disputed(seller, data):
    """A chargeback opened: access ends at once, as for a refund, until the seller wins."""
    now = utcnow()
    with write_transaction():
        order = _locked_order(seller, data["order_id"])
        if order is None:
            return Order.create(
                seller=seller.id, external_id=data["order_id"], status="disputed",
                dispute="open", ended_at=now, end_reason="dispute",
            )  # fmt: skip
        if order.dispute in ("open", "won", "lost") or order.status == "refunded":
            return order  # told twice, or a closed dispute told late: it stays closed
        order.dispute = "open"
        if order.paid_at is None:
            _save(order, Order.dispute)
            return order
        _take_away(order, "disputed", "dispute", "dispute", now)
    return order


def dispute_won(seller, data):
    """The seller won the chargeback: the access it took comes back (rule 6)."""
    now = utcnow()
    with write_transaction():
        order = _locked_order(seller, data["order_id"])
        if order is None:
            return Order.create(
                seller=seller.id, external_id=data["order_id"], status="active", dispute="won"
            )
        if order.dispute == "won" or order.status == "refunded":
            return order
        was_disputed = order.status == "disputed"
        order.dispute = "won"
        if not was_disputed:
            _save(order, Order.dispute)
            return order
        order.status, order.ended_at = "expired", order.ended_at or now
        if order.access_ends_at is None or order.access_ends_at > now:
            order.status, order.ended_at = "active", None
            order.generation += 1
            jobs.enqueue_actions(planner.plan_purchase(order))
        _save(order, Order.dispute, Order.status, Order.ended_at, Order.access_ends_at,
              Order.end_reason, Order.generation)  # fmt: skip
        jobs.schedule_expiry(order.id, order.access_ends_at if order.status == "active" else None)
    return order


def _subscription_orders(seller, subscription_id):
    return Order.select().where(
        (Order.seller == seller.id) & (Order.subscription_id == subscription_id)
    )


def _subscription(seller, subscription_id):
    """The subscription's row, created on first sight (also before its first payment)."""
    row, _ = catalog.get_or_create(
        lookups.subscription_by_external_id,
        lookups.new_subscription,
        (seller.id, subscription_id),
        {"seller": seller.id, "external_id": subscription_id},
    )
    return row


def subscription_renewed(seller, data):
    """A renewal moves the end of access forward (never back), reviving ended access."""
    period_end = data["period_end"]
    paid_at = data.get("paid_at") or utcnow()
    changed = []
    with write_transaction():
        known = _subscription(seller, data["subscription_id"])
        if known.period_end is None or period_end > known.period_end:
            known.period_end = period_end
            known.save(only=[Subscription.period_end])
        for order in _subscription_orders(seller, data["subscription_id"]):
            locks.customer_row(order.customer_id)
            order = Order.get_by_id(order.id)
            if order.status == "refunded" or order.subscription_ended_at or order.paid_at is None:
                continue  # (a disputed order's access moves on, for when the seller wins)
            if order.period_end is not None and period_end <= order.period_end:
                continue  # an old renewal arriving after a newer one (or the same one again)
            order.period_end = period_end
            ends, why = _end_of_access(order, paid_at)
            if ends is None or (order.access_ends_at and ends <= order.access_ends_at):
                _save(order, Order.period_end)
                continue  # an old renewal arriving after a newer one
            order.access_ends_at, order.end_reason = ends, why
            _restart_if_ended(order)
            _save(order, Order.period_end, Order.access_ends_at, Order.end_reason,
                  Order.status, Order.generation, Order.ended_at)  # fmt: skip
            if order.status == "active":
                jobs.schedule_expiry(order.id, order.access_ends_at)
            changed.append(order)
    return changed


def subscription_ended(seller, data):
    """The subscription stopped: access ends at `ended_at` (now when it is in the past)."""
    ended_at = data["ended_at"]
    changed = []
    with write_transaction():
        known = _subscription(seller, data["subscription_id"])
        if known.ended_at is None:
            known.ended_at = ended_at
            known.save(only=[Subscription.ended_at])
        for order in _subscription_orders(seller, data["subscription_id"]):
            locks.customer_row(order.customer_id)
            order = Order.get_by_id(order.id)
            if order.subscription_ended_at is not None:
                continue
            order.subscription_ended_at = ended_at
            live = order.status in ("active", "disputed") and order.paid_at is not None
            if live and (order.access_ends_at is None or ended_at < order.access_ends_at):
                order.access_ends_at, order.end_reason = ended_at, "subscription"
            _save(order, Order.subscription_ended_at, Order.access_ends_at, Order.end_reason)
            changed.append(order)
    for order in changed:
        if order.status == "active" and order.access_ends_at <= utcnow() + EARLY:
            expire(order.id)
        else:
            with write_transaction():
                active = order.status == "active"
                jobs.schedule_expiry(order.id, order.access_ends_at if active else None)
    return changed


def payment_failed(seller, data):
    """A subscription's payment failed: access is kept (the paid period and the grace days
    stand), and the buyer of its live order is asked, once per failed invoice, to update
    their card. Returns the orders told."""
    with write_transaction():
        live = [o for o in _subscription_orders(seller, data["subscription_id"])
                if o.status == "active"]  # fmt: skip
        told = sorted(live, key=lambda o: (o.paid_at, o.id))[-1:]
        for order in told:
            buyer_messages.payment_failed(
                order, data.get("invoice_id") or utcnow().date().isoformat()
            )
    return told


def _restart_if_ended(order):
    if order.status == "expired" and order.access_ends_at > utcnow():
        order.status, order.ended_at = "active", None
        order.generation += 1
        jobs.enqueue_actions(planner.plan_purchase(order))


def expire(order_id):
    """End the order's access if it is due; plan its expiry actions. False when not due."""
    now = utcnow()
    with write_transaction():
        found = Order.select(Order.customer).where(Order.id == order_id).first()
        if found is None:
            return False
        locks.customer_row(found.customer_id)
        updated = (
            Order.update(status="expired", ended_at=now, updated_at=now)
            .where(
                (Order.id == order_id)
                & (Order.status == "active")
                & Order.access_ends_at.is_null(False)
                & (Order.access_ends_at <= now + EARLY)
            )
            .execute()
        )
        if not updated:
            return False
        order = Order.get_by_id(order_id)
        if order.customer_id is not None:
            jobs.enqueue_actions(planner.plan_expiry(order))
    return True


def end_access_now(order):
    """The seller ends the order's access now; expiry automations run."""
    with write_transaction():
        locks.customer_row(order.customer_id)
        order = Order.get_by_id(order.id)
        now = utcnow()
        if order.status != "active":
            return False
        order.access_ends_at, order.end_reason = now, "manual"
        _save(order, Order.access_ends_at, Order.end_reason)
    return expire(order.id)


def extend_access(order, days):
    """The seller gives `days` more days (from now when access already ended)."""
    if order.status in ("refunded", "disputed"):
        raise ValueError("A refunded or disputed order cannot be extended.")
    if order.access_ends_at is None:
        raise ValueError("This order's access has no end, so there is nothing to extend.")
    with write_transaction():
        locks.customer_row(order.customer_id)
        order = Order.get_by_id(order.id)
        now = utcnow()
        start = order.access_ends_at if order.access_ends_at and order.access_ends_at > now else now
        order.access_ends_at = start + timedelta(days=days)
        order.end_reason = "manual"
        _restart_if_ended(order)
        _save(order, Order.access_ends_at, Order.end_reason, Order.status, Order.generation,
              Order.ended_at)  # fmt: skip
        jobs.schedule_expiry(order.id, order.access_ends_at)
    return order
