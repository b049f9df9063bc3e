"""A throwaway Rolegate for benchmarks: its own SQLite (or DATABASE_URL), Redis and sandbox."""

import os
import tempfile
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from devtools import embedded_redis
from devtools.processes import Processes
from sandbox import seed
from sandbox.control import SandboxControl


class Stack:
    """Redis, a database, the sandbox, and an environment for Rolegate processes."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="rolegate-bench-"))
        self.redis_process = None
        self.redis_url = os.environ.get("REDIS_URL")
        if not self.redis_url:
            self.redis_process, self.redis_url = embedded_redis.start(self.dir / "redis")
        self.database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{self.dir}/bench.db"
        env = dict(os.environ)
        env.update({
            "REDIS_URL": self.redis_url, "DATABASE_URL": self.database_url,
            "SECRET_KEY": "bench", "TOKEN_KEY": Fernet.generate_key().decode(),
            "DISCORD_CLIENT_ID": seed.CLIENT_ID, "DISCORD_CLIENT_SECRET": seed.CLIENT_SECRET,
            "DISCORD_BOT_TOKEN": seed.BOT_TOKEN, "PYTHONUNBUFFERED": "1",
            "LOGIN_RATE_LIMIT": "10000 per second", "SIGNUP_RATE_LIMIT": "10000 per second",
        })  # fmt: skip
        self.processes = Processes(env, self.dir)
        self.sandbox_url = self.processes.sandbox()
        env["DISCORD_URL"] = self.sandbox_url
        self.sandbox = SandboxControl(self.sandbox_url)
        self.app = None

    @property
    def env(self):
        """The environment of Rolegate processes."""
        return self.processes.env

    def flask_app(self):
        """The app in this process, on the stack's database (migrated, emptied)."""
        from webapp import create_app, migrate
        from webapp.db import db
        from webapp.models import MODELS

        overrides = {k: v for k, v in self.env.items() if k.isupper() and k in _names()}
        self.app = create_app(overrides)
        with db.connection_context():
            db.drop_tables([*reversed(MODELS), migrate.MigrationHistory], safe=True,
                           **({"cascade": True} if self.database_url.startswith("postgres") else {}))  # fmt: skip
            migrate.upgrade()
        return self.app

    def oauth_token(self, user_id, scope, **params):
        """The token answer of a sandbox OAuth code flow for user_id (auto-approved)."""
        self.sandbox.config(auto_approve={"user_id": user_id, "guild_id": params.get("guild_id")})
        consent = requests.get(
            f"{self.sandbox_url}/oauth2/authorize",
            params={"client_id": seed.CLIENT_ID, "redirect_uri": "http://localhost/cb", "scope": scope,
                    "response_type": "code", **params},
            allow_redirects=False, timeout=5,
        )  # fmt: skip
        code = consent.headers["Location"].split("code=")[1].split("&")[0]
        return requests.post(
            f"{self.sandbox_url}/api/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/cb"},
            auth=(seed.CLIENT_ID, seed.CLIENT_SECRET), timeout=5,
        ).json()  # fmt: skip

    def install_bot(self, guild_id=seed.GUILD_ID):
        """Add the bot to a sandbox server through OAuth (as a seller's connect does)."""
        return self.oauth_token(seed.OWNER_ID, "bot", guild_id=guild_id, permissions="268435459")

    def close(self):
        """Stop everything."""
        self.processes.stop_all()
        if self.redis_process:
            self.redis_process.terminate()
            self.redis_process.wait(timeout=10)


def _names():
    from dataclasses import fields

    from webapp.settings import Settings

    return {f.name.upper() for f in fields(Settings)}


def percentile(values, p):
    """The p-th percentile (0–100) of values, nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def signed_headers(hook, webhook_id, body):
    """Standard Webhooks headers for body, signed now with `hook` (a Webhook)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return {"content-type": "application/json", "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": hook.sign(webhook_id, now, body)}  # fmt: skip


def main(run):
    """Run one benchmark on a fresh stack and print its result."""
    stack = Stack()
    try:
        result = run(stack)
        for row in result if isinstance(result, list) else [result]:
            print(row)
    finally:
        stack.close()
