"""No error response contains a stack trace, SQL, a server path or an exception's own text."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import DATA, REPO
from tests.security.test_audit import post_upload, sample_bytes

SECRET = "s3cr3t-column-value"
FORBIDDEN = ("Traceback", 'File "', "sqlalchemy", "psycopg", "sqlite3", "SELECT ", "INSERT ", "UPDATE ",
             "DELETE FROM", "pg_catalog", ".venv", "site-packages", SECRET)


def assert_no_leak(response, *paths: Path) -> None:
    text = response.get_data(as_text=True)
    for needle in FORBIDDEN + tuple(str(path) for path in paths) + (str(REPO),):
        assert needle not in text, (needle, response.status_code, text[:500])
    if response.status_code >= 400 and response.is_json:
        body = response.get_json()
        assert body["success"] is False
        assert body["code"]
        assert body["request_id"]


def leak_paths(app) -> tuple[Path, ...]:
    state = app.extensions["mmt"]
    return (state.files.root, state.settings.instance_dir, Path("/tmp"))


INTERNAL_ERRORS = [
    sa.exc.ProgrammingError(f"SELECT {SECRET} FROM datasets WHERE path = '/srv/mmt/data'", {}, Exception(SECRET)),
    sa.exc.IntegrityError(f"INSERT INTO datasets VALUES ('{SECRET}')", {}, Exception("UNIQUE constraint failed")),
    sa.exc.OperationalError("SELECT 1", {}, Exception("no such table: datasets")),
    RuntimeError(f"cannot open /srv/mmt/data/datasets/1/data.parquet: {SECRET}"),
    KeyError(SECRET),
    MemoryError(),
]


@pytest.mark.parametrize("error", INTERNAL_ERRORS, ids=lambda error: type(error).__name__)
def test_internal_error_gives_generic_500(client, app, monkeypatch, error):
    import mmt.api.summary

    def broken(_session):
        raise error

    monkeypatch.setattr(mmt.api.summary, "build_summary", broken)
    response = client.get("/api/summary")
    assert response.status_code == 500
    assert response.get_json()["code"] == "internal_error"
    assert_no_leak(response, *leak_paths(app))
    assert "/srv/mmt" not in response.get_data(as_text=True)


def test_locked_database_gives_503(client, app, monkeypatch):
    import mmt.api.summary

    def locked(_session):
        raise sa.exc.OperationalError("UPDATE user_thresholds SET value = ?", {}, Exception("database is locked"))

    monkeypatch.setattr(mmt.api.summary, "build_summary", locked)
    response = client.get("/api/summary")
    assert response.status_code == 503
    assert response.get_json()["code"] == "database_busy"
    assert response.headers["Retry-After"]
    assert "database is locked" not in response.get_data(as_text=True)
    assert_no_leak(response, *leak_paths(app))


def test_upload_internal_error_leaks_nothing(client, app, monkeypatch):
    import mmt.ingest

    def broken(*_args, **_kwargs):
        raise OSError(f"[Errno 28] No space left on device: '{app.extensions['mmt'].files.tmp_dir}/x.parquet'")

    monkeypatch.setattr(mmt.ingest, "ingest_file", broken)
    response = post_upload(client, sample_bytes(30))
    assert response.status_code == 500
    assert_no_leak(response, *leak_paths(app))
    assert not [path for path in app.extensions["mmt"].files.tmp_dir.iterdir()]


@pytest.mark.parametrize("path", sorted((DATA / "bad").iterdir()), ids=lambda path: path.name)
def test_bad_files_leak_no_path(client, app, path):
    with open(path, "rb") as handle:
        response = client.post("/api/upload/pd", data={"file": (handle, path.name)}, content_type="multipart/form-data")
    assert response.status_code < 500, response.get_json()
    assert_no_leak(response, *leak_paths(app), DATA)


@pytest.mark.parametrize("method, path, kwargs", [
    ("POST", "/api/health", {}),
    ("GET", "/api/nothing-here", {}),
    ("GET", "/api/datasets/99999999999999999999999", {}),
    ("PUT", "/api/datasets/1", {"data": b"{not json", "content_type": "application/json"}),
    ("POST", "/api/analyze/pd", {"json": {"dataset_id": "1; DROP TABLE datasets"}}),
    ("POST", "/api/analyze/no_such_analysis", {"json": {}}),
    ("GET", "/api/analyses?dataset_id=1%27%20OR%201=1--", {}),
    ("GET", "/api/jobs/" + "x" * 500, {}),
    ("POST", "/api/upload/pd", {"data": b"--x\r\n", "content_type": "multipart/form-data; boundary=x"}),
    # Found by schemathesis: a part without a name used to break the "no file" message.
    ("POST", "/api/upload/pd", {"data": b'--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n--b\r\n'
                                        b'Content-Disposition: form-data; name="columns"\r\n\r\nx\r\n--b--\r\n',
                                "content_type": "multipart/form-data; boundary=b"}),
])
def test_malformed_requests_leak_nothing(client, app, method, path, kwargs):
    response = client.open(path, method=method, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json
    assert_no_leak(response, *leak_paths(app))


def test_failed_job_error_leaks_nothing(client, app, monkeypatch, upload):
    import mmt.services.analyses

    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]

    def broken(*_args, **_kwargs):
        raise RuntimeError(f"SELECT {SECRET} FROM /srv/mmt/data")

    monkeypatch.setattr(mmt.services.analyses, "run_analysis", broken)
    accepted = client.post("/api/analyze/pd", json={"dataset_id": dataset_id, "async": True})
    assert accepted.status_code == 202
    job_url = accepted.get_json()["status_url"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = client.get(job_url)
        if job.get_json()["state"] in ("completed", "failed"):
            break
        time.sleep(0.05)
    assert job.get_json()["state"] == "failed"
    assert_no_leak(job, *leak_paths(app))
    assert "/srv/mmt" not in job.get_data(as_text=True)


def test_repeated_grade_in_order_rejected(client, upload):
    # Found by schemathesis: the grade-order check of the master scale raised a plain ValueError.
    assert upload("ratings", "rating_transitions.csv").status_code == 200
    for order in (["A", "A"], ["A", " "]):
        response = client.post("/api/analyze/rating_transition", json={"grade_order": order})
        assert response.status_code in (400, 422), response.get_json()
        assert response.get_json()["code"] == "invalid_grade_order"


def test_oversized_ids_not_found(client):
    huge = 2**63
    for path in (f"/api/datasets/{huge}", f"/api/analyses/{huge}", f"/api/analyses/{huge}/report.html",
                 f"/api/datasets/{huge}/download"):
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)
    assert client.get(f"/api/analyses?dataset_id={huge}").status_code in (200, 400, 422)
    assert client.post("/api/analyze/pd", json={"dataset_id": huge}).status_code in (400, 404, 422)


def test_unreadable_upload_leaks_no_path(client, app):
    response = post_upload(client, b"PK\x03\x04" + b"\x00" * 200, filename="broken.xlsx")
    assert 400 <= response.status_code < 500
    assert_no_leak(response, *leak_paths(app))
    response = post_upload(client, io.BytesIO(b"PAR1" + b"\x00" * 100 + b"PAR1").getvalue(), filename="x.parquet")
    assert 400 <= response.status_code < 500
    assert_no_leak(response, *leak_paths(app))
