"""A real gunicorn server on 127.0.0.1 for the reliability tests, bounded in time.

The gunicorn configuration imports the heavy libraries in the master
process, so a worker forked after a SIGKILL is serving again within a
second. Each worker writes its PID into ``workers/`` once it serves, so a
test can kill one and wait for its successor.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import REPO

START_SECONDS = 120

GUNICORN_CONFIG = """
import os
from pathlib import Path

# Imported once in the master; forked workers start without importing them again.
import mmt.app  # noqa: F401
import mmt.analyses.registry  # noqa: F401
import mmt.ingest  # noqa: F401

bind = "127.0.0.1:{port}"
workers = {workers}
worker_class = "sync"
timeout = 120
graceful_timeout = 5
backlog = 256
accesslog = None
loglevel = "warning"

WORKERS = Path({workers_dir!r})


def post_worker_init(worker):
    (WORKERS / str(worker.pid)).write_text("ready")


def child_exit(server, worker):
    try:
        (WORKERS / str(worker.pid)).unlink()
    except FileNotFoundError:
        pass
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving ``app:app`` from the repository with its own instance folder."""

    def __init__(self, folder: Path, database_url: str, workers: int, environment: dict[str, str] | None = None,
                 config_extra: str = ""):
        self.folder = folder
        self.database_url = database_url
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers_dir = folder / "workers"
        self.data_dir = folder / "data"
        self.extra = environment or {}
        self.config_extra = config_extra
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.workers_dir.mkdir(parents=True, exist_ok=True)
        config = self.folder / "gunicorn.conf.py"
        config.write_text(GUNICORN_CONFIG.format(port=self.port, workers=self.workers, workers_dir=str(self.workers_dir))
                          + self.config_extra)
        environment = {key: value for key, value in os.environ.items()
                       if key not in ("DATABASE_URL", "REDIS_URL", "MMT_DATA_DIR", "MMT_AUTH")}
        environment.update({
            "MMT_INSTANCE_DIR": str(self.folder / "instance"),
            "MMT_DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            "LOG_LEVEL": "WARNING",
            "MMT_RATE_LIMIT": "off",
            "PYTHONUNBUFFERED": "1",
        })
        environment.update(self.extra)
        self.log = open(self.folder / "server.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(config), "app:app"],
            cwd=REPO, env=environment, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.wait_ready(self.workers)

    def worker_pids(self) -> set[int]:
        return {int(path.name) for path in self.workers_dir.iterdir()}

    def wait_ready(self, workers: int, exclude: set[int] | None = None, seconds: float = START_SECONDS) -> set[int]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            pids = self.worker_pids() - (exclude or set())
            if len(pids) >= workers:
                try:
                    if requests.get(self.base + "/api/health", timeout=5).status_code == 200:
                        return pids
                except requests.RequestException:
                    pass
            time.sleep(0.05)
        raise TimeoutError(f"gunicorn did not serve within {seconds} s:\n{self.log_tail()}")

    def log_tail(self, characters: int = 4000) -> str:
        try:
            return (self.folder / "server.log").read_text(errors="replace")[-characters:]
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        self.log.close()

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()
