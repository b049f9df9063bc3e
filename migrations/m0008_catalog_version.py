"""`Seller.catalog_version`, moved by triggers whenever what a webhook reads of a seller's
catalog changes: products and variants (changed or removed), apps (added, removed, or their
server changed) and automations (any change). A product or variant created on first sight
by a webhook does not move it: nothing cached names a row that did not exist (and a webhook
creating one does not lock the seller's row).

Triggers, not application code, so no write path — a form, a job, a cascade, a bulk update,
a future import — can forget it. Idempotent: triggers are dropped and created again.
"""

import peewee

from webapp.migrate import add_missing_columns
from webapp.models.accounts import new_catalog_version

BUMP = "UPDATE seller SET catalog_version = catalog_version + 1 WHERE id = {row}"
VIA_PRODUCT = "(SELECT seller_id FROM product WHERE id = {row}.product_id)"
# (table, events, what names the seller for OLD/NEW)
TRIGGERS = [
    ("product", ("UPDATE", "DELETE"), "{row}.seller_id"),
    ("price_variant", ("UPDATE", "DELETE"), VIA_PRODUCT),
    ("app", ("INSERT", "UPDATE OF guild_id", "DELETE"), "{row}.seller_id"),
    ("automation", ("INSERT", "UPDATE", "DELETE"), "{row}.seller_id"),
]


def _rows(event):
    return {"INSERT": ["NEW"], "DELETE": ["OLD"]}.get(event.split()[0], ["OLD", "NEW"])


def _name(table, event):
    return f"catalog_{table}_{event.split()[0].lower()}"


def _sqlite(database):
    for table, events, seller in TRIGGERS:
        for event in events:
            name = _name(table, event)
            body = "; ".join(BUMP.format(row=seller.format(row=r)) for r in _rows(event))
            database.execute_sql(f"DROP TRIGGER IF EXISTS {name}")
            database.execute_sql(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body}; END"
            )


def _postgresql(database):
    for table, events, seller in TRIGGERS:
        function = f"rolegate_catalog_{table}"
        old, new = (BUMP.format(row=seller.format(row=r)) for r in ("OLD", "NEW"))
        database.execute_sql(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF TG_OP <> 'INSERT' THEN {old}; END IF; "
            f"IF TG_OP <> 'DELETE' THEN {new}; END IF; RETURN NULL; END $$"
        )
        for event in events:
            name = _name(table, event)
            database.execute_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            database.execute_sql(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW "
                f"EXECUTE FUNCTION {function}()"
            )


def upgrade(database, migrator):
    """Add the column (a random start per seller) and the triggers."""
    add_missing_columns(database, migrator, {"seller": {
        "catalog_version": peewee.BigIntegerField(default=0),
    }})  # fmt: skip
    for (seller_id,) in database.execute_sql(
        "SELECT id FROM seller WHERE catalog_version = 0"
    ).fetchall():
        database.execute_sql(
            f"UPDATE seller SET catalog_version = {database.param} WHERE id = {database.param}",
            (new_catalog_version(), seller_id),
        )
    if isinstance(database, peewee.PostgresqlDatabase):
        _postgresql(database)
    else:
        _sqlite(database)
