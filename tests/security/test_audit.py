"""The audit trail: who did what, when, with the values before and after."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest

from mmt.thresholds import DEFAULTS
from tests.conftest import DATA

SAMPLE = DATA / "pd_germancredit.csv"


def sample_bytes(rows: int = 300) -> bytes:
    lines = SAMPLE.read_text().splitlines()
    return ("\n".join(lines[: rows + 1]) + "\n").encode()


def data_rows(content: bytes) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(content.decode()))) - 1


def post_upload(client, content: bytes, headers=None, filename="portfolio.csv"):
    return client.post("/api/upload/pd", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data", headers=headers or {})


def audit(client, headers=None, **query):
    response = client.get("/api/audit", query_string=query, headers=headers or {})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_audit_event_per_change(secured_app, keys):
    client = secured_app.test_client()
    analyst = {"X-API-Key": keys.analyst}
    admin = {"Authorization": f"Bearer {keys.admin}"}
    content = sample_bytes()

    uploaded = post_upload(client, content, analyst)
    assert uploaded.status_code == 200, uploaded.get_json()
    dataset_id = uploaded.get_json()["dataset_id"]
    analysed = client.post("/api/analyze/pd", json={"dataset_id": dataset_id}, headers=analyst)
    assert analysed.status_code == 200, analysed.get_json()
    result_id = analysed.get_json()["analysis_result_id"]
    changed = client.post("/api/thresholds", json={"auc_threshold": 0.75, "ks_threshold": 0.35}, headers=admin)
    assert changed.status_code == 200
    renamed = client.put(f"/api/datasets/{dataset_id}", json={"name": "Q4 portfolio"}, headers=admin)
    assert renamed.status_code == 200
    removed_result = client.delete(f"/api/analyses/{result_id}", headers=admin)
    assert removed_result.status_code == 200
    removed = client.delete(f"/api/datasets/{dataset_id}", headers=admin)
    assert removed.status_code == 200

    events = audit(client, admin)["events"]
    by_action = {event["action"]: event for event in events}
    assert [event["action"] for event in events if not event["action"].startswith("apikey.")] == [
        "dataset.delete", "analysis.delete", "dataset.update", "thresholds.change", "analysis.run", "dataset.upload"]

    upload_event = by_action["dataset.upload"]
    assert upload_event["actor"] == "analyst-key"
    assert upload_event["role"] == "analyst"
    assert upload_event["object_id"] == str(dataset_id)
    assert upload_event["after"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert upload_event["after"]["n_rows"] == data_rows(content)
    assert upload_event["after"]["original_filename"] == "portfolio.csv"
    assert upload_event["request_id"] == uploaded.headers["X-Request-ID"]

    run = by_action["analysis.run"]
    assert run["object_id"] == str(result_id)
    assert run["after"]["dataset_ids"] == [dataset_id]
    assert run["after"]["analysis_type"] == "pd"
    assert run["actor"] == "analyst-key"
    assert run["request_id"] == analysed.headers["X-Request-ID"]

    thresholds = by_action["thresholds.change"]
    assert thresholds["actor"] == "admin-key"
    assert thresholds["before"] == {"auc_threshold": DEFAULTS["auc_threshold"], "ks_threshold": DEFAULTS["ks_threshold"]}
    assert thresholds["after"] == {"auc_threshold": 0.75, "ks_threshold": 0.35}
    assert thresholds["object_id"] == "auc_threshold,ks_threshold"

    update = by_action["dataset.update"]
    assert update["before"] == {"name": "portfolio.csv"}
    assert update["after"] == {"name": "Q4 portfolio"}

    assert by_action["analysis.delete"]["before"]["analysis_type"] == "pd"
    deleted = by_action["dataset.delete"]
    assert deleted["object_id"] == str(dataset_id)
    assert deleted["after"] is None
    assert deleted["before"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert deleted["before"]["name"] == "Q4 portfolio"
    assert deleted["request_id"] == removed.headers["X-Request-ID"]
    later = [event["occurred_at"] for event in events if not event["action"].startswith("apikey.")]
    assert later == sorted(later, reverse=True)


def test_audit_admin_only(secured_app, keys):
    client = secured_app.test_client()
    assert client.get("/api/audit").status_code == 401
    assert client.get("/api/audit", headers={"X-API-Key": keys.viewer}).status_code == 403
    assert client.get("/api/audit", headers={"X-API-Key": keys.analyst}).status_code == 403
    assert client.get("/api/audit", headers={"X-API-Key": keys.admin}).status_code == 200


def test_audit_anonymous_actor(client):
    assert client.post("/api/thresholds", json={"psi_threshold": 0.11}).status_code == 200
    body = audit(client)
    assert body["total"] == 1
    assert body["events"][0]["actor"] == "anonymous"
    assert body["events"][0]["role"] is None


def test_rejected_request_no_event(client):
    assert client.post("/api/thresholds", json={"auc_threshold": 7}).status_code == 400
    bad = post_upload(client, b"obligor_id,pd,default_flag\n1,abc,0\n2,0.1,1\n")
    assert bad.status_code >= 400
    assert audit(client)["total"] == 0


def test_failed_store_rolls_back_event(client, app, monkeypatch):
    from mmt.storage.files import FileStore

    def broken(self, source, dataset_id):
        raise OSError("disk full")

    monkeypatch.setattr(FileStore, "place_parquet", broken)
    response = post_upload(client, sample_bytes(50))
    assert response.status_code == 500
    monkeypatch.undo()
    assert audit(client)["total"] == 0
    assert client.get("/api/datasets").get_json()["total"] == 0


def test_audit_pages_and_filters(client):
    for value in (0.11, 0.12, 0.13, 0.14, 0.15):
        assert client.post("/api/thresholds", json={"psi_threshold": value}).status_code == 200
    first = audit(client, per_page=2, page=1)
    second = audit(client, per_page=2, page=2)
    last = audit(client, per_page=2, page=3)
    assert first["total"] == second["total"] == 5
    values = [event["after"]["psi_threshold"] for body in (first, second, last) for event in body["events"]]
    assert values == [0.15, 0.14, 0.13, 0.12, 0.11]
    assert audit(client, action="thresholds.change")["total"] == 5
    assert audit(client, action="dataset.delete")["total"] == 0
    assert audit(client, actor="anonymous")["total"] == 5
    assert client.get("/api/audit?per_page=0").status_code == 422
    assert client.get("/api/audit?page=x").status_code == 422
    assert client.get("/api/audit", query_string={"action": "a" * 300}).status_code == 400


def test_background_job_submitter(secured_app, keys):
    import time

    client = secured_app.test_client()
    analyst = {"X-API-Key": keys.analyst}
    dataset_id = post_upload(client, sample_bytes(), analyst).get_json()["dataset_id"]
    accepted = client.post("/api/analyze/pd", json={"dataset_id": dataset_id, "async": True}, headers=analyst)
    assert accepted.status_code == 202, accepted.get_json()
    job_id = accepted.get_json()["job_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}", headers=analyst).get_json()
        if job["state"] in ("completed", "failed"):
            break
        time.sleep(0.1)
    assert job["state"] == "completed", job
    events = audit(client, {"X-API-Key": keys.admin})["events"]
    submitted = next(event for event in events if event["action"] == "job.submit")
    assert submitted["actor"] == "analyst-key"
    assert submitted["object_id"] == job_id
    run = next(event for event in events if event["action"] == "analysis.run")
    assert run["object_id"] == str(job["result_id"])
    # The job runs outside the request, so the result itself is recorded as written by the system.
    assert run["actor"] == "system"


@pytest.mark.parametrize("path", ["/api/audit"])
def test_audit_in_openapi(client, path):
    document = client.get("/api/openapi.json").get_json()
    assert "get" in document["paths"][path]



def test_audit_listener_on_every_new_session_factory(monkeypatch):
    """Each new sessionmaker gets the listener, however many were made and collected before it."""
    import gc

    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, sessionmaker

    from mmt.security import audit as audit_module

    class Base(DeclarativeBase):
        pass

    class Row(Base):
        __tablename__ = "row"
        id = sa.Column(sa.Integer, primary_key=True)

    flushes = []
    monkeypatch.setattr(audit_module, "_after_flush", lambda session, context: flushes.append(session))
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    missed = 0
    for _ in range(100):
        factory = sessionmaker(engine)
        audit_module.install(factory)
        audit_module.install(factory)  # a second install adds no second listener
        before = len(flushes)
        with factory() as session:
            session.add(Row())
            session.flush()
        missed += len(flushes) - before != 1
        del factory, session
        gc.collect()
    engine.dispose()
    assert missed == 0


def test_text_guard_on_every_new_session_factory():
    """NUL characters are replaced in the sessions of every new sessionmaker, however many came before."""
    import gc

    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, sessionmaker

    from mmt.security.guards import install_text_guard

    class Base(DeclarativeBase):
        pass

    class Note(Base):
        __tablename__ = "note"
        id = sa.Column(sa.Integer, primary_key=True)
        text = sa.Column(sa.String(50))

    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    stored_with_nul = 0
    for _ in range(100):
        factory = sessionmaker(engine)
        install_text_guard(factory)
        with factory() as session:
            note = Note(text="a\x00b")
            session.add(note)
            session.flush()
            stored_with_nul += "\x00" in session.scalar(sa.select(Note.text).where(Note.id == note.id))
        del factory, session, note
        gc.collect()
    engine.dispose()
    assert stored_with_nul == 0


def test_dataset_delete_audits_its_results(client):
    dataset_id = post_upload(client, sample_bytes()).get_json()["dataset_id"]
    reference_id = post_upload(client, sample_bytes(200), filename="reference.csv").get_json()["dataset_id"]
    result_ids = [client.post("/api/analyze/pd", json={"dataset_id": dataset_id}).get_json()["analysis_result_id"]
                  for _ in range(2)]
    other = client.post("/api/analyze/pd", json={"dataset_id": reference_id, "reference_dataset_id": dataset_id})
    assert other.status_code == 200, other.get_json()

    assert client.delete(f"/api/datasets/{dataset_id}").status_code == 200

    deleted = audit(client, action="analysis.delete")["events"]
    assert sorted(int(event["object_id"]) for event in deleted) == sorted(result_ids)
    for event in deleted:
        assert event["before"]["analysis_type"] == "pd"
        assert event["before"]["dataset_id"] == dataset_id
        assert event["before"]["input_sha256"]
    # A result that only used the dataset as its reference stays.
    assert client.get(f"/api/analyses/{other.get_json()['analysis_result_id']}").status_code == 200


def test_concurrent_result_deletes_audit_once(app, client, monkeypatch):
    import threading

    import mmt.api.results as results_api

    dataset_id = post_upload(client, sample_bytes()).get_json()["dataset_id"]
    result_id = client.post("/api/analyze/pd", json={"dataset_id": dataset_id}).get_json()["analysis_result_id"]
    original = results_api.get_result
    # Both requests read the result before either deletes it, unless a lock keeps the second one waiting.
    both_read = threading.Barrier(2, timeout=3)

    def read_then_wait(session, dataset_id, **options):
        record = original(session, dataset_id, **options)
        try:
            both_read.wait()
        except threading.BrokenBarrierError:
            pass
        return record

    monkeypatch.setattr(results_api, "get_result", read_then_wait)
    statuses: list[int] = []

    def delete_result() -> None:
        statuses.append(app.test_client().delete(f"/api/analyses/{result_id}").status_code)

    threads = [threading.Thread(target=delete_result) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(statuses) == [200, 404]
    assert audit(client, action="analysis.delete")["total"] == 1
