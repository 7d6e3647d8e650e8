"""The work of background jobs, as importable functions an RQ worker can call.

:func:`run_analysis_job` and :func:`run_upload_job` are what the RQ queue
holds; the thread runner calls :func:`execute_job` directly. Each one reads
the job's request from the ``jobs`` table, runs it with progress reported to
that row, and stores the outcome: ``completed`` with the result or dataset
id, or ``failed`` with the error and whether a retry can help.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mmt.errors import MMTError
from mmt.jsonsafe import to_jsonable
from mmt.jobs.progress import reporting_to, stage
from mmt.storage.models import Job, utc_now

LOGGER = logging.getLogger("mmt.jobs")
# Progress is written to the database at most this often (seconds).
PROGRESS_INTERVAL = 0.5
# A running job's worker writes the row's updated_at this often (seconds), whatever the progress.
HEARTBEAT_SECONDS = 30.0
# A running job whose row was not written for this long (seconds) has lost its worker, for example to
# kill -9 or a machine crash. The wide margin covers a stalled database or a thread kept off the GIL.
HEARTBEAT_STALE_SECONDS = 600.0

_WORKER_APP: Any = None
_WORKER_LOCK = threading.Lock()


def _worker_app():
    """Create once and return the application of an RQ worker process, configured from the environment."""
    global _WORKER_APP
    with _WORKER_LOCK:
        if _WORKER_APP is None:
            from mmt import create_app

            _WORKER_APP = create_app()
        return _WORKER_APP


def run_job(job_id: str) -> None:
    """Run the job ``job_id`` in an RQ worker."""
    app = _worker_app()
    with app.app_context():
        execute_job(app.extensions["mmt"], job_id)


def run_analysis_job(job_id: str, analysis_type: str, payload: dict[str, Any]) -> None:
    """Run the analysis job ``job_id`` in an RQ worker (arguments also stored in the job row)."""
    run_job(job_id)


def run_upload_job(job_id: str, model_type: str, filename: str) -> None:
    """Ingest the staged upload of job ``job_id`` in an RQ worker."""
    run_job(job_id)


def execute_job(state: Any, job_id: str) -> None:
    """Run the task recorded in job ``job_id`` and store its outcome."""
    with state.database.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            LOGGER.error("job_id=%s not found in the jobs table; nothing to run", job_id)
            return
        request = dict(job.request or {})
        kind = job.kind
    started = time.perf_counter()
    _update(state, job_id, state="running", progress=1.0, worker_pid=os.getpid(), error=None, retryable=False)
    reporter = _ProgressWriter(state, job_id)
    try:
        with reporting_to(reporter), _Heartbeat(state, job_id):
            outcome = _TASKS[request.get("task", "")](state, request)
    except MMTError as error:
        _update(state, job_id, state="failed", retryable=False,
                error={"code": error.code, "message": error.message, "details": to_jsonable(error.details)})
        LOGGER.info("job_id=%s kind=%s state=failed code=%s duration_ms=%.1f",
                    job_id, kind, error.code, (time.perf_counter() - started) * 1000)
        _discard_staged(state, request)
        return
    except Exception:
        LOGGER.error("job_id=%s kind=%s failed:\n%s", job_id, kind, traceback.format_exc())
        _update(state, job_id, state="failed", retryable=True,
                error={"code": "internal_error", "message": "The job failed unexpectedly; retry it or report the job id."})
        return
    # A refresh may have taken a long heartbeat silence for a lost worker, so its flags are cleared here.
    _update(state, job_id, state="completed", progress=100.0, message=None, retryable=False, error=None,
            result_id=outcome.get("result_id"), dataset_id=outcome.get("dataset_id"))
    LOGGER.info("job_id=%s kind=%s state=completed duration_ms=%.1f", job_id, kind, (time.perf_counter() - started) * 1000)


def _analysis(state: Any, request: dict[str, Any]) -> dict[str, Any]:
    from mmt.services.analyses import run_analysis

    with stage(2.0, 98.0):
        record = run_analysis(state, request["analysis_type"], dict(request.get("payload") or {}), background=True)
    return {"result_id": record.id, "dataset_id": record.dataset_id}


def _upload(state: Any, request: dict[str, Any]) -> dict[str, Any]:
    from mmt.jobs.progress import report_progress
    from mmt.services.datasets import StagedUpload, ingest_staged

    staged = StagedUpload(path=state.files.absolute(request["staged_path"]), size=int(request["size"]),
                          sha256=request["sha256"])
    if not staged.path.exists():
        raise MMTError("The uploaded file of this job is no longer on the server. Upload it again.",
                       code="upload_missing", status=410, details={"staged_path": request["staged_path"]})
    report_progress(5.0, "reading and checking the file")
    dataset = ingest_staged(state, staged, request["filename"], request["model_type"],
                            name=request.get("name"), description=request.get("description"),
                            column_mapping=request.get("columns"), options=request.get("options"))
    return {"dataset_id": dataset.id}


_TASKS: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {"analysis": _analysis, "upload": _upload}


def _discard_staged(state: Any, request: dict[str, Any]) -> None:
    """Remove the staged upload of a job that failed for good."""
    relative = request.get("staged_path")
    if relative:
        try:
            state.files.absolute(relative).unlink()
        except FileNotFoundError:
            pass


class _ProgressWriter:
    """Progress callback that writes to the job row, at most every PROGRESS_INTERVAL seconds."""

    def __init__(self, state: Any, job_id: str) -> None:
        self.state = state
        self.job_id = job_id
        self.last_write = 0.0
        self.last_percent = -1.0

    def __call__(self, percent: float, message: str | None = None) -> None:
        now = time.monotonic()
        if percent <= self.last_percent or (now - self.last_write < PROGRESS_INTERVAL and percent - self.last_percent < 10):
            return
        self.last_write, self.last_percent = now, percent
        _update(self.state, self.job_id, progress=float(max(0.0, min(99.0, percent))), message=message)


class _Heartbeat:
    """Background thread that writes the running job's updated_at every :data:`HEARTBEAT_SECONDS`.

    A worker killed with SIGKILL cannot mark its job, and RQ 3.0 reports the
    job of a ``SimpleWorker`` as started until the job timeout
    (``MMT_JOB_TIMEOUT``, 6 hours by default) runs out. The runners read a
    silent heartbeat as a lost worker instead.
    """

    def __init__(self, state: Any, job_id: str) -> None:
        self.state = state
        self.job_id = job_id
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"mmt-heartbeat-{job_id[:8]}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stopped.set()
        # A daemon thread, so that a write stuck on an unreachable database cannot hold up the end of the job.
        self.thread.join(timeout=10)

    def _beat(self) -> None:
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            try:
                with self.state.database.session() as session:
                    session.execute(sa.update(Job).where(Job.id == self.job_id, Job.state == "running")
                                    .values(updated_at=utc_now()))
            except Exception as error:
                LOGGER.warning("job_id=%s heartbeat not written: %s", self.job_id, error)


def _update(app_state: Any, job_id: str, **fields: Any) -> None:
    with app_state.database.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        for name, value in fields.items():
            setattr(job, name, value)
        job.updated_at = utc_now()


def staged_upload_path(state: Any, job_id: str) -> Path:
    """Where the upload of job ``job_id`` waits for its worker (kept until the job ends)."""
    folder = state.files.root / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{job_id}.upload"
