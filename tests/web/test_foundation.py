"""Settings, tenant isolation, rendering, migrations and health."""

import time

import pytest

from tests.fixtures.processes import wait_until
from webapp import create_app, migrate
from webapp.db import db, open_database
from webapp.models import App
from webapp.settings import Settings, SettingsError

PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "TOKEN_KEY": "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
    "DATABASE_URL": "sqlite:///:memory:",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "DISCORD_BOT_TOKEN": "bot",
    "DISCORD_CLIENT_ID": "1",
    "DISCORD_CLIENT_SECRET": "x",
}


@pytest.mark.parametrize("missing", ["SECRET_KEY", "TOKEN_KEY", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_a_secret_naming_it(monkeypatch, missing):
    for name in PRODUCTION:
        monkeypatch.delenv(name, raising=False)
    config = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(SettingsError, match=missing):
        create_app(config)


def test_production_refuses_a_malformed_token_key(monkeypatch):
    with pytest.raises(SettingsError, match="TOKEN_KEY"):
        Settings.from_env({**PRODUCTION, "TOKEN_KEY": "not-a-fernet-key"})


def test_development_creates_and_keeps_its_secrets(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "TOKEN_KEY", "APP_ENV", "FLASK_ENV"):
        monkeypatch.delenv(name, raising=False)
    first = Settings.from_env({"DISCORD_BOT_TOKEN": "b"}, instance=tmp_path)
    second = Settings.from_env({"DISCORD_BOT_TOKEN": "b"}, instance=tmp_path)
    assert first.secret_key and first.secret_key == second.secret_key
    assert first.token_key == second.token_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_cookies_are_secure():
    settings = Settings.from_env(PRODUCTION)
    assert settings.session_cookie_secure


def test_a_second_seller_gets_404_for_the_first_sellers_rows(app, client, auth, make_seller):
    auth.signup("first@example.com")
    token = auth.csrf("/apps/new")
    response = client.post("/apps/new", data={"name": "First's app", "csrf_token": token})
    app_url = response.headers["Location"]
    assert client.get(app_url).status_code == 200
    auth.logout()
    auth.signup("second@example.com")
    assert client.get(app_url).status_code == 404
    assert "First's app" not in client.get("/apps/").get_data(as_text=True)
    with app.app_context(), db.connection_context():
        assert App.select().count() == 1


def test_ids_that_are_not_numbers_are_404_not_500(client, auth):
    auth.signup()
    assert client.get("/apps/abc").status_code == 404
    assert client.get("/orders/1%20or%201=1").status_code == 404


def test_htmx_gets_the_fragment_and_a_browser_the_page(client, auth):
    auth.signup()
    page = client.get("/overview")
    fragment = client.get("/overview", headers={"HX-Request": "true"})
    assert "<html" in page.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Nothing has happened yet" in fragment.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_pages_carry_security_headers_and_a_csp_without_unsafe_eval(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_htmx_is_served_with_its_integrity_hash(client):
    page = client.get("/login").get_data(as_text=True)
    assert (
        'integrity="sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"'
        in page
    )


def test_migrations_run_on_an_empty_sqlite_database(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/empty.db")
    _migrate_into(database)
    assert "orders" in database.get_tables() and "action" in database.get_tables()
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migrations_run_on_an_empty_postgresql_database():
    import psycopg2

    admin = psycopg2.connect(host="127.0.0.1", dbname="test", user="postgres")
    admin.autocommit = True
    name = "rolegate_migration_test"
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        cur.execute(f"CREATE DATABASE {name}")
    try:
        database = open_database(f"postgresql://postgres@127.0.0.1:5432/{name}")
        _migrate_into(database)
        assert {"orders", "action", "grant", "seller"} <= set(database.get_tables())
        database.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def _migrate_into(database):
    previous = db.obj
    db.initialize(database)
    try:
        with db.connection_context():
            assert migrate.upgrade() == migrate.available()
            assert migrate.upgrade() == []
    finally:
        db.initialize(previous)


def test_health_is_503_naming_workers_and_scheduler_when_they_are_down(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert set(body["down"]) == {"workers", "scheduler", "gateway"}
    assert body["checks"]["gateway"]["state"] == "never started"


def test_health_is_200_with_a_real_worker_scheduler_and_gateway(client, processes, sandbox):
    processes.worker()
    processes.scheduler()
    processes.gateway()
    response = wait_until(
        lambda: (r := client.get("/healthz")).status_code == 200 and r,
        timeout=30,
        message="/healthz to be 200",
    )
    assert response.get_json()["checks"]["workers"]["count"] >= 1
    gateway = response.get_json()["checks"]["gateway"]
    assert gateway["state"] == "connected"
    # What Discord's GET /gateway/bot says is left of the day's identifies, after the one spent.
    spent = sandbox.gateway()["identifies"]
    assert (gateway["identifies_total"], gateway["identifies_left"]) == (1000, 1000 - spent)


def test_health_says_what_to_do_when_discord_refuses_the_members_intent(client, processes, sandbox):
    sandbox.gateway(members_intent=False)
    processes.gateway()
    gateway = wait_until(
        lambda: (c := client.get("/healthz").get_json()["checks"]["gateway"])["state"] == "fatal"
        and c, timeout=30, message="the gateway to report the refusal",
    )  # fmt: skip
    assert "switch on Server Members Intent" in gateway["detail"]
    time.sleep(2)
    assert sandbox.gateway()["identifies"] == 1  # it waits: no reconnect loop


def test_health_names_redis_when_it_is_down(app_config):
    app = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0"})
    body = app.test_client().get("/healthz").get_json()
    assert "redis" in body["down"] and body["checks"]["database"]["ok"]


def test_an_existing_sellers_endpoint_becomes_their_rolegate_connection(client, seller, checkout):
    """m0004 on a database of before checkout connections: nothing a seller set up breaks."""
    from webapp.models import Checkout

    with db.connection_context():
        Checkout.delete().execute()  # as before the migration
        migrate.MigrationHistory.delete().where(
            migrate.MigrationHistory.name == "m0004_checkout_connections"
        ).execute()
        assert migrate.upgrade() == ["m0004_checkout_connections"]
        (connection,) = Checkout.select()
        assert connection.provider == "rolegate" and connection.seller_id == seller.id
        assert connection.endpoint_id == seller.webhook_endpoint_id
        assert migrate.upgrade() == []
    assert checkout.paid("ord_after_migration").status_code == 202


def test_columns_added_to_an_existing_sqlite_table_keep_its_rows_triggers_and_defaults(tmp_path):
    """Upgrading a database made before a column existed: SQLite adds NOT NULL columns with
    their default in place (a table rebuild would break m0008's catalog triggers)."""
    import peewee
    from playhouse.migrate import SqliteMigrator

    from webapp.db import UTCDateTimeField
    from webapp.migrate import add_missing_columns

    database = peewee.SqliteDatabase(str(tmp_path / "old.db"))
    database.execute_sql("CREATE TABLE other (id INTEGER PRIMARY KEY, n INTEGER)")
    database.execute_sql('CREATE TABLE "product" (id INTEGER PRIMARY KEY, name TEXT)')
    database.execute_sql("INSERT INTO \"product\" (name) VALUES ('Course'), ('It''s')")
    database.execute_sql("CREATE TRIGGER bump AFTER UPDATE ON other BEGIN "
                         "UPDATE product SET name = name WHERE id = NEW.id; END")  # fmt: skip
    add_missing_columns(database, SqliteMigrator(database), {"product": {
        "reminder_by": peewee.CharField(max_length=8, default="dm"),
        "note": peewee.TextField(default="it's"),
        "reminder_days": peewee.IntegerField(null=True),
        "give_back": peewee.BooleanField(default=True),
        "left_at": UTCDateTimeField(null=True),
    }})  # fmt: skip
    rows = database.execute_sql(
        'SELECT reminder_by, note, reminder_days, give_back, left_at FROM "product"').fetchall()  # fmt: skip
    assert rows == [("dm", "it's", None, 1, None)] * 2
    columns = {c.name: c for c in database.get_columns("product")}
    assert not columns["reminder_by"].null and columns["left_at"].null
    database.execute_sql("INSERT INTO other (id, n) VALUES (1, 1)")
    database.execute_sql("UPDATE other SET n = 2 WHERE id = 1")  # the trigger still works
    add_missing_columns(
        database,
        SqliteMigrator(database),
        {"product": {"reminder_by": peewee.CharField(max_length=8, default="dm")}},
    )  # twice: nothing to do
