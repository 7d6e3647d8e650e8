"""Analyses whose dataset disappears while they run, and job errors with rich details."""

from __future__ import annotations

import time

import mmt.analyses.pd as pd_analysis


def test_dataset_deleted_during_analysis_gives_409(client, upload, monkeypatch):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    original = pd_analysis.analyze_pd

    def delete_then_fail(inputs):
        assert client.delete(f"/api/datasets/{dataset_id}").status_code == 200
        return original(inputs)

    monkeypatch.setattr(pd_analysis, "analyze_pd", delete_then_fail)
    response = client.post("/api/analyze/pd", json={"dataset_id": dataset_id})
    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert body["code"] == "dataset_deleted"
    assert body["details"]["dataset_ids"] == [dataset_id]
    assert client.get("/api/analyses").get_json()["total"] == 0


def test_failed_job_with_date_details_is_recorded(client, upload):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    # The error details of an empty snapshot selection hold dates, which the jobs table stores as JSON.
    accepted = client.post("/api/analyze/pd", json={"dataset_id": dataset_id, "snapshot_date": "2030-01-01", "async": True})
    assert accepted.status_code == 202
    job_id = accepted.get_json()["job_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").get_json()
        if job["state"] in ("completed", "failed"):
            break
        time.sleep(0.2)
    assert job["state"] == "failed"
    assert job["retryable"] is False
    assert job["error"]["code"]
    assert "2030-01-01" in str(job["error"]["details"])


def test_async_request_with_unknown_option_rejected_before_the_job(client):
    response = client.post("/api/analyze/pd", json={"async": True, "no_such_option": 1})
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_request"


def test_latest_dataset_deleted_gives_409(client, upload, monkeypatch):
    # Without dataset_id the analysis picks the latest PD upload itself, so the request names no id to check.
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    original = pd_analysis.analyze_pd

    def delete_then_run(inputs):
        assert client.delete(f"/api/datasets/{dataset_id}").status_code == 200
        return original(inputs)

    monkeypatch.setattr(pd_analysis, "analyze_pd", delete_then_run)
    response = client.post("/api/analyze/pd", json={})
    body = response.get_json()
    assert response.status_code == 409, body
    assert body["code"] == "dataset_deleted"
    assert body["details"]["dataset_ids"] == [dataset_id]
    assert client.get("/api/analyses").get_json()["total"] == 0


def test_deleted_dataset_files_gone_gives_409(client, upload, monkeypatch):
    # The dataset row was read before the deletion committed, and its files were removed afterwards.
    import mmt.analyses.handlers_stability as handlers

    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    original = handlers.parquet_path

    def delete_then_locate(state, dataset):
        assert client.delete(f"/api/datasets/{dataset_id}").status_code == 200
        return original(state, dataset)

    monkeypatch.setattr(handlers, "parquet_path", delete_then_locate)
    response = client.post("/api/analyze/woe", json={"dataset_id": dataset_id})
    body = response.get_json()
    assert response.status_code == 409, body
    assert body["code"] == "dataset_deleted"
    assert body["details"]["dataset_ids"] == [dataset_id]
    assert "Upload the file again" not in body["error"]
