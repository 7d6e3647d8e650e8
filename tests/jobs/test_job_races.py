"""Jobs under concurrent requests: two retries of one job."""

from __future__ import annotations

import sqlalchemy as sa

from mmt.storage.models import Job
from tests.jobs.test_jobs import follow


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
