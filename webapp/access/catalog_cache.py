"""What a webhook reads of a seller's catalog (products, variants, automations), kept per
process while the seller's `catalog_version` is unchanged.

A webhook reads the version with its connection (one query it makes anyway); inside
`at(seller_id, version)` the catalog reads come from here when they were read at that same
version, and from the database otherwise. Triggers move the version on every change of
what is cached (m0008), so a cached row is never older than the version the request read:
the request behaves as if it had read the catalog at that moment. Outside `at()` — workers,
the sweeper, the dashboard — every read goes to the database.

Only rows read from the database are kept, never one the current transaction inserted (it
may roll back). Cached rows are shared between threads: callers only read them.
"""

import contextlib
import contextvars

LIMIT = 4096  # entries per process; past it the cache starts again

_current = contextvars.ContextVar("catalog_version", default=None)
_rows = {}


@contextlib.contextmanager
def at(seller_id, version):
    """Serve this seller's catalog reads at `version` for the duration of the block."""
    token = _current.set((seller_id, version))
    try:
        yield
    finally:
        _current.reset(token)


def read(kind, seller_id, key, load):
    """`load()`'s value, or the one kept for (kind, seller, key) at the current version.
    None (nothing found) is not kept."""
    current = _current.get()
    if current is None or current[0] != seller_id:
        return load()
    entry = _rows.get((kind, seller_id, key))
    if entry is not None and entry[0] == current[1]:
        return entry[1]
    value = load()
    if value is not None:
        if len(_rows) >= LIMIT:
            _rows.clear()
        _rows[(kind, seller_id, key)] = (current[1], value)
    return value


def clear():
    """Forget everything (tests)."""
    _rows.clear()
