"""Job runner: records jobs in the database and runs them in a thread pool."""

from __future__ import annotations

import logging
import os
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from mmt.errors import MMTError
from mmt.storage.models import Job, utc_now

LOGGER = logging.getLogger("mmt.jobs")

ProgressCallback = Callable[[float, str | None], None]


class JobRunner:
    """Run callables as jobs whose state is stored in the ``jobs`` table."""

    def __init__(self, app: Flask, state: Any, max_workers: int = 2) -> None:
        self.app = app
        self.state = state
        self.executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="mmt-job")

    def recover_interrupted(self, session: Session) -> int:
        """Mark jobs left queued or running by a stopped process as failed and retryable."""
        stale = session.scalars(sa.select(Job).where(Job.state.in_(("queued", "running")))).all()
        recovered = 0
        for job in stale:
            if job.worker_pid and job.worker_pid != os.getpid() and _process_alive(job.worker_pid):
                continue
            job.state = "failed"
            job.retryable = True
            job.error = {"code": "interrupted", "message": "The server stopped while the job ran; submit it again."}
            recovered += 1
        if recovered:
            LOGGER.info("marked %d interrupted jobs as failed and retryable", recovered)
        return recovered

    def submit(self, kind: str, request: dict[str, Any], work: Callable[[ProgressCallback], dict[str, Any]]) -> str:
        """Record a job and start ``work(progress)`` in the background; return the job id."""
        job_id = uuid.uuid4().hex
        with self.state.database.session() as session:
            session.add(Job(id=job_id, kind=kind, state="queued", progress=0.0, request=request, worker_pid=os.getpid()))
        self.executor.submit(self._run, job_id, kind, work)
        return job_id

    def _run(self, job_id: str, kind: str, work: Callable[[ProgressCallback], dict[str, Any]]) -> None:
        started = time.perf_counter()
        self._update(job_id, state="running", progress=1.0)

        def progress(percent: float, message: str | None = None) -> None:
            self._update(job_id, progress=float(max(0.0, min(100.0, percent))), message=message)

        with self.app.app_context():
            try:
                outcome = work(progress)
            except MMTError as error:
                self._update(job_id, state="failed", retryable=False,
                             error={"code": error.code, "message": error.message, "details": error.details})
                LOGGER.info("job_id=%s kind=%s state=failed code=%s duration_ms=%.1f",
                            job_id, kind, error.code, (time.perf_counter() - started) * 1000)
                return
            except Exception:
                LOGGER.error("job_id=%s kind=%s failed:\n%s", job_id, kind, traceback.format_exc())
                self._update(job_id, state="failed", retryable=True,
                             error={"code": "internal_error", "message": "The job failed unexpectedly; retry or report the job id."})
                return
        self._update(job_id, state="completed", progress=100.0,
                     result_id=outcome.get("result_id"), dataset_id=outcome.get("dataset_id"))
        LOGGER.info("job_id=%s kind=%s state=completed duration_ms=%.1f", job_id, kind, (time.perf_counter() - started) * 1000)

    def _update(self, job_id: str, **fields: Any) -> None:
        with self.state.database.session() as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            for name, value in fields.items():
                setattr(job, name, value)
            job.updated_at = utc_now()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def create_job_runner(app: Flask, state: Any) -> JobRunner:
    """Create the job runner for ``app``."""
    return JobRunner(app, state)
