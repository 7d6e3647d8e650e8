"""Background jobs: ``GET /api/jobs``, ``GET /api/jobs/<job_id>`` and ``POST /api/jobs/<job_id>/retry``."""

from __future__ import annotations

import base64
import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, jsonify, request, url_for

from mmt.api.analyze import ANALYSIS_TYPES
from mmt.api.openapi import documented
from mmt.api.schemas import MODEL_TYPES, JobAccepted, JobListResponse, JobOut, iso
from mmt.app import app_state
from mmt.errors import MMTError, NotFoundError
from mmt.storage.models import Job

bp = Blueprint("jobs", __name__)

JOB_STATES = ("queued", "running", "completed", "failed")
UNFINISHED_STATES = ("queued", "running")
# Kinds the submit functions of mmt.jobs.submit record: one per analysis route and per upload type.
JOB_KINDS = tuple(f"analyze_{name}" for name in ANALYSIS_TYPES) + tuple(f"upload_{name}" for name in MODEL_TYPES)
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Dataset ids are 32-bit integer columns on PostgreSQL.
MAX_DATASET_ID = 2**31 - 1
# Unfinished jobs whose state a listing checks (heartbeat, RQ status) before it filters by state.
MAX_REFRESHED = 500

LIST_QUERY = [
    {"name": "state", "in": "query", "required": False, "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"type": "string", "enum": list(JOB_STATES)}},
     "description": "Only jobs in these states. Repeat the parameter or separate states with commas."},
    {"name": "kind", "in": "query", "required": False, "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"type": "string", "enum": list(JOB_KINDS)}},
     "description": "Only jobs of these kinds: analyze_<analysis type> or upload_<model type>. "
                    "Repeat the parameter or separate kinds with commas."},
    {"name": "dataset_id", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_DATASET_ID},
     "description": "Only jobs that analysed this dataset (named in the request, or taken as the latest upload) "
                    "or stored it (uploads, once completed)."},
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
     "description": "Jobs per page."},
    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "The next_cursor of the previous page, to get the jobs created before its last one."},
]


def _job(session, job_id: str) -> Job:
    # Stored ids are hex, and PostgreSQL rejects a NUL in a text parameter, so such an id is not looked up.
    job = session.get(Job, job_id[:64]) if "\x00" not in job_id else None
    if job is None:
        raise NotFoundError(f"Job {job_id[:64]} not found.", code="job_not_found", details={"job_id": job_id[:64]})
    return job


def job_out(job: Job) -> JobOut:
    """Build the JSON body of ``job``: its state, progress, error and the link to what it produced."""
    # The canonical paths, not the original front end's aliases of the same endpoints.
    result_url = f"/api/analyses/{job.result_id}" if job.result_id else None
    if result_url is None and job.dataset_id:
        result_url = f"/api/datasets/{job.dataset_id}"
    return JobOut(
        job_id=job.id, kind=job.kind, state=job.state, progress=job.progress, message=job.message,
        result_id=job.result_id, dataset_id=job.dataset_id, result_url=result_url, error=job.error,
        retryable=job.retryable, created_at=iso(job.created_at), updated_at=iso(job.updated_at),
    )


def _query_error(parameter: str, message: str, **details) -> MMTError:
    return MMTError(message, code="invalid_query", status=400, details={"parameter": parameter, **details})


def _listed(parameter: str, accepted: tuple[str, ...]) -> list[str]:
    """Parse a query parameter given repeated or as a comma-separated list, rejecting values not in ``accepted``."""
    values: list[str] = []
    for raw in request.args.getlist(parameter):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    unknown = [value for value in values if value not in accepted]
    if unknown:
        quoted = ", ".join(repr(value[:40]) for value in unknown[:5])
        raise _query_error(parameter, f"Unknown {parameter} {quoted}. Use one or more of: {', '.join(accepted)}.",
                           values=[value[:40] for value in unknown[:5]], accepted=list(accepted))
    return list(dict.fromkeys(values))


def _integer(parameter: str, low: int, high: int) -> int | None:
    raw = request.args.get(parameter, "").strip()
    if not raw:
        return None
    # int() also takes "1_0" and non-ASCII digits, which are no query integers.
    value = int(raw) if raw.isascii() and raw.lstrip("-").isdigit() else None
    if value is None or not low <= value <= high:
        raise _query_error(parameter, f"{parameter} must be an integer from {low} to {high}; got {raw[:40]!r}.",
                           value=raw[:40], minimum=low, maximum=high)
    return value


def _encode_cursor(job: Job) -> str:
    text = f"{job.created_at.isoformat()}|{job.id}"
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _decode_cursor(raw: str) -> tuple[dt.datetime, str]:
    """Return the creation time and id of the last job of the previous page, from its ``next_cursor``."""
    invalid = _query_error("cursor", "cursor is not a next_cursor of an earlier GET /api/jobs answer. Pass that "
                           "value unchanged, or leave cursor out to start at the newest job.", value=raw[:80])
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
        created, _, job_id = text.partition("|")
        created_at = dt.datetime.fromisoformat(created)
    except ValueError:  # binascii.Error and UnicodeDecodeError included
        raise invalid from None
    # Stored times are naive UTC, no stored id is longer than 64 characters, and PostgreSQL rejects a NUL.
    if not job_id or len(job_id) > 64 or "\x00" in job_id or created_at.tzinfo is not None:
        raise invalid
    return created_at, job_id


def _requested_or_stored_dataset(dataset_id: int) -> sa.ColumnElement[bool]:
    """Match jobs whose analysis request names ``dataset_id`` or whose outcome recorded it."""
    # Compared as text: SQLite's json_extract returns a number and PostgreSQL's #>> returns text. The payload is
    # stored as sent, so a request of the original front end names the dataset under its datasetId alias.
    requested = [sa.cast(Job.request[("payload", key)].as_string(), sa.String) == str(dataset_id)
                 for key in ("dataset_id", "datasetId")]
    return sa.or_(Job.dataset_id == dataset_id, *requested)


def _refresh_unfinished(session, runner, conditions: list) -> None:
    """Mark unfinished jobs whose worker is gone as failed, as GET /api/jobs/<job_id> would.

    Done before the state filter applies, so that ``state=failed`` lists an
    interrupted job and ``state=running`` does not.
    """
    # NOTE: only the MAX_REFRESHED least recently updated jobs are checked, so with more unfinished jobs than
    # that, a lost one may be listed as queued or running until it is read or a later listing reaches it.
    unfinished = session.scalars(
        sa.select(Job).where(Job.state.in_(UNFINISHED_STATES), *conditions)
        .order_by(Job.updated_at).limit(MAX_REFRESHED)
    ).all()
    for job in unfinished:
        runner.refresh(session, job)
    session.flush()


@bp.get("/api/jobs")
@documented("get", "/api/jobs", "Background jobs, newest first, with their state, progress and result link", "jobs",
            response=JobListResponse, query=LIST_QUERY)
def list_jobs():
    states = _listed("state", JOB_STATES)
    kinds = _listed("kind", JOB_KINDS)
    dataset_id = _integer("dataset_id", 1, MAX_DATASET_ID)
    limit = _integer("limit", 1, MAX_LIMIT) or DEFAULT_LIMIT
    cursor = request.args.get("cursor", "").strip()
    before = _decode_cursor(cursor) if cursor else None

    conditions: list = []
    if kinds:
        conditions.append(Job.kind.in_(kinds))
    if dataset_id is not None:
        conditions.append(_requested_or_stored_dataset(dataset_id))
    state = app_state()
    with state.database.session() as session:
        _refresh_unfinished(session, state.jobs, conditions)
        if states:
            conditions.append(Job.state.in_(states))
        total = session.scalar(sa.select(sa.func.count()).select_from(Job).where(*conditions)) or 0
        query = sa.select(Job).where(*conditions)
        if before is not None:
            created_at, job_id = before
            query = query.where(sa.or_(Job.created_at < created_at,
                                       sa.and_(Job.created_at == created_at, Job.id < job_id)))
        # The id breaks ties between jobs created in the same microsecond, so pages never skip or repeat one.
        rows = session.scalars(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)).all()
        page = rows[:limit]
        next_cursor = _encode_cursor(page[-1]) if len(rows) > limit else None
        jobs = [job_out(job) for job in page]
    body = JobListResponse(jobs=jobs, total=total, limit=limit, next_cursor=next_cursor)
    return jsonify(body.model_dump())


@bp.get("/api/jobs/<job_id>")
@documented("get", "/api/jobs/{job_id}", "State, progress and result link of a background job", "jobs", response=JobOut)
def get_job(job_id: str):
    state = app_state()
    with state.database.session() as session:
        job = _job(session, job_id)
        state.jobs.refresh(session, job)
        body = job_out(job)
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
