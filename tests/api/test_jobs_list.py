"""``GET /api/jobs``: the list of background jobs, its filters, order, pages and access control."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from mmt.storage.models import Job, utc_now
from tests.security.conftest import ADMIN_BOOTSTRAP_KEY, close_app, make_app

# Creation times written into the rows, so the expected order is known without waiting between jobs.
START = dt.datetime(2026, 3, 1, 9, 0, 0)


def add_job(app, job_id: str, minute: int, *, state: str = "completed", kind: str = "analyze_pd",
            payload: dict | None = None, dataset_id: int | None = None, result_id: int | None = None,
            updated_at: dt.datetime | None = None, **fields) -> None:
    """Store a job row created ``minute`` minutes after START."""
    request = {"task": "analysis", "analysis_type": kind.removeprefix("analyze_"), "payload": payload or {}}
    if kind.startswith("upload_"):
        request = {"task": "upload", "model_type": kind.removeprefix("upload_"), "filename": "extract.csv"}
    created_at = START + dt.timedelta(minutes=minute)
    with app.extensions["mmt"].database.session() as session:
        fields.setdefault("progress", 100.0 if state == "completed" else 0.0)
        session.add(Job(id=job_id, kind=kind, state=state, request=request, dataset_id=dataset_id, result_id=result_id, created_at=created_at,
                        updated_at=updated_at or utc_now(), **fields))


def listed_ids(client, query: str = "") -> list[str]:
    response = client.get(f"/api/jobs{query}")
    assert response.status_code == 200, response.get_json()
    return [job["job_id"] for job in response.get_json()["jobs"]]


@pytest.fixture
def four_jobs(app):
    """Store a PD analysis of dataset 3, and a failed PD analysis, an upload and a queued WOE analysis of dataset 7."""
    add_job(app, "a1", 1, kind="analyze_pd", payload={"dataset_id": 3}, dataset_id=3, result_id=11)
    add_job(app, "a2", 2, state="failed", kind="analyze_pd", payload={"dataset_id": 7},
            error={"code": "dataset_not_found", "message": "Dataset 7 not found."})
    add_job(app, "u3", 3, kind="upload_lgd", dataset_id=7)
    add_job(app, "q4", 4, state="queued", kind="analyze_woe", payload={"dataset_id": 7, "method": "quantile"})
    return app


def test_list_newest_first(client, four_jobs):
    body = client.get("/api/jobs").get_json()
    assert [job["job_id"] for job in body["jobs"]] == ["q4", "u3", "a2", "a1"]
    assert body["total"] == 4
    assert body["limit"] == 50
    assert body["next_cursor"] is None


def test_list_items_match_single_job(client, four_jobs):
    for item in client.get("/api/jobs").get_json()["jobs"]:
        single = client.get(f"/api/jobs/{item['job_id']}")
        assert single.status_code == 200
        assert item == single.get_json()


def test_list_result_links(client, four_jobs):
    jobs = {job["job_id"]: job for job in client.get("/api/jobs").get_json()["jobs"]}
    assert jobs["a1"]["result_url"] == "/api/analyses/11"
    assert jobs["u3"]["result_url"] == "/api/datasets/7"
    assert jobs["a2"]["result_url"] is None
    assert jobs["a2"]["error"]["code"] == "dataset_not_found"
    assert jobs["a1"]["created_at"] == "2026-03-01T09:01:00"


@pytest.mark.parametrize("query, expected", [
    ("?state=completed", ["u3", "a1"]),
    ("?state=failed", ["a2"]),
    ("?state=queued&state=failed", ["q4", "a2"]),
    ("?state=queued,%20failed", ["q4", "a2"]),
    ("?state=running", []),
    ("?state=", ["q4", "u3", "a2", "a1"]),
    ("?kind=analyze_pd", ["a2", "a1"]),
    ("?kind=upload_lgd,analyze_woe", ["q4", "u3"]),
    ("?kind=analyze_pd&state=completed", ["a1"]),
    ("?dataset_id=7", ["q4", "u3", "a2"]),
    ("?dataset_id=3", ["a1"]),
    ("?dataset_id=8", []),
    ("?dataset_id=7&state=queued", ["q4"]),
])
def test_list_filters(client, four_jobs, query, expected):
    assert listed_ids(client, query) == expected


def test_list_total_counts_filtered_jobs(client, four_jobs):
    body = client.get("/api/jobs?dataset_id=7&limit=1").get_json()
    assert [job["job_id"] for job in body["jobs"]] == ["q4"]
    assert body["total"] == 3
    assert body["next_cursor"] is not None


def test_unknown_state_rejected(client, four_jobs):
    response = client.get("/api/jobs?state=completed,done")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "invalid_query"
    assert "'done'" in body["error"]
    assert "queued, running, completed, failed" in body["error"]
    assert body["details"]["parameter"] == "state"
    assert body["details"]["values"] == ["done"]
    assert body["details"]["accepted"] == ["queued", "running", "completed", "failed"]


def test_unknown_kind_rejected(client, four_jobs):
    response = client.get("/api/jobs?kind=pd")
    assert response.status_code == 400
    body = response.get_json()
    assert body["details"]["parameter"] == "kind"
    assert "'pd'" in body["error"]
    assert "analyze_pd" in body["details"]["accepted"]
    assert "upload_pd_baseline" in body["details"]["accepted"]


@pytest.mark.parametrize("query, parameter", [
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("limit=-3", "limit"),
    ("limit=ten", "limit"),
    ("limit=2.5", "limit"),
    ("limit=1_0", "limit"),
    ("limit=%D9%A3", "limit"),
    ("dataset_id=1_0", "dataset_id"),
    ("dataset_id=abc", "dataset_id"),
    ("dataset_id=0", "dataset_id"),
    ("dataset_id=99999999999999999999999", "dataset_id"),
    ("cursor=not-a-cursor", "cursor"),
    ("cursor=MjAyNi0wMy0wMVQwOTowMTowMCswMDowMHxhMQ", "cursor"),  # its time has a time zone, which no stored time has
])
def test_bad_parameter_rejected(client, four_jobs, query, parameter):
    response = client.get(f"/api/jobs?{query}")
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["code"] == "invalid_query"
    assert body["details"]["parameter"] == parameter


def test_bad_limit_names_range(client):
    body = client.get("/api/jobs?limit=501").get_json()
    assert body["error"] == "limit must be an integer from 1 to 500; got '501'."
    assert body["details"]["minimum"] == 1
    assert body["details"]["maximum"] == 500


def test_limit_default_and_maximum(app, client):
    for number in range(55):
        add_job(app, f"job{number:03d}", number)
    default = client.get("/api/jobs").get_json()
    assert len(default["jobs"]) == 50
    assert default["jobs"][0]["job_id"] == "job054"
    assert default["jobs"][-1]["job_id"] == "job005"
    assert default["total"] == 55
    assert default["next_cursor"] is not None
    assert len(client.get("/api/jobs?limit=500").get_json()["jobs"]) == 55


def test_cursor_pages_cover_every_job_once(app, client):
    # Jobs t2 to t4 share one creation time: the id orders them, and no page boundary may skip or repeat one.
    for number, minute in enumerate((0, 1, 5, 5, 5, 7, 8, 9)):
        add_job(app, f"t{number}", minute)
    expected = ["t7", "t6", "t5", "t4", "t3", "t2", "t1", "t0"]
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        response = client.get("/api/jobs?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["total"] == 8
        seen.extend(job["job_id"] for job in body["jobs"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


def test_cursor_keeps_filters(client, four_jobs):
    first = client.get("/api/jobs?dataset_id=7&limit=2").get_json()
    assert [job["job_id"] for job in first["jobs"]] == ["q4", "u3"]
    cursor = first["next_cursor"]
    assert listed_ids(client, f"?dataset_id=7&limit=2&cursor={cursor}") == ["a2"]


def test_stale_heartbeat_lists_as_failed(app, client):
    from mmt.jobs.tasks import HEARTBEAT_STALE_SECONDS

    silent_since = utc_now() - dt.timedelta(seconds=HEARTBEAT_STALE_SECONDS + 60)
    add_job(app, "lost", 1, state="running", updated_at=silent_since, progress=40.0)
    add_job(app, "alive", 2, state="running", updated_at=utc_now(), progress=30.0)
    assert listed_ids(client, "?state=running") == ["alive"]
    assert listed_ids(client, "?state=failed") == ["lost"]
    lost = client.get("/api/jobs?state=failed").get_json()["jobs"][0]
    assert lost["retryable"] is True
    assert lost["error"]["code"] == "interrupted"
    assert lost["progress"] == 40.0


def test_real_job_listed(client, upload):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    accepted = client.post("/api/analyze/woe", json={"dataset_id": dataset_id, "async": True})
    assert accepted.status_code == 202
    job_id = accepted.get_json()["job_id"]
    deadline = time.monotonic() + 120
    while client.get(f"/api/jobs/{job_id}").get_json()["state"] not in ("completed", "failed"):
        assert time.monotonic() < deadline, "the job did not end within 120 s"
        time.sleep(0.2)
    [job] = client.get(f"/api/jobs?dataset_id={dataset_id}&kind=analyze_woe").get_json()["jobs"]
    assert job["job_id"] == job_id
    assert job["state"] == "completed"
    assert job["result_url"] == f"/api/analyses/{job['result_id']}"
    assert client.get(job["result_url"]).status_code == 200


@pytest.fixture
def secured(database_url, tmp_path):
    from mmt.security.apikeys import create_api_key, revoke_api_key

    application = make_app(database_url, tmp_path, auth_enabled=True, extra={"admin_api_key": ADMIN_BOOTSTRAP_KEY})
    with application.extensions["mmt"].database.session() as session:
        keys = {role: create_api_key(session, f"{role}-key", role)[1] for role in ("viewer", "analyst", "admin")}
        keys["revoked"] = create_api_key(session, "revoked-key", "viewer")[1]
        revoke_api_key(session, "revoked-key")
    add_job(application, "j1", 1)
    yield application, keys
    close_app(application)


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_every_role_may_list(secured, role):
    application, keys = secured
    client = application.test_client()
    headers = {"X-API-Key": keys[role]}
    listed = client.get("/api/jobs", headers=headers)
    single = client.get("/api/jobs/j1", headers=headers)
    assert listed.status_code == 200
    assert single.status_code == 200
    assert listed.get_json()["jobs"] == [single.get_json()]


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "mmt_" + "A" * 43}, "revoked"])
def test_list_needs_valid_key(secured, headers):
    application, keys = secured
    if headers == "revoked":
        headers = {"X-API-Key": keys["revoked"]}
    response = application.test_client().get("/api/jobs", headers=headers)
    assert response.status_code == 401
    assert "jobs" not in response.get_json()


def test_list_documented_in_openapi(client):
    operation = client.get("/api/openapi.json").get_json()["paths"]["/api/jobs"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert sorted(parameters) == ["cursor", "dataset_id", "kind", "limit", "state"]
    assert parameters["state"]["schema"]["items"]["enum"] == ["queued", "running", "completed", "failed"]
    assert parameters["limit"]["schema"]["maximum"] == 500
    assert parameters["limit"]["schema"]["default"] == 50
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JobListResponse"}


def test_job_lost_by_rq_lists_as_failed(tmp_path):
    """A queued job that the RQ queue does not hold lists as failed once the enqueue grace period is over."""
    import os
    import uuid

    from redis import Redis
    from redis.exceptions import RedisError

    redis_url = os.environ.get("MMT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        Redis.from_url(redis_url, socket_connect_timeout=1).ping()
    except RedisError:
        pytest.skip(f"no Redis at {redis_url}")
    application = make_app(f"sqlite:///{tmp_path / 'mmt.sqlite3'}", tmp_path, redis_url=redis_url)
    try:
        assert application.extensions["mmt"].jobs.name == "rq"
        # Ids never put on the queue, so the test reads Redis and writes nothing to it.
        lost, recent = uuid.uuid4().hex, uuid.uuid4().hex
        add_job(application, lost, 1, state="queued", updated_at=utc_now() - dt.timedelta(hours=1))
        add_job(application, recent, 2, state="queued", updated_at=utc_now())
        client = application.test_client()
        assert listed_ids(client, "?state=queued") == [recent]
        assert listed_ids(client, "?state=failed") == [lost]
    finally:
        close_app(application)
