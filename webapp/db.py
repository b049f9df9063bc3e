"""The database: one peewee proxy, bound to SQLite or PostgreSQL from DATABASE_URL."""

import contextlib
import fcntl
import threading
import time
from datetime import UTC, datetime

import peewee
from playhouse.db_url import connect, register_database
from playhouse.pool import PooledPostgresqlDatabase

db = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": 5000,
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -16000,
}


def utcnow():
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class _Pool(PooledPostgresqlDatabase):
    """peewee's PostgreSQL pool, with two round trips less per write transaction.

    - No `SELECT 1` for a connection that came back moments ago. peewee pings every
      connection it hands out, holding the pool's lock: one round trip per request, and the
      process's threads queue behind it. A connection back in the pool for less than
      `RECHECK` seconds is handed out unpinged (its local state still says closed, broken or
      mid-transaction, as before); if the server went away in that moment, the first query
      fails and the request's transaction never commits.
    - `BEGIN` travels with the transaction's first statement (`BEGIN; INSERT …` in one
      message; PostgreSQL runs them in order and the cursor holds the last one's result).
      A transaction that ran no statement has nothing to commit or roll back.
    """

    RECHECK = 2.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._returned = {}

    def _is_closed(self, conn):
        fresh = time.monotonic() - self._returned.get(self.conn_key(conn), -1e9) < self.RECHECK
        if fresh and not conn.closed and self._adapter.txn_status(conn) == self._adapter.txn_idle:
            return False
        return super()._is_closed(conn)

    def begin(self, isolation_level=None):
        if isolation_level or self._isolation_level:
            return super().begin(isolation_level)
        if self.is_closed():
            self.connect()  # now: opening later would reset peewee's transaction stack
        self._state.begin_pending = True

    def execute_sql(self, sql, params=None):
        if getattr(self._state, "begin_pending", False):
            self._state.begin_pending = False
            sql = "BEGIN; " + sql
        return super().execute_sql(sql, params)

    def commit(self):
        if getattr(self._state, "begin_pending", False):
            self._state.begin_pending = False
            return None
        return super().commit()

    def rollback(self):
        if getattr(self._state, "begin_pending", False):
            self._state.begin_pending = False
            return None
        return super().rollback()

    def _close(self, conn, close_conn=False):
        self._returned[self.conn_key(conn)] = time.monotonic()
        super()._close(conn, close_conn)

    def _close_raw(self, conn):
        self._returned.pop(self.conn_key(conn), None)
        super()._close_raw(conn)


register_database(_Pool, "postgresql+rolegatepool")


def open_database(url):
    """A peewee Database for url (SQLite gets WAL, a busy timeout and foreign keys)."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        # A pool per process: opening a PostgreSQL connection per request costs milliseconds.
        url = "postgresql+rolegatepool://" + url[len("postgresql://") :]
        return connect(url, max_connections=32, stale_timeout=300, timeout=10)
    return connect(url)


def bind(url):
    """Point the proxy at the database for url (once per process, or again in tests)."""
    if db.obj is not None:
        if getattr(db.obj, "_rolegate_url", None) == url:
            return db.obj
        if not db.obj.is_closed():
            db.obj.close()
    database = open_database(url)
    database._rolegate_url = url
    db.initialize(database)
    return database


def init_app(app):
    """Connect on a request's first query (peewee's autoconnect); at teardown return a
    PostgreSQL connection to the pool. A SQLite connection stays open with its thread:
    reopening costs its pragmas, and closing the last one checkpoints the WAL to disk."""

    @app.teardown_appcontext
    def _close(exc):
        if not isinstance(db.obj, peewee.SqliteDatabase) and not db.is_closed():
            db.close()


class UTCDateTimeField(peewee.DateTimeField):
    """Stores naive UTC in the database; always gives back timezone-aware UTC."""

    def db_value(self, value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class BaseModel(peewee.Model):
    """Every table: bound to the proxy."""

    class Meta:
        database = db
        legacy_table_names = False


def write_transaction():
    """A transaction that will write after reading.

    SQLite cannot upgrade a read transaction to a write one while another writer commits
    (it fails at once with "database is locked"); BEGIN IMMEDIATE takes the write lock up
    front and waits for it (busy_timeout). PostgreSQL needs nothing special.
    """
    if db.transaction_depth() > 0:
        # Part of the caller's transaction: it commits or rolls back everything at once.
        return contextlib.nullcontext()
    if isinstance(db.obj, peewee.SqliteDatabase):
        return _sqlite_writer()
    return db.atomic()


_writer_lock = threading.RLock()  # re-entrant: a commit callback may write again
_lock_files = {}


@contextlib.contextmanager
def _sqlite_writer():
    """Queue our own writers on a lock the kernel hands over at once.

    SQLite's busy handler polls with sleeps of up to 100 ms, so writers waiting on each
    other mostly sleep; a thread lock plus an flock beside the database file queues them
    instead. BEGIN IMMEDIATE still guards against writers that are not ours.
    """
    path = getattr(db.obj, "database", "")
    if not path or path == ":memory:":
        with db.atomic(lock_type="IMMEDIATE"):
            yield
        return
    committed = []
    with _writer_lock:
        handle = _lock_files.get(path)
        if handle is None:
            handle = _lock_files[path] = open(f"{path}.write-lock", "a+")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            with db.atomic(lock_type="IMMEDIATE"):
                yield
                # What waits for the commit (mostly Redis calls) runs after the lock is
                # released, so other writers do not wait on it; a failed commit raises
                # here and drops it, as peewee would.
                committed, db._state.commit_callbacks[:] = list(db._state.commit_callbacks), []
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    for fn in committed:
        fn()


class Statement:
    """A select whose SQL peewee builds once per process, kind of database and value types.

    Peewee builds a query's SQL anew on every run, which costs more than running it on the
    hot paths (a webhook runs a handful). `build(*values)` returns the peewee query, each
    value used once, as is. The first time, the query is also built from distinct probe
    values of the same types; when its parameters are exactly those probes, in order, its
    SQL is kept and later runs only bind new values. Values other than int and str (a
    None changes the SQL's shape) are built by peewee every time, so the answer is always
    peewee's.
    """

    def __init__(self, model, build):
        self.model = model
        self._build = build
        self._sql = {}

    def sql(self, *values):
        """(sql, params) for these values."""
        types = tuple(type(v) for v in values)
        key = (type(db.obj), db.obj.param, types)
        sql = self._sql.get(key)
        if sql is not None:
            return sql, list(values)
        if all(t in (int, str) for t in types):
            probes = [1_000_003 + i if t is int else f"probe-{i}" for i, t in enumerate(types)]
            sql, params = self._build(*probes).sql()
            if params == probes:
                self._sql[key] = sql
                return sql, list(values)
        return self._build(*values).sql()

    def rows(self, *values):
        """Model instances of the rows for these values."""
        sql, params = self.sql(*values)
        return self.model.raw(sql, *params)

    def first(self, *values):
        """The first row's model instance, or None."""
        return next(iter(self.rows(*values)), None)


class Insert:
    """An INSERT of every column but the id, its SQL built by peewee once per process and
    kind of database (see Statement). `extend(query)` may add ON CONFLICT / RETURNING.

    The cached SQL is kept only when peewee's own parameters for the first row are the
    columns' database values in this order; otherwise each insert is built anew.
    """

    def __init__(self, model, extend=None):
        self.model = model
        self.fields = [f for f in model._meta.sorted_fields if f is not model._meta.primary_key]
        self._extend = extend or (lambda query: query)
        self._sql = {}

    def sql(self, data):
        """(sql, params) inserting `data` (field name → Python value, every column)."""
        params = [f.db_value(data[f.name]) for f in self.fields]
        key = (type(db.obj), db.obj.param)
        sql = self._sql.get(key)
        if sql is not None:
            return sql, params
        sql, built = self._extend(self.model.insert({f: data[f.name] for f in self.fields})).sql()
        if built == params:
            self._sql[key] = sql
        return sql, built

    def execute(self, data):
        """Insert; the new row's id (None when ON CONFLICT skipped it)."""
        sql, params = self.sql(data)
        cursor = db.execute_sql(sql, params)
        if "RETURNING" in sql:
            row = cursor.fetchone()
            return row[0] if row else None
        return cursor.lastrowid

    def save_new(self, instance):
        """Insert a new model instance (its defaults already filled); sets its id."""
        instance.id = self.execute({f.name: instance.__data__.get(f.name) for f in self.fields})
        instance._dirty.clear()
        return instance
