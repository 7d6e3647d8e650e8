"""Background jobs: ``GET /api/jobs/<job_id>``."""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for

from mmt.api.openapi import documented
from mmt.api.schemas import JobOut, iso
from mmt.app import app_state
from mmt.errors import NotFoundError
from mmt.storage.models import Job

bp = Blueprint("jobs", __name__)


@bp.get("/api/jobs/<job_id>")
@documented("get", "/api/jobs/{job_id}", "State, progress and result link of a background job", "jobs", response=JobOut)
def get_job(job_id: str):
    with app_state().database.session() as session:
        job = session.get(Job, job_id[:64])
        if job is None:
            raise NotFoundError(f"Job {job_id[:64]} not found.", code="job_not_found", details={"job_id": job_id[:64]})
        result_url = url_for("results.get_one", result_id=job.result_id) if job.result_id else None
        if result_url is None and job.dataset_id:
            result_url = url_for("datasets.get_one", dataset_id=job.dataset_id)
        body = JobOut(
            job_id=job.id, kind=job.kind, state=job.state, progress=job.progress, message=job.message,
            result_id=job.result_id, dataset_id=job.dataset_id, result_url=result_url, error=job.error,
            retryable=job.retryable, created_at=iso(job.created_at), updated_at=iso(job.updated_at),
        )
    return jsonify(body.model_dump())
