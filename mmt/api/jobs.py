"""Background jobs: ``GET /api/jobs/<job_id>`` and ``POST /api/jobs/<job_id>/retry``."""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for

from mmt.api.openapi import documented
from mmt.api.schemas import JobAccepted, JobOut, iso
from mmt.app import app_state
from mmt.errors import MMTError, NotFoundError
from mmt.storage.models import Job

bp = Blueprint("jobs", __name__)


def _job(session, job_id: str) -> Job:
    job = session.get(Job, job_id[:64])
    if job is None:
        raise NotFoundError(f"Job {job_id[:64]} not found.", code="job_not_found", details={"job_id": job_id[:64]})
    return job


@bp.get("/api/jobs/<job_id>")
@documented("get", "/api/jobs/{job_id}", "State, progress and result link of a background job", "jobs", response=JobOut)
def get_job(job_id: str):
    state = app_state()
    with state.database.session() as session:
        job = _job(session, job_id)
        state.jobs.refresh(session, job)
        # The canonical paths, not the original front end's aliases of the same endpoints.
        result_url = f"/api/analyses/{job.result_id}" if job.result_id else None
        if result_url is None and job.dataset_id:
            result_url = f"/api/datasets/{job.dataset_id}"
        body = JobOut(
            job_id=job.id, kind=job.kind, state=job.state, progress=job.progress, message=job.message,
            result_id=job.result_id, dataset_id=job.dataset_id, result_url=result_url, error=job.error,
            retryable=job.retryable, created_at=iso(job.created_at), updated_at=iso(job.updated_at),
        )
    return jsonify(body.model_dump())


@bp.post("/api/jobs/<job_id>/retry")
@documented("post", "/api/jobs/{job_id}/retry", "Run a failed, retryable job again as a new job", "jobs",
            response=JobAccepted, responses={409: "The job is not failed and retryable"})
def retry_job(job_id: str):
    from mmt.jobs.submit import retry

    state = app_state()
    # The refreshed state is committed before the retry claims the job in a transaction of its own.
    with state.database.session() as session:
        job = _job(session, job_id)
        state.jobs.refresh(session, job)
        if job.state != "failed" or not job.retryable:
            raise MMTError(f"Job {job.id} is {job.state}{'' if job.retryable else ', not retryable'}; only a failed, "
                           "retryable job can be retried.", code="job_not_retryable", status=409,
                           details={"job_id": job.id, "state": job.state, "retryable": job.retryable})
    new_id = retry(state, job)
    body = JobAccepted(job_id=new_id, status_url=url_for("jobs.get_job", job_id=new_id),
                       message=f"Job {job_id[:64]} submitted again as {new_id}; follow it at status_url.")
    return jsonify(body.model_dump()), 202
