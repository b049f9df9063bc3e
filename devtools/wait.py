"""`python -m devtools.wait redis`: block until Redis answers (Procfile.dev ordering)."""

import sys
import time

import redis

from webapp.settings import Settings


def main(argv=None):
    """Wait up to 60 s for each named service."""
    names = (argv if argv is not None else sys.argv[1:]) or ["redis"]
    settings = Settings.from_env()
    deadline = time.monotonic() + 60
    for name in names:
        if name != "redis":
            raise SystemExit(f"unknown service {name!r}")
        while True:
            try:
                redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1).ping()
                break
            except (redis.ConnectionError, FileNotFoundError):
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"Redis at {settings.redis_url} did not answer in 60 s"
                    ) from None
                time.sleep(0.2)


if __name__ == "__main__":
    main()
