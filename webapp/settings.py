"""Settings read from the environment (and `.env`), typed, in one object."""

import os
import secrets
from dataclasses import dataclass, fields
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
SANDBOX_URL = "http://localhost:5055"


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def parse_brake(raw):
    """ "20,10%" → (20, 0.10); "20" → (20, 0.0); "0" or "off" → None."""
    text = str(raw).strip().lower()
    if text in ("0", "off", ""):
        return None
    count, _, share = text.partition(",")
    try:
        count = int(count)
        share = float(share.strip().rstrip("%")) / 100 if share.strip() else 0.0
    except ValueError:
        count = -1
    if count < 1 or not 0 <= share <= 1:
        raise SettingsError(
            f"BRAKE_THRESHOLD must be like 20,10% (a count, and a share of an app's live "
            f"members), or 0 to switch the brake off; not {raw!r}"
        )
    return count, share


def _bool(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    """Everything the app, the workers and the scheduler read from the environment."""

    env: str = "development"
    secret_key: str = ""
    token_key: str = ""
    database_url: str = ""
    redis_url: str = ""
    discord_url: str = "https://discord.com"
    # Where the `stripe` library sends Rolegate's few Stripe API calls (a stand-in in tests).
    stripe_api_url: str = "https://api.stripe.com"
    # Where Paddle's SDK sends its one call (a customer's email); empty: Paddle's own API,
    # the sandbox one for a `pdl_sdbx_…` key.
    paddle_api_url: str = ""
    discord_client_id: str = ""
    discord_client_secret: str = ""
    discord_bot_token: str = ""
    public_url: str = "http://localhost:5000"
    smtp_url: str = ""
    mail_from: str = "Rolegate <no-reply@localhost>"
    subscription_grace_days: int = 3
    # Seconds between two reconciliations of every server (0: off); SPEC §10.
    reconcile_every: int = 21600
    session_cookie_secure: bool = False
    login_rate_limit: str = "10 per minute;50 per hour"
    signup_rate_limit: str = "5 per minute;30 per hour"
    discord_global_limit: int = 50
    operator_emails: str = ""
    # How many proxies (a Procfile host's router, a load balancer) sit in front of gunicorn
    # and set X-Forwarded-For/-Proto/-Host: their values are trusted that many hops deep.
    proxy_count: int = 0
    # A buyer may move their access to another Discord account this often in 30 days.
    account_switch_limit: int = 3
    # Seconds before each retry of a Discord action (SPEC §7); shortened by the fault tests.
    action_backoff: str = "60,300,1800,7200,43200"
    # The brake on mass removals (SPEC §11): more removals and revokes than this many AND this
    # share of an app's live members within `brake_window` seconds are held. "0": off.
    # Seconds between two plannings of buyers' reminders by the scheduler (SPEC §12).
    reminder_plan_every: int = 60
    brake_threshold: str = "20,10%"
    brake_window: int = 600

    @property
    def brake(self):
        """(count, share) of the brake, or None when it is off."""
        return parse_brake(self.brake_threshold)

    @property
    def backoff(self):
        """The retry delays, in seconds."""
        return tuple(float(x) for x in self.action_backoff.split(",") if x.strip())

    def is_operator(self, email):
        """May this seller see the Operations page? (Everyone in development by default.)"""
        listed = {e.strip().lower() for e in self.operator_emails.split(",") if e.strip()}
        return email.lower() in listed if listed or self.production else True

    @property
    def production(self):
        """True when running as a deployed service (APP_ENV/FLASK_ENV=production)."""
        return self.env == "production"

    @classmethod
    def from_env(cls, overrides=None, instance=INSTANCE):
        """Read settings from the environment (and .env), then `overrides`; fill defaults."""
        load_dotenv(ROOT / ".env")
        environ = {**os.environ, **{k: str(v) for k, v in (overrides or {}).items()}}
        env = (environ.get("APP_ENV") or environ.get("FLASK_ENV") or "development").lower()
        s = cls(env=env)
        for f in fields(cls):
            if f.name == "env":
                continue
            raw = environ.get(f.name.upper())
            if raw is None or raw == "":
                continue
            try:
                if f.type in (int, "int"):
                    value = int(raw)
                elif f.type in (bool, "bool"):
                    value = _bool(raw)
                else:
                    value = raw
            except ValueError as exc:
                raise SettingsError(f"{f.name.upper()} must be a number, not {raw!r}") from exc
            setattr(s, f.name, value)
        if "SESSION_COOKIE_SECURE" not in environ:
            s.session_cookie_secure = s.production or s.public_url.startswith("https://")
        s._fill_defaults(instance)
        return s

    def _fill_defaults(self, instance):
        if self.production:
            for name in ("secret_key", "token_key", "database_url", "redis_url"):
                if not getattr(self, name):
                    raise SettingsError(
                        f"{name.upper()} must be set in production (APP_ENV=production)"
                    )
        else:
            self.secret_key = self.secret_key or _kept_secret(
                instance / "secret_key", lambda: secrets.token_urlsafe(48)
            )
            self.token_key = self.token_key or _kept_secret(
                instance / "token_key", lambda: Fernet.generate_key().decode()
            )
            if not self.database_url:
                instance.mkdir(parents=True, exist_ok=True)
                self.database_url = f"sqlite:///{instance / 'rolegate.sqlite3'}"
            if not self.redis_url:
                from devtools.embedded_redis import socket_url

                self.redis_url = socket_url(instance / "redis")
        if not self.discord_bot_token:
            if self.production:
                raise SettingsError(
                    "DISCORD_BOT_TOKEN must be set in production (APP_ENV=production)"
                )
            from sandbox import seed

            # No Discord credentials: the whole product runs against the local sandbox.
            if self.discord_url == "https://discord.com":
                self.discord_url = SANDBOX_URL
            self.discord_client_id = self.discord_client_id or seed.CLIENT_ID
            self.discord_client_secret = self.discord_client_secret or seed.CLIENT_SECRET
            self.discord_bot_token = seed.BOT_TOKEN
        parse_brake(self.brake_threshold)  # a bad value stops the start, in words
        for key in self.token_key.split(","):
            try:
                Fernet(key.strip())
            except ValueError as exc:
                raise SettingsError(
                    "TOKEN_KEY must be one or more comma-separated Fernet keys"
                ) from exc


def _kept_secret(path, make):
    """Read a development secret from instance/, creating it on first use."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.write_text(make())
        draft.chmod(0o600)
        try:
            # link() fails if another process won the race: everyone reads the winner's.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
