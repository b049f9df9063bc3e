"""Schema migrations with peewee's own tooling (playhouse.migrate), applied in order."""

import importlib
import pkgutil

import peewee
from playhouse.migrate import SchemaMigrator

import migrations
from webapp.db import BaseModel, UTCDateTimeField, db, utcnow


class MigrationHistory(BaseModel):
    """Which migrations ran, and when."""

    name = peewee.CharField(max_length=255, unique=True)
    applied_at = UTCDateTimeField(default=utcnow)


def available():
    """Names of the migration modules (`mNNNN_*`), in order."""
    return sorted(m.name for m in pkgutil.iter_modules(migrations.__path__) if m.name[0] == "m")


def pending():
    """Migrations not applied yet."""
    db.create_tables([MigrationHistory])
    done = {row.name for row in MigrationHistory.select(MigrationHistory.name)}
    return [name for name in available() if name not in done]


def upgrade():
    """Apply every pending migration, each in its own transaction; return their names."""
    applied = []
    database = db.obj
    migrator = SchemaMigrator.from_database(database)
    for name in pending():
        module = importlib.import_module(f"migrations.{name}")
        with db.atomic():
            module.upgrade(database, migrator)
            MigrationHistory.create(name=name)
        applied.append(name)
    return applied


# What the migrations share: each may run on a database created from today's models
# (m0001), which has every column and index already, so they add only what is missing.


def add_missing_columns(database, migrator, columns_by_table):
    """Add each {table: {column: field}} column the table does not have yet."""
    from playhouse.migrate import migrate

    for table, columns in columns_by_table.items():
        have = {c.name for c in database.get_columns(table)}
        missing = {name: field for name, field in columns.items() if name not in have}
        if isinstance(database, peewee.SqliteDatabase):
            for name, field in missing.items():
                _sqlite_add_column(database, table, name, field)
        elif missing:
            migrate(*[migrator.add_column(table, name, field) for name, field in missing.items()])


class _Column(peewee.Model):
    """Only there to bind a field to a name, for its column definition."""


def _sqlite_add_column(database, table, name, field):
    """ALTER TABLE … ADD COLUMN with its NOT NULL and DEFAULT in one statement.

    peewee's SqliteMigrator adds a NOT NULL column by rebuilding the table (copy, drop,
    rename), which SQLite refuses while a trigger names the table (m0008's catalog
    triggers); SQLite itself adds a NOT NULL column with a constant default in place.
    """
    field.bind(_Column, name, set_attribute=False)
    ctx = database.get_sql_context()
    column = ctx.sql(field.ddl(ctx)).query()[0]
    default = field.default() if callable(field.default) else field.default
    if default is None:
        literal = "NULL"
    elif isinstance(default, bool | int | float):
        literal = str(int(default) if isinstance(default, bool) else default)
    else:
        literal = "'" + str(field.db_value(default)).replace("'", "''") + "'"
    database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN {column} DEFAULT {literal}')


def add_missing_index(database, migrator, table, columns, unique=False):
    """Add the index on `columns` (peewee's name for it) unless the table has it."""
    from playhouse.migrate import migrate

    if f"{table}_{'_'.join(columns)}" not in {i.name for i in database.get_indexes(table)}:
        migrate(migrator.add_index(table, columns, unique))
