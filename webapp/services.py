"""Process-wide services built from Settings: database, Redis, Discord, encryption.

The web app configures them in create_app; workers and the scheduler call configure()
once on start (or lazily through ensure_configured) — never at import time.
"""

import redis

from webapp import crypto, db, logs
from webapp.settings import Settings

_settings = None
_redis = None
_discord = None


def configure(settings):
    """Bind the database, keys and Redis for this process."""
    global _settings, _redis, _discord
    _settings = settings
    _redis = None
    _discord = None
    db.bind(settings.database_url)
    crypto.configure(settings.token_key)
    logs.configure()
    return settings


def ensure_configured():
    """Configure from the environment unless this process already is (workers)."""
    return _settings or configure(Settings.from_env())


def settings():
    """The settings this process runs with."""
    return ensure_configured()


def get_redis():
    """The shared Redis connection (a pool under the hood)."""
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(ensure_configured().redis_url)
    return _redis


def get_discord():
    """The Discord REST client, sharing rate-limit state through Redis."""
    global _discord
    if _discord is None:
        from webapp.discord import DiscordHTTP

        s = ensure_configured()
        _discord = DiscordHTTP(
            s.discord_url,
            s.discord_bot_token,
            get_redis(),
            client_id=s.discord_client_id,
            client_secret=s.discord_client_secret,
            global_limit=s.discord_global_limit,
        )
    return _discord
