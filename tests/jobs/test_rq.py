"""Jobs on Redis + RQ: a real server and an ``mmt worker`` process, followed over HTTP.

Uses the Redis database named by MMT_TEST_REDIS_URL (redis://127.0.0.1:6379/15
by default), flushes only that database, and is skipped when Redis is not
reachable.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DATA, REPO

REDIS_URL = os.environ.get("MMT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
requests = pytest.importorskip("requests")


@pytest.fixture
def redis_db():
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(tmp_path: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("MMT_", "DATABASE_URL"))}
    environment.update(REDIS_URL=REDIS_URL, DATABASE_URL=f"sqlite:///{tmp_path / 'mmt.sqlite3'}",
                       MMT_INSTANCE_DIR=str(tmp_path / "instance"), MMT_DATA_DIR=str(tmp_path / "data"),
                       LOG_LEVEL="WARNING", PYTHONPATH=str(REPO))
    return environment


def _start(arguments: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen:
    handle = open(log, "wb")
    return subprocess.Popen([sys.executable, "-m", "mmt.cli", *arguments], env=environment, cwd=REPO,
                            stdout=handle, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _follow(base: str, status_url: str, timeout: float = 420.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(base + status_url, timeout=10).json()
        if body["state"] in ("completed", "failed"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"job {status_url} did not end within {timeout} s")


@pytest.fixture
def server_and_worker(redis_db, tmp_path):
    environment = _environment(tmp_path)
    port = _free_port()
    server = _start(["serve", "--host", "127.0.0.1", "--port", str(port)], environment, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(base + "/api/health", timeout=10).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise AssertionError("server did not start:\n" + (tmp_path / "server.log").read_text()[-3000:])
            time.sleep(0.3)
        worker = _start(["worker"], environment, tmp_path / "worker.log")
        try:
            yield base, tmp_path
        finally:
            _stop(worker)
    finally:
        _stop(server)


def test_upload_and_analysis_jobs_run_on_an_rq_worker(server_and_worker):
    base, tmp_path = server_and_worker
    with open(DATA / "pd_lendingclub.csv", "rb") as handle:
        accepted = requests.post(base + "/api/upload/pd", files={"file": ("pd_lendingclub.csv", handle)},
                                 data={"async": "true"}, timeout=180)
    assert accepted.status_code == 202, accepted.text
    job = _follow(base, accepted.json()["status_url"])
    assert job["state"] == "completed", (job, (tmp_path / "worker.log").read_text()[-3000:])
    dataset_id = job["dataset_id"]

    accepted = requests.post(base + "/api/analyze/pd", json={"dataset_id": dataset_id, "async": True}, timeout=180)
    assert accepted.status_code == 202
    job = _follow(base, accepted.json()["status_url"])
    assert job["state"] == "completed" and job["progress"] == 100.0, job
    result = requests.get(base + job["result_url"], timeout=30).json()["analysis_result"]
    direct = requests.post(base + "/api/analyze/pd", json={"dataset_id": dataset_id}, timeout=120).json()["results"]
    assert result["result_data"]["discrimination"]["auc"] == direct["discrimination"]["auc"]


def test_a_job_lost_by_rq_is_failed_retryable_and_runs_again(redis_db, tmp_path):
    """Redis forgets a queued job (flushed or expired): reading it marks it retryable; a worker runs the retry."""
    from rq.job import Job as RQJob

    from mmt import create_app
    from mmt.storage.models import Job

    app = create_app({"instance_dir": tmp_path / "instance", "data_dir": tmp_path / "data",
                      "database_url": f"sqlite:///{tmp_path / 'mmt.sqlite3'}", "redis_url": REDIS_URL,
                      "log_level": "WARNING"})
    client = app.test_client()
    try:
        with open(DATA / "pd_germancredit.csv", "rb") as handle:
            dataset_id = client.post("/api/upload/pd", data={"file": (handle, "pd_germancredit.csv")},
                                     content_type="multipart/form-data").get_json()["dataset_id"]
        job_id = client.post("/api/analyze/pd", json={"dataset_id": dataset_id, "async": True}).get_json()["job_id"]
        assert client.get(f"/api/jobs/{job_id}").get_json()["state"] == "queued"
        RQJob.fetch(job_id, connection=redis_db).delete()
        with app.extensions["mmt"].database.session() as session:
            session.get(Job, job_id).updated_at = session.get(Job, job_id).created_at.replace(year=2000)
        lost = client.get(f"/api/jobs/{job_id}").get_json()
        assert lost["state"] == "failed" and lost["retryable"] is True and lost["error"]["code"] == "interrupted"
        retry = client.post(f"/api/jobs/{job_id}/retry").get_json()

        worker = subprocess.run([sys.executable, "-m", "mmt.cli", "worker", "--burst"], env=_environment(tmp_path),
                                cwd=REPO, capture_output=True, timeout=300)
        assert worker.returncode == 0, worker.stdout[-3000:] + worker.stderr[-3000:]
        done = client.get(retry["status_url"]).get_json()
        assert done["state"] == "completed", done
        assert client.get(done["result_url"]).status_code == 200
    finally:
        app.extensions["mmt"].database.dispose()
