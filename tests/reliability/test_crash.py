"""kill -9 of a gunicorn worker in the middle of uploads and analyses, repeated at random points.

gunicorn forks a new worker after each kill; its start removes the dead
worker's leftovers and marks its jobs failed and retryable. After every kill
the stored state must be whole. Each committed dataset has its files with the
recorded hashes, and no folder or temporary file is left without a row. Every
upload that received a 200 response is stored, and every analysis result is
complete.

Most kills fall at random times. Three more wait for the narrowest point of
an upload: after the Parquet file was moved into the dataset folder and
before the row is committed. A hook in the test's gunicorn configuration
widens that moment to 0.4 s so the kill can land in it.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import DATA
from tests.reliability.figures import record
from tests.reliability.server import Server

RANDOM_UPLOAD_KILLS = 15
TARGETED_UPLOAD_KILLS = 3
ASYNC_ANALYSIS_KILLS = 8
ASYNC_UPLOAD_KILLS = 4
SYNC_ANALYSIS_KILLS = 3
RANDOM = random.Random(4242)
SOURCE = (DATA / "pd_lendingclub.csv").read_text().splitlines()

WIDEN_COMMIT_WINDOW = """
import time as _time
from mmt.storage import files as _files

_FLAG = Path({flag!r})
_place_parquet = _files.FileStore.place_parquet


def _slow_place_parquet(self, source, dataset_id):
    target = _place_parquet(self, source, dataset_id)
    if _FLAG.exists():
        _time.sleep(0.4)
    return target


_files.FileStore.place_parquet = _slow_place_parquet
"""


def content(tag: str) -> bytes:
    return ("\n".join([SOURCE[0]] + [f"{tag}{line}" for line in SOURCE[1:]]) + "\n").encode()


class Store:
    """Read-only view of the server's database and data folder."""

    def __init__(self, server: Server, database: Path) -> None:
        self.server = server
        self.database = database

    def rows(self, query: str, parameters: tuple = ()) -> list[tuple]:
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)
        try:
            return connection.execute(query, parameters).fetchall()
        finally:
            connection.close()

    def dataset_ids(self) -> set[int]:
        return {row[0] for row in self.rows("SELECT id FROM datasets")}

    def folders(self) -> set[int]:
        return {int(path.name) for path in (self.server.data_dir / "datasets").iterdir() if path.is_dir()}

    def tmp(self) -> list[str]:
        return [path.name for path in (self.server.data_dir / "tmp").iterdir()]


def kill_worker(server: Server) -> int:
    (pid,) = server.worker_pids()
    os.kill(pid, signal.SIGKILL)
    return pid


def kill_during_job(server: Server, store: Store, submit, delay: float) -> tuple[str, dict]:
    """Submit a background job, kill the worker after ``delay`` s; return the job's state then and now."""
    accepted = submit()
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["job_id"]
    time.sleep(delay)
    pid = kill_worker(server)
    rows = store.rows("SELECT state FROM jobs WHERE id = ?", (job_id,))
    state_at_kill = rows[0][0] if rows else "missing"
    server.wait_ready(1, exclude={pid})
    return state_at_kill, requests.get(f"{server.base}/api/jobs/{job_id}", timeout=60).json()


def check_whole(store: Store, answered: dict[int, bytes]) -> dict[str, int]:
    """Assert the stored state is whole; return counts of what is wrong (all zero)."""
    ids = store.dataset_ids()
    folders = store.folders()
    problems = Counter()
    problems["orphan_folders"] = len(folders - ids)
    problems["datasets_without_files"] = len(ids - folders)
    problems["temporary_leftovers"] = len(store.tmp())
    for dataset_id, parquet_path, parquet_sha in store.rows("SELECT id, parquet_path, parquet_sha256 FROM datasets"):
        path = store.server.data_dir / parquet_path
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != parquet_sha:
            problems["damaged_parquet"] += 1
    for dataset_id, sent in answered.items():
        if dataset_id not in ids:
            problems["answered_but_lost"] += 1
            continue
        download = requests.get(f"{store.server.base}/api/datasets/{dataset_id}/download", timeout=60)
        if download.content != sent:
            problems["wrong_bytes"] += 1
    return dict(problems)


def kill_during_upload(server: Server, store: Store, tag: str, delay: float | None) -> tuple[str, requests.Response | None]:
    """Upload in a thread and kill the worker after ``delay`` s (None: at the moved-but-uncommitted point)."""
    before_ids, before_folders = store.dataset_ids(), store.folders()
    answer: dict = {}
    sent = content(tag)

    def send():
        try:
            answer["response"] = requests.post(f"{server.base}/api/upload/pd", files={"file": (f"{tag}.csv", sent)},
                                               timeout=60)
        except requests.RequestException as error:
            answer["error"] = error

    sender = threading.Thread(target=send)
    sender.start()
    if delay is None:
        deadline = time.monotonic() + 30
        while not (store.folders() - before_folders) and time.monotonic() < deadline:
            time.sleep(0.005)
    else:
        time.sleep(delay)
    pid = kill_worker(server)
    new_rows = store.dataset_ids() - before_ids
    orphan = store.folders() - store.dataset_ids()
    leftovers = store.tmp()
    sender.join(timeout=90)
    server.wait_ready(1, exclude={pid})
    if new_rows:
        moment = "after the commit"
    elif orphan:
        moment = "between moving the files and the commit"
    elif leftovers:
        moment = "while receiving or reading the file"
    else:
        moment = "before the upload reached the worker"
    response = answer.get("response")
    if response is not None and response.status_code == 200:
        return moment, response
    return moment, None


@pytest.mark.slow
def test_kill_9_uploads_and_analyses(tmp_path):
    database = tmp_path / "mmt.sqlite3"
    flag = tmp_path / "widen-commit-window"
    server = Server(tmp_path, f"sqlite:///{database}", workers=1,
                    config_extra=WIDEN_COMMIT_WINDOW.format(flag=str(flag)))
    with server:
        store = Store(server, database)
        started = time.perf_counter()
        calibration = time.perf_counter()
        first = requests.post(f"{server.base}/api/upload/pd", files={"file": ("c.csv", content("c"))}, timeout=60)
        assert first.status_code == 200
        upload_seconds = time.perf_counter() - calibration
        answered = {first.json()["dataset_id"]: content("c")}

        moments = Counter()
        problems_seen = Counter()
        for number in range(RANDOM_UPLOAD_KILLS + TARGETED_UPLOAD_KILLS):
            targeted = number >= RANDOM_UPLOAD_KILLS
            if targeted:
                flag.touch()
            delay = None if targeted else RANDOM.uniform(0.0, 1.3 * upload_seconds)
            moment, response = kill_during_upload(server, store, f"k{number}-", delay)
            flag.unlink(missing_ok=True)
            moments[moment] += 1
            if response is not None:
                answered[response.json()["dataset_id"]] = content(f"k{number}-")
            problems_seen.update(check_whole(store, answered))
        assert moments["between moving the files and the commit"] >= TARGETED_UPLOAD_KILLS
        upload_problems = {name: count for name, count in problems_seen.items() if count}
        assert not upload_problems, upload_problems

        # Background jobs (analyses and uploads) killed while running must come back failed and retryable.
        dataset_id = next(iter(answered))
        calibration = time.perf_counter()
        assert requests.post(f"{server.base}/api/analyze/pd", json={"dataset_id": dataset_id}, timeout=60).status_code == 200
        analysis_seconds = time.perf_counter() - calibration
        jobs = Counter()
        interrupted_ids = []
        submissions = [("analysis", None, lambda: requests.post(
            f"{server.base}/api/analyze/pd", json={"dataset_id": dataset_id, "async": True}, timeout=60),
            analysis_seconds)] * ASYNC_ANALYSIS_KILLS
        submissions += [("upload", f"a{number}-", lambda number=number: requests.post(
            f"{server.base}/api/upload/pd", data={"async": "true"},
            files={"file": (f"a{number}.csv", content(f"a{number}-"))}, timeout=60),
            upload_seconds) for number in range(ASYNC_UPLOAD_KILLS)]
        for kind, tag, submit, seconds in submissions:
            state_at_kill, job = kill_during_job(server, store, submit, RANDOM.uniform(0.0, 1.2 * seconds))
            if state_at_kill in ("queued", "running"):
                jobs[f"{kind}_jobs_interrupted"] += 1
                interrupted_ids.append((kind, tag, job["job_id"]))
                assert job["state"] == "failed", job
                assert job["retryable"] is True, job
                assert job["error"]["code"] == "interrupted", job
                jobs[f"{kind}_jobs_failed_retryable"] += 1
            else:
                assert job["state"] == "completed", job
                jobs[f"{kind}_jobs_finished_before_the_kill"] += 1
                if tag is not None:
                    answered[job["dataset_id"]] = content(tag)
            problems = {name: count for name, count in check_whole(store, answered).items() if count}
            assert not problems, problems
        sync_kills = Counter()
        for _number in range(SYNC_ANALYSIS_KILLS):
            before = len(store.rows("SELECT id FROM analysis_results"))
            answer: dict = {}
            sender = threading.Thread(target=lambda: answer.setdefault("r", _post_quietly(server, dataset_id)))
            sender.start()
            time.sleep(RANDOM.uniform(0.0, 1.2 * analysis_seconds))
            pid = kill_worker(server)
            sender.join(timeout=90)
            server.wait_ready(1, exclude={pid})
            stored = len(store.rows("SELECT id FROM analysis_results")) - before
            sync_kills["result stored" if stored else "nothing stored"] += 1
            assert stored in (0, 1)
        # Every stored result is complete, whatever the moment of the kill.
        for status, results in store.rows("SELECT status, results FROM analysis_results"):
            assert status == "completed"
            assert len(results) > 100
        assert not [row for row in store.rows("SELECT state FROM jobs") if row[0] in ("queued", "running")]

        # Every recovered job can be retried, and the retry completes; a retried upload stores the same bytes.
        for kind, tag, job_id in interrupted_ids:
            again = requests.post(f"{server.base}/api/jobs/{job_id}/retry", timeout=60)
            assert again.status_code == 202, again.text
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                retried = requests.get(server.base + again.json()["status_url"], timeout=60).json()
                if retried["state"] in ("completed", "failed"):
                    break
                time.sleep(0.1)
            assert retried["state"] == "completed", retried
            jobs[f"{kind}_jobs_retried_and_completed"] += 1
            if tag is not None:
                answered[retried["dataset_id"]] = content(tag)
        final = check_whole(store, answered)
        assert not {name: count for name, count in final.items() if count}, final
        seconds = time.perf_counter() - started

    record("kill_9", {
        "kills": (RANDOM_UPLOAD_KILLS + TARGETED_UPLOAD_KILLS + ASYNC_ANALYSIS_KILLS + ASYNC_UPLOAD_KILLS
                  + SYNC_ANALYSIS_KILLS),
        "upload_kills": RANDOM_UPLOAD_KILLS + TARGETED_UPLOAD_KILLS,
        "upload_kill_moments": dict(moments),
        "partial_datasets_left": sum(problems_seen.values()),
        "uploads_answered_200_and_kept": len(answered),
        "analysis_jobs_killed": ASYNC_ANALYSIS_KILLS,
        "upload_jobs_killed": ASYNC_UPLOAD_KILLS,
        "jobs": dict(sorted(jobs.items())),
        "sync_analysis_kills": dict(sync_kills),
        "upload_seconds": round(upload_seconds, 2),
        "analysis_seconds": round(analysis_seconds, 2),
        "test_seconds": round(seconds, 1),
    })


def _post_quietly(server: Server, dataset_id: int):
    try:
        return requests.post(f"{server.base}/api/analyze/pd", json={"dataset_id": dataset_id}, timeout=60)
    except requests.RequestException as error:
        return error
