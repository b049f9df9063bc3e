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
