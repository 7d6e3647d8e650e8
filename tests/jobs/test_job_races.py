"""Jobs under concurrent requests and lost parts: two retries of one job, a worker killed mid-job, no Redis."""

from __future__ import annotations

import datetime as dt
import os
import time

import sqlalchemy as sa

import mmt.jobs.tasks as tasks
from mmt.jobs.tasks import HEARTBEAT_STALE_SECONDS, execute_job
from mmt.storage.models import Job, utc_now
from tests.conftest import DATA
from tests.jobs.test_jobs import close, follow, make_app
from tests.jobs.test_rq import REDIS_URL, redis_db  # noqa: F401  (redis_db is a fixture)
from tests.jobs.test_rq import _free_port as free_port


def add_failed_job(app, dataset_id: int, job_id: str = "interrupted-job") -> str:
    """Store a failed, retryable PD analysis job of ``dataset_id`` and return its id."""
    with app.extensions["mmt"].database.session() as session:
        session.add(Job(id=job_id, kind="analyze_pd", state="failed", retryable=True, progress=40.0,
                        error={"code": "interrupted", "message": "stopped"},
                        request={"task": "analysis", "analysis_type": "pd", "payload": {"dataset_id": dataset_id}}))
    return job_id


def job_count(app) -> int:
    with app.extensions["mmt"].database.session() as session:
        return session.scalar(sa.select(sa.func.count(Job.id)))


def test_concurrent_retries_submit_once(app, client, upload, monkeypatch):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    job_id = add_failed_job(app, dataset_id)
    runner = app.extensions["mmt"].jobs
    original = runner.submit
    calls: list[str] = []
    second: list = []

    def submit_while_another_retry_arrives(*args, **kwargs):
        # The second request arrives after the first one checked the job and before it submitted it.
        calls.append("submit")
        if len(calls) == 1:
            second.append(client.post(f"/api/jobs/{job_id}/retry"))
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "submit", submit_while_another_retry_arrives)
    first = client.post(f"/api/jobs/{job_id}/retry")

    assert first.status_code == 202, first.get_json()
    assert second[0].status_code == 409, second[0].get_json()
    assert second[0].get_json()["code"] == "job_not_retryable"
    assert job_count(app) == 2
    retried = client.get(f"/api/jobs/{job_id}").get_json()
    assert retried["retryable"] is False
    assert retried["message"] == f"retried as job {first.get_json()['job_id']}"
    assert follow(client, first.get_json()["status_url"])["state"] == "completed"


def test_failed_submit_keeps_job_retryable(app, client, upload, monkeypatch):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    job_id = add_failed_job(app, dataset_id)
    runner = app.extensions["mmt"].jobs
    original = runner.submit

    def queue_down(*args, **kwargs):
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(runner, "submit", queue_down)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.post(f"/api/jobs/{job_id}/retry").status_code == 500
    assert client.get(f"/api/jobs/{job_id}").get_json()["retryable"] is True

    monkeypatch.setattr(runner, "submit", original)
    assert client.post(f"/api/jobs/{job_id}/retry").status_code == 202


def add_running_job(app, dataset_id: int, silent_seconds: float, job_id: str) -> str:
    """Store a PD analysis job as running on this live process, last written ``silent_seconds`` ago."""
    written = utc_now() - dt.timedelta(seconds=silent_seconds)
    with app.extensions["mmt"].database.session() as session:
        session.add(Job(id=job_id, kind="analyze_pd", state="running", progress=40.0, worker_pid=os.getpid(),
                        request={"task": "analysis", "analysis_type": "pd", "payload": {"dataset_id": dataset_id}},
                        created_at=written, updated_at=written))
    return job_id


def test_silent_running_job_is_interrupted(app, client, upload):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    silent = add_running_job(app, dataset_id, HEARTBEAT_STALE_SECONDS + 60, "silent-job")
    beating = add_running_job(app, dataset_id, 5, "beating-job")

    lost = client.get(f"/api/jobs/{silent}").get_json()
    assert lost["state"] == "failed"
    assert lost["retryable"] is True
    assert lost["error"]["code"] == "interrupted"
    assert client.get(f"/api/jobs/{beating}").get_json()["state"] == "running"

    retried = client.post(f"/api/jobs/{silent}/retry")
    assert retried.status_code == 202, retried.get_json()
    assert follow(client, retried.get_json()["status_url"])["state"] == "completed"


def test_silent_rq_job_started_is_interrupted(redis_db, tmp_path):  # noqa: F811
    """RQ keeps a killed SimpleWorker's job as started until the job timeout, so the heartbeat decides."""
    from rq.job import Job as RQJob
    from rq.job import JobStatus

    app = make_app(f"sqlite:///{tmp_path / 'mmt.sqlite3'}", tmp_path, redis_url=REDIS_URL)
    try:
        add_running_job(app, 1, HEARTBEAT_STALE_SECONDS + 60, "silent-rq-job")
        add_running_job(app, 1, 5, "beating-rq-job")
        # Stored in Redis but on no queue, so that no worker can take them.
        for job_id in ("silent-rq-job", "beating-rq-job"):
            started = RQJob.create("mmt.jobs.tasks.run_job", args=(job_id,), id=job_id, connection=redis_db)
            started.save()
            started.set_status(JobStatus.STARTED)
        client = app.test_client()

        lost = client.get("/api/jobs/silent-rq-job").get_json()
        assert lost["state"] == "failed"
        assert lost["retryable"] is True
        assert lost["error"]["code"] == "interrupted"
        assert client.get("/api/jobs/beating-rq-job").get_json()["state"] == "running"
    finally:
        close(app)


def test_heartbeat_writes_running_job(app, monkeypatch):
    state = app.extensions["mmt"]
    monkeypatch.setattr(tasks, "HEARTBEAT_SECONDS", 0.05)
    written: list[dt.datetime] = []

    def read_updated_at() -> dt.datetime:
        with state.database.session() as session:
            return session.get(Job, "beating").updated_at

    def slow_task(_state, _request):
        written.append(read_updated_at())
        time.sleep(0.5)
        written.append(read_updated_at())
        return {}

    monkeypatch.setitem(tasks._TASKS, "slow", slow_task)
    with state.database.session() as session:
        session.add(Job(id="beating", kind="slow", state="queued", request={"task": "slow"}))
    execute_job(state, "beating")

    assert written[1] > written[0]
    with state.database.session() as session:
        job = session.get(Job, "beating")
        assert job.state == "completed"
        assert job.retryable is False


def test_unreachable_queue_fails_job_retryable(tmp_path):
    from mmt.storage.models import Job as JobRow

    # Nothing listens on a port just freed, so every Redis command fails at once with "connection refused".
    closed = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(f"sqlite:///{tmp_path / 'mmt.sqlite3'}", tmp_path, redis_url=closed)
    try:
        client = app.test_client()
        dataset_id = client.post("/api/upload/pd", data={"file": ((DATA / "pd_germancredit.csv").open("rb"),
                                                                   "pd_germancredit.csv")},
                                 content_type="multipart/form-data").get_json()["dataset_id"]

        response = client.post("/api/analyze/pd", json={"dataset_id": dataset_id, "async": True})
        body = response.get_json()
        assert response.status_code == 503, body
        assert body["code"] == "queue_unavailable"
        job = client.get(f"/api/jobs/{body['details']['job_id']}").get_json()
        assert job["state"] == "failed"
        assert job["retryable"] is True
        assert job["error"]["code"] == "queue_unavailable"

        retried = client.post(f"/api/jobs/{job['job_id']}/retry")
        assert retried.status_code == 503, retried.get_json()
        with app.extensions["mmt"].database.session() as session:
            states = sorted(row.state for row in session.scalars(sa.select(JobRow)))
        assert states == ["failed", "failed"]

        # A background upload keeps its staged file, so that a retry has it once Redis is back.
        upload = client.post("/api/upload/pd", data={"file": ((DATA / "pd_germancredit.csv").open("rb"),
                                                              "pd_germancredit.csv"), "async": "true"},
                             content_type="multipart/form-data")
        assert upload.status_code == 503, upload.get_json()
        upload_job = upload.get_json()["details"]["job_id"]
        assert client.get(f"/api/jobs/{upload_job}").get_json()["retryable"] is True
        assert (tmp_path / "data" / "jobs" / f"{upload_job}.upload").is_file()
    finally:
        close(app)
