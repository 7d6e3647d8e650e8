"""Job ids with a NUL character, in a cursor or a path, on every database (PostgreSQL text cannot hold NUL)."""

from __future__ import annotations

import base64

from tests.api.test_jobs_list import add_job


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def test_cursor_with_nul_job_id_rejected(client, app):
    add_job(app, "a1", 1)
    response = client.get("/api/jobs", query_string={"cursor": cursor_of("2026-03-01T09:30:00|a\x00b")})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "invalid_query"
    assert body["details"]["parameter"] == "cursor"


def test_job_path_with_nul_not_found(client, app):
    add_job(app, "a1", 1)
    response = client.get("/api/jobs/a1%00b")
    assert response.status_code == 404
    assert response.get_json()["code"] == "job_not_found"


def test_retry_path_with_nul_not_found(client, app):
    add_job(app, "a1", 1, state="failed")
    response = client.post("/api/jobs/a1%00b/retry")
    assert response.status_code == 404
    assert response.get_json()["code"] == "job_not_found"
