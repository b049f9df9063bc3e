"""The database: one peewee proxy, bound to SQLite or PostgreSQL from DATABASE_URL."""

import contextlib
import fcntl
import threading
from datetime import UTC, datetime

import peewee
from playhouse.db_url import connect

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


def open_database(url):
    """A peewee Database for url (SQLite gets WAL, a busy timeout and foreign keys)."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        # A pool per process: opening a PostgreSQL connection per request costs milliseconds.
        url = "postgresql+pool://" + url[len("postgresql://") :]
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
    with _writer_lock:
        handle = _lock_files.get(path)
        if handle is None:
            handle = _lock_files[path] = open(f"{path}.write-lock", "a+")
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            with db.atomic(lock_type="IMMEDIATE"):
                yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
