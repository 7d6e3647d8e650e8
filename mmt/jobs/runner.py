"""Job runners: record jobs in the database and run them in threads or on RQ workers.

Both runners store the job (kind, request, state, progress, result) in the
``jobs`` table before anything runs, and the work itself is one of the
importable functions of :mod:`mmt.jobs.tasks`, so a job can be run by a
thread of this process or by an RQ worker on another process or machine
that shares the database and the data folder.

A job that was queued or running when its process stopped is marked
``failed`` with ``retryable`` true, on the next start (threads) or as soon
as its state is read and RQ reports the job lost (RQ). A running job whose
worker wrote no heartbeat for :data:`mmt.jobs.tasks.HEARTBEAT_STALE_SECONDS`
is marked so too when its state is read, which covers a worker killed with
SIGKILL while the rest keeps running.
"""

from __future__ import annotations

import logging
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from mmt.errors import MMTError
from mmt.jobs.tasks import HEARTBEAT_STALE_SECONDS
from mmt.storage.models import Job, utc_now

LOGGER = logging.getLogger("mmt.jobs")

QUEUE_NAME = "mmt"
# Maximum time in seconds a job may run on an RQ worker before RQ stops it.
JOB_TIMEOUT_SECONDS = int(os.environ.get("MMT_JOB_TIMEOUT", str(6 * 3600)))
# A job row younger than this may not have reached the RQ queue yet.
ENQUEUE_GRACE_SECONDS = 30
INTERRUPTED = {"code": "interrupted", "message": "The job stopped before it finished (server or worker restart); "
               "retry it with POST /api/jobs/<job_id>/retry."}
QUEUE_UNAVAILABLE = {"code": "queue_unavailable", "message": "The job queue (Redis) was unreachable, so the job never "
                     "started. Retry it with POST /api/jobs/<job_id>/retry once Redis is back."}


class JobRunner:
    """Run jobs in a thread pool of this process."""

    name = "threads"

    def __init__(self, app: Flask, state: Any, max_workers: int = 2) -> None:
        self.app = app
        self.state = state
        self.executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="mmt-job")

    def _owner_pid(self) -> int | None:
        """Return the process that will run this runner's jobs (None when a worker picks it)."""
        return os.getpid()

    def submit(self, kind: str, request: dict[str, Any], job_id: str | None = None) -> str:
        """Record a job whose ``request`` names its task (``analysis`` or ``upload``), start it, return its id."""
        job_id = job_id or uuid.uuid4().hex
        with self.state.database.session() as session:
            session.add(Job(id=job_id, kind=kind, state="queued", progress=0.0, request=request,
                            worker_pid=self._owner_pid()))
        self.enqueue(job_id, request)
        return job_id

    def enqueue(self, job_id: str, request: dict[str, Any]) -> None:
        from mmt.jobs.tasks import execute_job

        self.executor.submit(self._run, job_id, execute_job)

    def _run(self, job_id: str, execute) -> None:
        try:
            with self.app.app_context():
                execute(self.state, job_id)
        except Exception:
            # execute() stores task errors itself, so this is a database or programming error.
            LOGGER.exception("job_id=%s could not be run", job_id)

    def recover_interrupted(self, session: Session) -> int:
        """Mark jobs left queued or running by a stopped process as failed and retryable."""
        stale = session.scalars(sa.select(Job).where(Job.state.in_(("queued", "running")))).all()
        recovered = 0
        for job in stale:
            if job.worker_pid and job.worker_pid != os.getpid() and process_alive(job.worker_pid):
                continue
            _mark_interrupted(job)
            recovered += 1
        if recovered:
            LOGGER.info("marked %d interrupted jobs as failed and retryable", recovered)
        return recovered

    def refresh(self, session: Session, job: Job) -> None:
        """Mark a running job interrupted when its worker stopped writing the job's heartbeat."""
        silence = (utc_now() - job.updated_at).total_seconds()
        if job.state == "running" and silence > HEARTBEAT_STALE_SECONDS:
            _mark_interrupted(job)
            LOGGER.info("job_id=%s worker_pid=%s no heartbeat for %.0f s, marked failed and retryable",
                        job.id, job.worker_pid, silence)

    def shutdown(self, wait: bool = True) -> None:
        self.executor.shutdown(wait=wait)


class RQJobRunner(JobRunner):
    """Run jobs on RQ workers (``mmt worker``) through the Redis at ``redis_url``."""

    name = "rq"

    def __init__(self, app: Flask, state: Any, redis_url: str) -> None:
        super().__init__(app, state, max_workers=1)
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE_NAME, connection=self.redis)

    def _owner_pid(self) -> int | None:
        return None

    def enqueue(self, job_id: str, request: dict[str, Any]) -> None:
        """Put the recorded job on the RQ queue, or mark it failed and retryable when Redis is unreachable."""
        from redis.exceptions import RedisError

        try:
            self._enqueue_on_rq(job_id, request)
        except RedisError as error:
            LOGGER.error("job_id=%s not queued, Redis is unreachable: %s", job_id, error)
            with self.state.database.session() as session:
                job = session.get(Job, job_id)
                job.state = "failed"
                job.retryable = True
                job.error = dict(QUEUE_UNAVAILABLE)
                job.updated_at = utc_now()
            raise MMTError(f"The job queue (REDIS_URL) is unreachable, so job {job_id} was recorded but not "
                           f"started. Retry it with POST /api/jobs/{job_id}/retry once Redis is back.",
                           code="queue_unavailable", status=503, details={"job_id": job_id}) from None

    def _enqueue_on_rq(self, job_id: str, request: dict[str, Any]) -> None:
        options = {"job_id": job_id, "job_timeout": JOB_TIMEOUT_SECONDS, "result_ttl": 24 * 3600,
                   "failure_ttl": 7 * 24 * 3600}
        if request.get("task") == "analysis":
            self.queue.enqueue("mmt.jobs.tasks.run_analysis_job", job_id, request["analysis_type"],
                               request.get("payload") or {}, **options)
        elif request.get("task") == "upload":
            self.queue.enqueue("mmt.jobs.tasks.run_upload_job", job_id, request["model_type"], request["filename"],
                               **options)
        else:
            self.queue.enqueue("mmt.jobs.tasks.run_job", job_id, **options)

    def _rq_status(self, job_id: str) -> str | None:
        """RQ's status of the job, or None when Redis no longer has it."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job as RQJob

        try:
            return str(RQJob.fetch(job_id, connection=self.redis).get_status(refresh=True))
        except NoSuchJobError:
            return None

    def refresh(self, session: Session, job: Job) -> None:
        """Mark the job interrupted when RQ lost it, stopped it without our handler running, or its worker died."""
        # RQ still reports the job of a worker killed with SIGKILL as started, so the heartbeat decides.
        super().refresh(session, job)
        if job.state not in ("queued", "running"):
            return
        try:
            status = self._rq_status(job.id)
        except Exception as error:  # Redis down: report the stored state as it is.
            LOGGER.warning("job_id=%s cannot read the RQ status: %s", job.id, error)
            return
        if status is None and (utc_now() - job.updated_at).total_seconds() < ENQUEUE_GRACE_SECONDS:
            return  # Recorded but not yet on the queue.
        # "finished" too: RQ ran the function, but its final update of this row never landed.
        lost = status is None or any(word in status.lower() for word in ("failed", "stopped", "canceled", "finished"))
        if lost:
            _mark_interrupted(job)
            LOGGER.info("job_id=%s rq_status=%s marked failed and retryable", job.id, status)

    def recover_interrupted(self, session: Session) -> int:
        stale = session.scalars(sa.select(Job).where(Job.state.in_(("queued", "running")))).all()
        before = len(stale)
        for job in stale:
            self.refresh(session, job)
        recovered = sum(1 for job in stale if job.state == "failed")
        if recovered:
            LOGGER.info("marked %d of %d unfinished RQ jobs as failed and retryable", recovered, before)
        return recovered


def _mark_interrupted(job: Job) -> None:
    job.state = "failed"
    job.retryable = True
    job.error = dict(INTERRUPTED)
    job.updated_at = utc_now()


def process_alive(pid: int) -> bool:
    """Return True when a process with id ``pid`` runs on this machine (one owned by another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def create_job_runner(app: Flask, state: Any) -> JobRunner:
    """Return the RQ runner when ``REDIS_URL`` is set, else the thread runner."""
    redis_url = state.settings.redis_url
    if redis_url:
        return RQJobRunner(app, state, redis_url)
    return JobRunner(app, state)
