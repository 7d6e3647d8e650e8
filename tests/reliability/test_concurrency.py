"""``gunicorn -w 4`` under 64 parallel clients: uploads, analyses, threshold changes, deletions and reads.

Runs on SQLite and, when ``MMT_TEST_DATABASE_URL`` is set, on PostgreSQL (the
test session's own database, emptied first). Afterwards the
stored state is compared with the responses the
clients received: every upload is
there once with its SHA-256 and row count, no id was handed out twice, the
threshold history chains up without a lost update, the files on disk match
the rows, and the audit trail counts every change. No response may be a 5xx
or mention a locked database.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import DATA
from tests.reliability.figures import record
from tests.reliability.server import Server
from tests.reliability.test_threshold_races import KEYS, check_history_chains, new_value

THREADS = 64
UPLOADS = 100
ANALYSES = 60
THRESHOLD_CHANGES = 60
READS = 70
SEEDS = 4
DOOMED = 10
ROWS = 120
STORM_SECONDS = 150

BASE_LINES = (DATA / "pd_germancredit.csv").read_text().splitlines()


def csv_content(tag: str) -> bytes:
    """A small PD file whose obligor ids carry ``tag``, so every upload has its own SHA-256."""
    lines = [BASE_LINES[0]] + [f"{tag}-{line}" for line in BASE_LINES[1:ROWS + 1]]
    return ("\n".join(lines) + "\n").encode()


class Clients:
    """Thread-local HTTP sessions and a count of requests in flight."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.local = threading.local()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return session.request(method, self.base + path, timeout=120, **kwargs)
        finally:
            with self.lock:
                self.in_flight -= 1


def upload(clients: Clients, tag: str) -> tuple[requests.Response, bytes]:
    content = csv_content(tag)
    response = clients.request("POST", "/api/upload/pd", files={"file": (f"{tag}.csv", content, "text/csv")})
    return response, content


def build_tasks(seed_ids: list[int], doomed_ids: list[int]) -> list[tuple[str, object]]:
    tasks: list[tuple[str, object]] = [("upload", f"u{number}") for number in range(UPLOADS)]
    tasks += [("analysis", seed_ids[number % len(seed_ids)]) for number in range(ANALYSES)]
    tasks += [("threshold", (KEYS[number % len(KEYS)], new_value(KEYS[number % len(KEYS)], 9, number)))
              for number in range(THRESHOLD_CHANGES)]
    reads = ["/api/datasets?per_page=1000", "/api/thresholds", "/api/summary", "/api/analyses?include_results=0",
             f"/api/datasets/{seed_ids[0]}", "/api/thresholds/history", "/api/audit?per_page=5"]
    tasks += [("read", reads[number % len(reads)]) for number in range(READS)]
    tasks += [("delete", dataset_id) for dataset_id in doomed_ids]
    random.Random(20261204).shuffle(tasks)
    return tasks


def run_task(clients: Clients, task: tuple[str, object]) -> dict:
    kind, argument = task
    started = time.perf_counter()
    content = None
    try:
        if kind == "upload":
            response, content = upload(clients, str(argument))
        elif kind == "analysis":
            response = clients.request("POST", "/api/analyze/pd", json={"dataset_id": argument})
        elif kind == "threshold":
            key, value = argument
            response = clients.request("POST", "/api/thresholds", json={key: value})
        elif kind == "delete":
            response = clients.request("DELETE", f"/api/datasets/{argument}")
        else:
            response = clients.request("GET", str(argument))
    except requests.RequestException as error:
        return {"kind": kind, "argument": argument, "status": None, "error": repr(error)}
    return {"kind": kind, "argument": argument, "status": response.status_code, "text": response.text,
            "body": response.json() if response.headers.get("Content-Type", "").startswith("application/json") else None,
            "content": content, "seconds": time.perf_counter() - started}


def storm(server: Server) -> dict:
    clients = Clients(server.base)
    seed_ids = []
    for number in range(SEEDS):
        response, _content = upload(clients, f"seed{number}")
        assert response.status_code == 200, response.text
        seed_ids.append(response.json()["dataset_id"])
    doomed = []
    for number in range(DOOMED):
        response, _content = upload(clients, f"doomed{number}")
        assert response.status_code == 200, response.text
        doomed.append(response.json()["dataset_id"])
    tasks = build_tasks(seed_ids, doomed)
    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(lambda task: run_task(clients, task), tasks))
    seconds = time.perf_counter() - started
    return {"outcomes": outcomes, "seconds": seconds, "max_in_flight": clients.max_in_flight,
            "seed_ids": seed_ids, "doomed_ids": doomed, "clients": clients}


def verify(server: Server, result: dict) -> dict:
    outcomes = result["outcomes"]
    clients = result["clients"]
    statuses = Counter(outcome["status"] for outcome in outcomes)
    failures = [outcome for outcome in outcomes if outcome["status"] is None or outcome["status"] >= 500]
    locked = [outcome for outcome in outcomes if "database is locked" in (outcome.get("text") or "").lower()]
    not_ok = [(outcome["kind"], outcome["status"], (outcome.get("text") or outcome.get("error") or "")[:300])
              for outcome in outcomes if outcome["status"] != 200]
    assert not failures, failures[:3]
    assert not locked
    assert not not_ok, not_ok[:5]

    # Uploads: one row each, with the bytes and rows the client sent.
    uploads = [outcome for outcome in outcomes if outcome["kind"] == "upload"]
    upload_ids = [outcome["body"]["dataset_id"] for outcome in uploads]
    duplicated_ids = len(upload_ids) - len(set(upload_ids))
    earlier = set(result["seed_ids"]) | set(result["doomed_ids"])
    listed = clients.request("GET", "/api/datasets?per_page=1000").json()
    stored = {dataset["id"]: dataset for dataset in listed["datasets"]}
    expected_ids = set(upload_ids) | set(result["seed_ids"])
    lost = [dataset_id for dataset_id in expected_ids if dataset_id not in stored]
    extra = sorted(set(stored) - expected_ids)
    wrong = []
    for outcome in uploads:
        dataset = stored.get(outcome["body"]["dataset_id"])
        if dataset is None:
            continue
        if dataset["sha256"] != hashlib.sha256(outcome["content"]).hexdigest() or dataset["n_rows"] != ROWS:
            wrong.append(dataset["id"])
    for outcome in uploads[:10]:
        download = clients.request("GET", f"/api/datasets/{outcome['body']['dataset_id']}/download")
        assert download.content == outcome["content"]
    assert duplicated_ids == 0
    assert not (set(upload_ids) & earlier)
    assert not lost, (lost, extra, wrong)
    assert not extra, (lost, extra, wrong)
    assert not wrong, (lost, extra, wrong)
    assert listed["total"] == len(expected_ids)

    # Files: exactly one folder per stored dataset, nothing left in tmp/.
    folders = {int(path.name) for path in (server.data_dir / "datasets").iterdir() if path.is_dir()}
    assert folders == set(stored), (sorted(folders - set(stored)), sorted(set(stored) - folders))
    assert list((server.data_dir / "tmp").iterdir()) == []

    # Analyses: unique ids, all stored.
    analysis_ids = [outcome["body"]["analysis_result_id"] for outcome in outcomes if outcome["kind"] == "analysis"]
    assert len(set(analysis_ids)) == len(analysis_ids) == ANALYSES
    results = clients.request("GET", "/api/analyses?per_page=1000&include_results=0").json()
    assert {item["id"] for item in results["analysis_results"]} == set(analysis_ids)

    # Thresholds: no lost update.
    expected_changes: dict[str, set[float]] = {key: set() for key in KEYS}
    for outcome in outcomes:
        if outcome["kind"] == "threshold":
            key, value = outcome["argument"]
            expected_changes[key].add(value)
    chained = check_history_chains(_Getter(clients), expected_changes)
    assert chained == THRESHOLD_CHANGES

    # Audit trail: one event per change.
    def events(action: str) -> int:
        return clients.request("GET", f"/api/audit?action={action}&per_page=1").json()["total"]

    assert events("dataset.upload") == SEEDS + DOOMED + UPLOADS
    assert events("dataset.delete") == DOOMED
    assert events("analysis.run") == ANALYSES
    assert events("thresholds.change") == THRESHOLD_CHANGES

    kinds = Counter(outcome["kind"] for outcome in outcomes)
    seconds = [outcome["seconds"] for outcome in outcomes]
    return {
        "workers": server.workers,
        "client_threads": THREADS,
        "max_requests_in_flight": result["max_in_flight"],
        "requests": len(outcomes),
        "requests_by_kind": dict(sorted(kinds.items())),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "server_errors": len(failures),
        "database_locked_messages": len(locked),
        "rows_lost": len(lost),
        "rows_duplicated": duplicated_ids,
        "wrong_content": len(wrong),
        "threshold_changes_chained": chained,
        "storm_seconds": round(result["seconds"], 1),
        "slowest_request_seconds": round(max(seconds), 2),
        "requests_per_second": round(len(outcomes) / result["seconds"], 1),
    }


class _Getter:
    """Lets check_history_chains read through HTTP as it reads through the Flask test client."""

    def __init__(self, clients: Clients) -> None:
        self.clients = clients

    def get(self, path: str):
        response = self.clients.request("GET", path)

        class _Response:
            def get_json(self):
                return response.json()

        return _Response()


@pytest.mark.slow
def test_gunicorn_parallel_clients(database_url, tmp_path):
    database = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with Server(tmp_path, database_url, workers=4) as server:
        result = storm(server)
        figures = verify(server, result)
    assert result["max_in_flight"] >= 50
    assert result["seconds"] < STORM_SECONDS
    record(f"concurrency_{database}", figures)
