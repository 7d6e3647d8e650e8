"""Background jobs in this process: 202, progress, result link, restart and retry."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from mmt.jobs.progress import report_progress, reporting_to, stage
from mmt.storage.models import Job
from tests.conftest import DATA


def make_app(database_url, tmp_path, **settings):
    from mmt import create_app

    app = create_app({"instance_dir": tmp_path / "instance", "data_dir": tmp_path / "data",
                      "database_url": database_url, "log_level": "WARNING", **settings})
    app.config["TESTING"] = True
    return app


def close(app) -> None:
    app.extensions["mmt"].jobs.shutdown(wait=True)
    app.extensions["mmt"].database.dispose()


def upload_file(client, model_type: str, relative: str, **form):
    with open(DATA / relative, "rb") as handle:
        return client.post(f"/api/upload/{model_type}", data={"file": (handle, relative.split("/")[-1]), **form},
                           content_type="multipart/form-data")


def follow(client, status_url: str, timeout: float = 120.0) -> dict:
    """Poll a job until it ends; return its last state."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        response = client.get(status_url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen.append(body["progress"])
        assert 0.0 <= body["progress"] <= 100.0
        if body["state"] in ("completed", "failed"):
            assert seen == sorted(seen), "progress went backwards"
            return body
        time.sleep(0.2)
    raise AssertionError(f"job at {status_url} did not end within {timeout} s")


def test_async_analysis_goes_from_202_to_the_stored_result(client, upload):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    accepted = client.post("/api/analyze/pd", json={"dataset_id": dataset_id, "async": True})
    assert accepted.status_code == 202
    body = accepted.get_json()
    assert body["status_url"] == f"/api/jobs/{body['job_id']}"
    job = follow(client, body["status_url"])
    assert job["state"] == "completed" and job["progress"] == 100.0 and job["error"] is None
    assert job["result_url"] == f"/api/analyses/{job['result_id']}"
    stored = client.get(job["result_url"]).get_json()["analysis_result"]["result_data"]
    direct = client.post("/api/analyze/pd", json={"dataset_id": dataset_id}).get_json()["results"]
    assert stored["discrimination"]["auc"] == direct["discrimination"]["auc"]
    assert stored["stability"]["psi"]["value"] == direct["stability"]["psi"]["value"]


def test_a_failing_job_reports_the_error_and_is_not_retryable(client):
    accepted = client.post("/api/analyze/pd", json={"dataset_id": 987654, "async": True})
    job = follow(client, accepted.get_json()["status_url"])
    assert job["state"] == "failed" and job["retryable"] is False
    assert job["error"]["code"] == "dataset_not_found"


def test_analysis_over_the_row_threshold_runs_as_a_job(database_url, tmp_path):
    app = make_app(database_url, tmp_path, async_row_threshold=500)
    try:
        client = app.test_client()
        dataset_id = upload_file(client, "pd", "pd_germancredit.csv").get_json()["dataset_id"]
        assert client.post("/api/analyze/pd", json={"dataset_id": dataset_id}).status_code == 202
        assert client.post("/api/analyze/pd", json={"dataset_id": dataset_id, "async": False}).status_code == 200
        unclear = client.post("/api/analyze/pd", json={"dataset_id": dataset_id, "async": "maybe"})
        assert unclear.status_code == 422 and unclear.get_json()["code"] == "invalid_option"
    finally:
        close(app)


def test_async_upload_is_ingested_by_a_job(client):
    accepted = upload_file(client, "pd", "pd_germancredit.csv", name="German credit", **{"async": "true"})
    assert accepted.status_code == 202
    job = follow(client, accepted.get_json()["status_url"])
    assert job["state"] == "completed", job
    assert job["result_url"] == f"/api/datasets/{job['dataset_id']}"
    dataset = client.get(job["result_url"]).get_json()["dataset"]
    assert dataset["name"] == "German credit" and dataset["n_rows"] == 1000
    assert client.get(f"/api/datasets/{job['dataset_id']}/download").data == (DATA / "pd_germancredit.csv").read_bytes()


def test_upload_over_the_size_threshold_runs_as_a_job(database_url, tmp_path):
    app = make_app(database_url, tmp_path, extra={"async_upload_mb": 0.01})
    try:
        client = app.test_client()
        assert upload_file(client, "pd", "pd_germancredit.csv").status_code == 202
        assert upload_file(client, "pd", "pd_germancredit.csv", **{"async": "false"}).status_code == 200
    finally:
        close(app)


def test_large_originals_stay_on_disk_and_download_byte_for_byte(database_url, tmp_path):
    import sqlalchemy as sa

    from mmt.storage.models import Dataset

    app = make_app(database_url, tmp_path, extra={"content_in_db_mb": 0})
    try:
        client = app.test_client()
        dataset_id = upload_file(client, "pd", "pd_germancredit.csv").get_json()["dataset_id"]
        state = app.extensions["mmt"]
        with state.database.session() as session:
            row = session.execute(sa.select(Dataset.content, Dataset.content_path).where(Dataset.id == dataset_id)).one()
        assert row.content is None and row.content_path == f"datasets/{dataset_id}/original.bin"
        original = (DATA / "pd_germancredit.csv").read_bytes()
        response = client.get(f"/api/datasets/{dataset_id}/download")
        assert response.status_code == 200 and response.data == original
        on_disk = state.files.absolute(row.content_path)
        on_disk.write_bytes(original[:-1] + b"X")
        damaged = client.get(f"/api/datasets/{dataset_id}/download")
        assert damaged.status_code == 409 and damaged.get_json()["code"] == "dataset_files_missing"
    finally:
        close(app)


def test_job_of_a_stopped_server_is_failed_and_retryable_after_restart(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    client = app.test_client()
    dataset_id = upload_file(client, "pd", "pd_germancredit.csv").get_json()["dataset_id"]
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    with app.extensions["mmt"].database.session() as session:
        session.add(Job(id="interrupted-job", kind="analyze_pd", state="running", progress=40.0, worker_pid=dead_pid,
                        request={"task": "analysis", "analysis_type": "pd", "payload": {"dataset_id": dataset_id}}))
    close(app)

    restarted = make_app(database_url, tmp_path)
    try:
        client = restarted.test_client()
        job = client.get("/api/jobs/interrupted-job").get_json()
        assert job["state"] == "failed" and job["retryable"] is True
        assert job["error"]["code"] == "interrupted"
        retried = client.post("/api/jobs/interrupted-job/retry")
        assert retried.status_code == 202
        assert follow(client, retried.get_json()["status_url"])["state"] == "completed"
        assert client.post("/api/jobs/interrupted-job/retry").status_code == 409
        assert client.get("/api/jobs/no-such-job").status_code == 404
    finally:
        close(restarted)


def test_progress_is_scaled_into_stages():
    seen: list[float] = []
    report_progress(50)  # outside a job: ignored
    with reporting_to(lambda percent, message: seen.append(percent)):
        report_progress(10)
        with stage(20, 60):
            report_progress(50)
            with stage(50, 100):
                report_progress(100)
        report_progress(100)
    assert seen == [10, 40, 60, 100]


def test_pd_analysis_reports_rising_progress(client, upload, app):
    from mmt.services.analyses import run_analysis

    dataset_id = upload("pd", "pd_lendingclub.csv").get_json()["dataset_id"]
    seen: list[tuple[float, str | None]] = []
    with app.app_context(), reporting_to(lambda percent, message: seen.append((percent, message))):
        run_analysis(app.extensions["mmt"], "pd", {"dataset_id": dataset_id})
    percents = [percent for percent, _ in seen]
    assert len(percents) >= 8 and percents == sorted(percents) and percents[-1] >= 95


def test_stored_parameters_record_how_analysis_ran(database_url, tmp_path):
    app = make_app(database_url, tmp_path, async_row_threshold=500)
    try:
        client = app.test_client()
        dataset_id = upload_file(client, "lgd", "lgd_synthetic.csv").get_json()["dataset_id"]
        by_size = client.post("/api/analyze/lgd", json={"dataset_id": dataset_id})
        requested = client.post("/api/analyze/lgd", json={"dataset_id": dataset_id, "async": True})
        synchronous = client.post("/api/analyze/lgd", json={"dataset_id": dataset_id, "async": False})

        assert by_size.status_code == 202, by_size.get_json()
        assert requested.status_code == 202, requested.get_json()
        assert synchronous.status_code == 200, synchronous.get_json()
        stored = {}
        for name, accepted in (("by_size", by_size), ("requested", requested)):
            job = follow(client, accepted.get_json()["status_url"])
            assert job["state"] == "completed", job
            stored[name] = client.get(job["result_url"]).get_json()["analysis_result"]
        stored["synchronous"] = client.get(
            f"/api/analyses/{synchronous.get_json()['analysis_result_id']}").get_json()["analysis_result"]
        assert stored["by_size"]["parameters"]["async"] is True
        assert stored["requested"]["parameters"]["async"] is True
        assert stored["synchronous"]["parameters"]["async"] is False
        job = follow(client, client.post("/api/analyze/stability", json={"dataset_id": dataset_id,
                                                                          "columns": ["lgd_predicted"]}
                                         ).get_json()["status_url"])
        stability = client.get(job["result_url"]).get_json()["analysis_result"]
        assert stability["parameters"]["async"] is True
        assert stability["result_data"]["parameters"]["async"] is True
        # How an analysis ran is no input, so the fingerprint of the same inputs stays the same.
        assert stored["by_size"]["input_sha256"] == stored["synchronous"]["input_sha256"]
    finally:
        close(app)
