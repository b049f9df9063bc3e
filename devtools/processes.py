"""Real Rolegate processes (rq worker, scheduler, gunicorn, sandbox) for tests and benchmarks."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=20.0, interval=0.05, message="condition"):
    """Poll predicate until it is truthy; fail the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


class Processes:
    """Starts processes with the app's settings in their environment; stops them all."""

    def __init__(self, env, log_dir):
        self.env = env
        self.log_dir = Path(log_dir)
        self.running = []

    def start(self, name, *args, env=None):
        """Start `python -m <args>` (or a venv script) in the repo root."""
        log = open(self.log_dir / f"{name}-{len(self.running)}.log", "w")
        process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env={**self.env, **(env or {})}, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        process.log_path = log.name
        self.running.append(process)
        return process

    def worker(self, *extra):
        """A real `rq worker` on Rolegate's queues."""
        rq = str(Path(sys.executable).with_name("rq"))
        log = open(self.log_dir / f"worker-{len(self.running)}.log", "w")
        process = subprocess.Popen(
            [rq, "worker", "-c", "workers.rq_settings", "-w", "workers.worker.RolegateWorker", *extra],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        process.log_path = log.name
        self.running.append(process)
        return process

    def scheduler(self, interval="0.5"):
        """Rolegate's scheduler process (rq-scheduler)."""
        return self.start("scheduler", "-m", "workers.scheduler", "--interval", interval)

    def gateway(self):
        """Rolegate's gateway process (hikari, connected to DISCORD_URL)."""
        return self.start("gateway", "-m", "workers.gateway")

    def web(self, workers=2):
        """The Flask app under gunicorn on a free port; returns its base URL."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        self.start(
            "web", "-m", "gunicorn", "--workers", str(workers), "--threads", "4",
            "--bind", f"127.0.0.1:{port}", "wsgi:app", env={"PUBLIC_URL": url},
        )  # fmt: skip
        wait_until(lambda: _answers(url + "/login"), message="gunicorn to answer")
        return url

    def sandbox(self):
        """The Discord sandbox on a free port; returns its base URL."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        self.start("sandbox", "-m", "sandbox", "--port", str(port))
        wait_until(lambda: _answers(url + "/_sandbox/stats"), message="the sandbox to answer")
        return url

    def log(self, process):
        """What a process printed so far."""
        return Path(process.log_path).read_text()

    def stop_all(self):
        """SIGTERM everything, then SIGKILL what lingers."""
        for process in self.running:
            if process.poll() is None:
                process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()


def _answers(url):
    try:
        return requests.get(url, timeout=5).status_code < 500
    except requests.ConnectionError:
        return False
