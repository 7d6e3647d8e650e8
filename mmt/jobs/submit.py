"""Deciding when a request becomes a background job, and submitting it.

An analysis runs as a job when the request sets ``"async": true``, when its
datasets hold more rows than ``MMT_ASYNC_ROW_THRESHOLD`` (2,000,000 by
default), or when an analysis over feature columns (PD, WOE, stability)
reads more cells, rows times columns, than ``MMT_ASYNC_CELL_THRESHOLD``
(20,000,000 by default). An upload runs as a job when the form field
``async`` is true or the file is larger than ``MMT_ASYNC_UPLOAD_MB`` (256 MB
by default). ``"async": false`` keeps a request synchronous whatever its
size.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import sqlalchemy as sa

from mmt.errors import ConflictError, MMTError, ValidationError
from mmt.jobs.tasks import staged_upload_path
from mmt.storage.models import Dataset, Job, utc_now

DEFAULT_ASYNC_UPLOAD_MB = 256
DATASET_KEYS = ("dataset_id", "datasetId", "current_dataset_id", "reference_dataset_id", "baseline_dataset_id")


def async_flag(value: Any, field: str = "async") -> bool | None:
    """Read an ``async`` option from JSON (bool) or a form field (text); None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValidationError(f"Option {field} must be true or false, got {value!r}.", code="invalid_option",
                          details={"option": field, "value": str(value)[:100]})


# Analyses whose work grows with the number of columns: the option that lists those
# columns, and how many role columns the analysis reads besides them.
# Cells that one optimal-binning fit weighs as: with the default threshold of 20,000,000 cells, a WOE request
# with optimal bins over 200 columns (about 10 s of fits) runs as a job.
OPTIMAL_BINNING_CELLS = 100_000
FEATURE_OPTIONS: dict[str, tuple[str, int]] = {
    "pd": ("features", 3),  # the PD or score, the default flag and the rating
    "woe": ("columns", 1),  # the target
    "stability": ("columns", 1),  # the period column
}


def dataset_shapes(state: Any, analysis_type: str, payload: dict[str, Any]) -> list[tuple[int, int]]:
    """Return rows and columns of the datasets an analysis request names (or of the latest upload it would use)."""
    from mmt.services.analyses import DATASET_TYPES

    ids = [int(payload[key]) for key in DATASET_KEYS
           if isinstance(payload.get(key), int) and not isinstance(payload.get(key), bool)]
    shape = sa.select(Dataset.n_rows, Dataset.n_columns)
    with state.database.session() as session:
        if ids:
            return [(int(rows), int(columns)) for rows, columns in session.execute(shape.where(Dataset.id.in_(ids)))]
        types = DATASET_TYPES.get(analysis_type)
        if not types:
            return []
        latest = session.execute(
            shape.where(Dataset.model_type.in_(types), Dataset.is_baseline.is_(False))
            .order_by(Dataset.created_at.desc(), Dataset.id.desc()).limit(1)
        ).first()
        return [] if latest is None else [(int(latest[0]), int(latest[1]))]


def analysis_cells(analysis_type: str, payload: dict[str, Any], shapes: list[tuple[int, int]]) -> int:
    """Estimate the cells an analysis over feature columns reads: rows times columns, summed over datasets.

    A request that lists its columns touches those plus a few role columns,
    capped at the dataset's width. Without a list the analysis takes every
    column as a feature, so the dataset's width counts. Analyses that read a
    fixed handful of columns (LGD, EAD, macro, transitions) return 0 because
    the row threshold covers them.

    Stability and WOE with quantile bins read many columns per scan. WOE
    with optimal bins fits optbinning once per column, about 50 ms whatever
    the rows (1,998 columns × 300 rows took 104 s on a 2-core machine), so
    each of its columns also counts as :data:`OPTIMAL_BINNING_CELLS` cells.
    """
    option = FEATURE_OPTIONS.get(analysis_type)
    if option is None:
        return 0
    name, role_columns = option
    listed = payload.get(name)
    optimal = analysis_type == "woe" and payload.get("method") == "optimal"
    cells = 0
    for rows, columns in shapes:
        if isinstance(listed, list):
            columns = min(columns, len({str(column) for column in listed}) + role_columns)
        cells += rows * columns + (OPTIMAL_BINNING_CELLS * columns if optimal else 0)
    return cells


def analysis_in_background(state: Any, analysis_type: str, payload: dict[str, Any], requested: bool | None) -> bool:
    """Decide whether an analysis request runs as a job, by its ``async`` option or else by its size."""
    if requested is not None:
        return requested
    from mmt.analyses import registry  # noqa: F401  (registers the analysis types and their datasets)

    shapes = dataset_shapes(state, analysis_type, payload)
    if sum(rows for rows, _ in shapes) > state.settings.async_row_threshold:
        return True
    return analysis_cells(analysis_type, payload, shapes) > state.settings.async_cell_threshold


def async_upload_bytes(state: Any) -> int:
    """Uploads larger than this many bytes are ingested as a job."""
    configured = state.settings.extra.get("async_upload_mb")
    if configured is None:
        configured = os.environ.get("MMT_ASYNC_UPLOAD_MB") or DEFAULT_ASYNC_UPLOAD_MB
    return int(float(configured) * 1024 * 1024)


def submit_analysis(state: Any, analysis_type: str, payload: dict[str, Any]) -> str:
    """Record and start an analysis job; return its id."""
    request = {"task": "analysis", "analysis_type": analysis_type, "payload": payload}
    return state.jobs.submit(f"analyze_{analysis_type}"[:32], request)


def submit_upload(state: Any, staged: Any, filename: str, model_type: str, fields: dict[str, Any]) -> str:
    """Move a staged upload where its job finds it, record the job and start it; return its id."""
    import uuid

    job_id = uuid.uuid4().hex
    target = staged_upload_path(state, job_id)
    os.replace(staged.path, target)
    request = {"task": "upload", "staged_path": state.files.relative(target), "size": staged.size,
               "sha256": staged.sha256, "filename": filename, "model_type": model_type, **fields}
    return state.jobs.submit(f"upload_{model_type}"[:32], request, job_id=job_id)


def retry(state: Any, job: Any) -> str:
    """Submit a failed, retryable job's request again as a new job; return the new id.

    The job is claimed first by one conditional UPDATE, so that of two
    concurrent retries of one job only one submits it. The other gets a 409.
    The claim is released when the submission fails, except when the queue is
    unreachable: then the new job is the failed, retryable one.
    """
    new_id = uuid.uuid4().hex
    if not _claim_retry(state, job.id, new_id):
        raise ConflictError(f"Job {job.id} was retried by another request meanwhile. GET /api/jobs/{job.id} "
                            "names the new job in its message.", code="job_not_retryable",
                            details={"job_id": job.id})
    try:
        return _submit_again(state, job, new_id)
    except MMTError as error:
        # The new job is recorded as failed and retryable in its own right, with the staged upload.
        if error.code != "queue_unavailable":
            _release_retry(state, job.id)
        raise
    except BaseException:
        _release_retry(state, job.id)
        raise


def _claim_retry(state: Any, job_id: str, new_id: str) -> bool:
    """Mark a failed, retryable job as retried by ``new_id``; return False when another request did it first."""
    with state.database.session() as session:
        claimed = session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.state == "failed", Job.retryable.is_(True))
            .values(retryable=False, message=f"retried as job {new_id}", updated_at=utc_now())
        ).rowcount
    return claimed == 1


def _release_retry(state: Any, job_id: str) -> None:
    with state.database.session() as session:
        session.execute(sa.update(Job).where(Job.id == job_id).values(retryable=True, message=None, updated_at=utc_now()))


def _submit_again(state: Any, job: Any, new_id: str) -> str:
    request = dict(job.request or {})
    if request.get("task") == "upload":
        staged = state.files.absolute(request["staged_path"])
        if not staged.exists():
            raise ValidationError("The uploaded file of this job is no longer on the server. Upload it again.",
                                  code="upload_missing", details={"job_id": job.id})
        target = staged_upload_path(state, new_id)
        os.replace(staged, target)
        request["staged_path"] = state.files.relative(target)
    return state.jobs.submit(job.kind, request, job_id=new_id)
