"""Statements whose SQL is built once (webapp.db): the same rows as peewee, every time, and
what waits for a SQLite commit runs after the write lock is released."""

import fcntl
from datetime import UTC, datetime

import peewee

from webapp import jobs
from webapp.db import Insert, Statement, db, write_transaction
from webapp.models import Customer, Order, Product


def test_a_cached_statement_answers_with_the_new_values_not_the_first_ones(app, make_seller):
    first, second = make_seller(), make_seller("other@example.com")
    with db.connection_context():
        for seller in (first, second):
            for ext in ("a", "b"):
                Product.create(seller=seller.id, external_id=ext, name=f"{seller.id}-{ext}")
        found = Statement(Product, lambda s, e: Product.select().where(
            (Product.seller == s) & (Product.external_id == e)))  # fmt: skip
        for seller in (first, second, first):
            for ext in ("a", "b"):
                assert found.first(seller.id, ext).name == f"{seller.id}-{ext}"
        assert found._sql, "the shape of two ints/strs is kept after the first run"
        assert found.first(second.id, "missing") is None


def test_a_statement_whose_values_change_its_shape_is_built_every_time(app, make_seller):
    seller = make_seller()
    with db.connection_context():
        Product.create(seller=seller.id, external_id="a", name="A")
        by_name = Statement(Product, lambda s, name: Product.select().where(
            (Product.seller == s) & (Product.name == name)))  # fmt: skip
        assert by_name.first(seller.id, None) is None  # IS NULL: not the shape of "= ?"
        assert not by_name._sql
        assert by_name.first(seller.id, "A").external_id == "a"
        # A value used twice does not come back as the probes: never cached.
        twice = Statement(Product, lambda s, e: Product.select().where(
            (Product.seller == s) & ((Product.external_id == e) | (Product.name == e))))  # fmt: skip
        assert twice.first(seller.id, "A").external_id == "a"
        assert not twice._sql


def test_an_insert_keeps_every_column_and_fills_defaults_per_row(app, make_seller):
    seller = make_seller()
    with db.connection_context():
        product = Product.create(seller=seller.id, external_id="p", name="P")
        customer = Customer.create(seller=seller.id, email="ann@example.com")
        insert = Insert(Order)
        made = []
        for i in range(3):
            order = Order(seller=seller.id, external_id=f"o{i}", customer=customer,
                          product=product, paid_at=datetime(2026, 1, 1 + i, tzinfo=UTC),
                          status="active")  # fmt: skip
            made.append(insert.save_new(order))
        assert insert._sql
        rows = list(Order.select().where(Order.seller == seller.id).order_by(Order.id))
        assert [o.id for o in rows] == [o.id for o in made]
        assert [o.paid_at.day for o in rows] == [1, 2, 3]
        assert len({o.claim_token for o in rows}) == 3, "a callable default is drawn per row"
        skip = Insert(Product, extend=lambda q: q.on_conflict_ignore().returning(Product.id))
        again = Product(seller=seller.id, external_id="p", name="again")
        assert skip.save_new(again).id is None
        assert Product.get_by_id(product.id).name == "P"


def test_what_waits_for_a_sqlite_commit_runs_after_the_write_lock_is_released(app):
    if not isinstance(db.obj, peewee.SqliteDatabase):
        return  # PostgreSQL has no process-wide write lock to hold
    seen = []

    def lock_is_free():
        with open(f"{db.obj.database}.write-lock", "a+") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                seen.append("held")
            else:
                fcntl.flock(other, fcntl.LOCK_UN)
                seen.append("free")

    with db.connection_context():
        with write_transaction():
            assert db.transaction_depth() > 0
            jobs.after_commit("check the lock", lock_is_free)
            assert seen == []
        assert seen == ["free"]
        try:
            with write_transaction():
                jobs.after_commit("never", lambda: seen.append("ran after a rollback"))
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert seen == ["free"]
