"""Dataset use cases: store an upload, list, read, update and delete datasets."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.orm import Session, load_only

from mmt.api.schemas import MODEL_TYPES, DatasetOut, iso
from mmt.errors import MMTError, NotFoundError, PayloadTooLargeError, ValidationError
from mmt.storage.db import lock_for_writing
from mmt.storage.models import AnalysisResult, Dataset

LOGGER = logging.getLogger("mmt.upload")
# Key of the lock that serialises deletions of datasets and results, so that a row deleted twice at
# once is found and audited once. It is a PostgreSQL advisory lock, or SQLite's write lock.
DELETION_LOCK = 734502
# Fields of a result that its analysis.delete audit event records.
AUDITED_RESULT_FIELDS = (AnalysisResult.id, AnalysisResult.analysis_type, AnalysisResult.dataset_id,
                         AnalysisResult.input_sha256, AnalysisResult.created_at)
COPY_CHUNK = 4 * 1024 * 1024
DEFAULT_CONTENT_IN_DB_MB = 64
ORIGINAL_NAME = "original.bin"


def dataset_out(dataset: Dataset, *, with_quality: bool = True) -> DatasetOut:
    """Serialise a dataset's metadata."""
    file_type = "pd" if dataset.model_type == "pd_baseline" else dataset.model_type
    return DatasetOut(
        id=dataset.id,
        model_type=dataset.model_type,
        file_type=file_type,
        name=dataset.name,
        description=dataset.description,
        original_filename=dataset.original_filename,
        sha256=dataset.sha256,
        size_bytes=dataset.size_bytes,
        file_size=dataset.size_bytes,
        n_rows=dataset.n_rows,
        row_count=dataset.n_rows,
        n_columns=dataset.n_columns,
        columns=list(dataset.columns or []),
        column_names=list(dataset.columns or []),
        roles=dict(dataset.roles or {}),
        source_format=dict(dataset.source_format or {}),
        quality=dict(dataset.quality or {}) if with_quality else None,
        warnings=list(dataset.warnings or []),
        is_baseline=bool(dataset.is_baseline),
        created_at=iso(dataset.created_at),
        upload_date=iso(dataset.created_at),
    )


def parse_json_field(raw: str | None, field: str) -> dict[str, Any] | None:
    """Parse a JSON object sent as a multipart form field."""
    if raw is None or raw.strip() == "":
        return None
    if len(raw) > 1_000_000:
        raise MMTError(f"The form field '{field}' is larger than 1 MB.", code="invalid_json", details={"field": field})
    try:
        value = json.loads(raw)
    except RecursionError:
        raise MMTError(f"The form field '{field}' is nested too deeply to be a mapping or reading options.",
                       code="invalid_json", details={"field": field}) from None
    except json.JSONDecodeError as error:
        # A common cause is a value cut at ";" by curl -F, which --form-string does not do.
        hint = " If you send it with curl, use --form-string rather than -F, which cuts values at ';'." if ";" not in raw else ""
        raise MMTError(
            f"The form field '{field}' is not valid JSON ({error.msg}: character {error.pos}).{hint}",
            code="invalid_json",
            details={"field": field, "position": error.pos},
        ) from None
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise MMTError(
            f"The form field '{field}' must be a JSON object, e.g. {{\"pd\": \"PD_1_YR\"}}.",
            code="invalid_json",
            details={"field": field},
        )
    return value


def save_stream(stream: BinaryIO, target: Path, limit_bytes: int) -> tuple[int, str]:
    """Copy an upload stream to ``target`` in chunks; return its size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    with open(target, "wb") as handle:
        while True:
            chunk = stream.read(COPY_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit_bytes:
                raise PayloadTooLargeError(
                    f"The upload is larger than the limit of {limit_bytes // (1024 * 1024)} MB. "
                    "Split the file or raise MMT_MAX_UPLOAD_MB.",
                    details={"limit_mb": limit_bytes // (1024 * 1024)},
                )
            digest.update(chunk)
            handle.write(chunk)
    return size, digest.hexdigest()


@dataclass(frozen=True)
class StagedUpload:
    """An upload saved to disk: its path, size in bytes and SHA-256."""

    path: Path
    size: int
    sha256: str


def content_in_database_limit(state: Any) -> int:
    """Largest original file (bytes) kept in the database; larger ones stay on disk beside the Parquet copy."""
    configured = state.settings.extra.get("content_in_db_mb")
    if configured is None:
        configured = os.environ.get("MMT_CONTENT_IN_DB_MB") or DEFAULT_CONTENT_IN_DB_MB
    return int(float(configured) * 1024 * 1024)


def check_model_type(model_type: str) -> None:
    """Raise a 404 naming the accepted types unless ``model_type`` is one of them."""
    if model_type not in MODEL_TYPES:
        raise NotFoundError(
            f"Unknown upload type '{model_type}'. Use one of: {', '.join(MODEL_TYPES)}.",
            code="unknown_model_type",
            details={"model_type": model_type, "accepted": list(MODEL_TYPES)},
        )


def stage_upload(state: Any, stream: BinaryIO) -> StagedUpload:
    """Stream an upload into a temporary file, within the upload limit."""
    raw_path = state.files.new_temp_path(suffix=".upload")
    try:
        size, sha256 = save_stream(stream, raw_path, state.settings.max_upload_bytes)
    except BaseException:
        raw_path.unlink(missing_ok=True)
        raise
    return StagedUpload(raw_path, size, sha256)


def store_upload(
    state: Any,
    stream: BinaryIO,
    filename: str,
    model_type: str,
    *,
    name: str | None = None,
    description: str | None = None,
    column_mapping: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
) -> Dataset:
    """Validate, normalise and store an uploaded file; all or nothing.

    The file is streamed to a temporary file, read and validated by
    :func:`mmt.ingest.ingest_file` into a temporary Parquet copy, then the
    database row is inserted, the Parquet file moved into place and the
    transaction committed. Any failure removes both temporary files and
    leaves the database unchanged.
    """
    check_model_type(model_type)
    staged = stage_upload(state, stream)
    return ingest_staged(state, staged, filename, model_type, name=name, description=description,
                         column_mapping=column_mapping, options=options)


def ingest_staged(
    state: Any,
    staged: StagedUpload,
    filename: str,
    model_type: str,
    *,
    name: str | None = None,
    description: str | None = None,
    column_mapping: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
) -> Dataset:
    """Ingest a staged upload into a dataset; the staged file is consumed (moved or removed)."""
    from mmt.ingest import ingest_file

    check_model_type(model_type)
    started = time.perf_counter()
    safe_name = Path(filename or "upload").name[:255] or "upload"
    parquet_tmp = state.files.new_temp_path(suffix=".parquet")
    parquet_tmp.unlink()
    try:
        result = ingest_file(
            staged.path,
            safe_name,
            model_type,
            parquet_tmp,
            column_mapping=column_mapping,
            options=options,
            max_rows=state.settings.max_rows,
        )
        dataset = _insert_dataset(state, staged.path, parquet_tmp, result, staged.size, staged.sha256, safe_name,
                                  model_type, name, description)
    finally:
        for leftover in (staged.path, parquet_tmp):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass
    LOGGER.info(
        "dataset_id=%s model_type=%s rows=%s bytes=%s duration_ms=%.1f",
        dataset.id, model_type, dataset.n_rows, staged.size, (time.perf_counter() - started) * 1000,
    )
    return dataset


def _insert_dataset(state, raw_path: Path, parquet_tmp: Path, result, size: int, sha256: str,
                    filename: str, model_type: str, name: str | None, description: str | None) -> Dataset:
    # Small originals live in the database; large ones beside the Parquet copy, never in memory.
    on_disk = size > content_in_database_limit(state)
    content = None if on_disk else raw_path.read_bytes()
    with state.database.session() as session:
        same_file = session.execute(
            sa.select(Dataset.id, Dataset.name)
            .where(Dataset.sha256 == sha256, Dataset.model_type == model_type)
            .order_by(Dataset.id)
        ).all()
        dataset = Dataset(
            model_type=model_type,
            name=(name or filename)[:255],
            description=description,
            original_filename=filename,
            content=content,
            sha256=sha256,
            size_bytes=size,
            n_rows=result.n_rows,
            n_columns=len(result.columns),
            columns=list(result.columns),
            roles=dict(result.roles),
            source_format=dict(result.source_format),
            quality=json.loads(json.dumps(result.quality, allow_nan=False, default=str)),
            warnings=list(result.warnings),
            parquet_path="",
            parquet_sha256=result.parquet_sha256,
            is_baseline=model_type == "pd_baseline",
        )
        session.add(dataset)
        session.flush()
        if same_file:
            dataset.warnings = [*dataset.warnings, duplicate_upload_warning(dataset.id, model_type, same_file)]
        target = state.files.place_parquet(parquet_tmp, dataset.id)
        dataset.parquet_path = state.files.relative(target)
        try:
            if on_disk:
                original = target.with_name(ORIGINAL_NAME)
                os.replace(raw_path, original)
                dataset.content_path = state.files.relative(original)
            session.flush()
        except BaseException:
            state.files.remove_dataset_files(dataset.id)
            raise
        dataset_id = dataset.id
    with state.database.session() as session:
        return session.get(Dataset, dataset_id)


def duplicate_upload_warning(dataset_id: int, model_type: str, same_file: list[tuple[int, str]]) -> dict[str, Any]:
    """Build the warning for an upload whose bytes match earlier datasets of the same type.

    The upload is still stored, because the same file uploaded again with
    another column mapping or other reading options gives a different dataset.
    """
    listed = ", ".join(f'{existing_id} ("{name}")' for existing_id, name in same_file[:5])
    if len(same_file) > 5:
        listed += f" and {len(same_file) - 5} more"
    noun = "dataset" if len(same_file) == 1 else "datasets"
    return {
        "code": "duplicate_upload",
        "message": (
            f"The file has the same content (SHA-256) as the {model_type} {noun} {listed}, and was stored again "
            f"as dataset {dataset_id}. Use the existing dataset in the analyses and delete this one "
            f"(DELETE /api/datasets/{dataset_id}), or delete the older one if this upload replaces it. "
            "If you uploaded the file again on purpose with another column mapping or other options, keep both."
        ),
        "details": {
            "dataset_id": dataset_id,
            "model_type": model_type,
            "existing_dataset_ids": [existing_id for existing_id, _name in same_file],
            "existing_names": [name for _existing_id, name in same_file],
        },
    }


def original_file(state: Any, dataset: Dataset) -> Path | None:
    """The original upload on disk, checked against its SHA-256; None when it is in the database."""
    if not dataset.content_path:
        return None
    from mmt.storage.files import sha256_file

    path = state.files.absolute(dataset.content_path)
    if not path.exists() or sha256_file(path) != dataset.sha256:
        raise MMTError(
            f"The original file of dataset {dataset.id} is missing or damaged on disk. Upload it again.",
            code="dataset_files_missing", status=409, details={"dataset_id": dataset.id},
        )
    return path


def get_dataset(session: Session, dataset_id: int, *, for_update: bool = False) -> Dataset:
    """Return the dataset or raise a 404 naming the id. ``for_update`` locks the row on PostgreSQL."""
    dataset = session.get(Dataset, dataset_id, with_for_update=for_update)
    if dataset is None:
        raise NotFoundError(f"Dataset {dataset_id} not found. List the datasets with GET /api/datasets.",
                            code="dataset_not_found", details={"dataset_id": dataset_id})
    return dataset


def latest_dataset(session: Session, model_types: tuple[str, ...], *, baseline: bool | None = None) -> Dataset | None:
    """Return the latest dataset of the given types (baselines excluded when ``baseline`` is False)."""
    query = sa.select(Dataset).where(Dataset.model_type.in_(model_types))
    if baseline is not None:
        query = query.where(Dataset.is_baseline.is_(baseline))
    return session.scalars(query.order_by(Dataset.created_at.desc(), Dataset.id.desc()).limit(1)).first()


def list_datasets(session: Session, *, model_type: str | None, page: int, per_page: int) -> tuple[list[Dataset], int]:
    """Return one page of datasets (oldest first, as the original front end lists them) and the total."""
    query = sa.select(Dataset)
    count_query = sa.select(sa.func.count(Dataset.id))
    if model_type:
        types = ("pd", "pd_baseline") if model_type == "pd" else (model_type,)
        query = query.where(Dataset.model_type.in_(types))
        count_query = count_query.where(Dataset.model_type.in_(types))
    total = session.scalar(count_query) or 0
    rows = session.scalars(query.order_by(Dataset.id).offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), int(total)


def delete_dataset(state: Any, dataset_id: int) -> None:
    """Delete a dataset, its results and its files.

    The results are deleted one by one through the session, so that the
    audit trail records an ``analysis.delete`` event for each. The dataset
    row is locked first. An analysis that stores a result of it meanwhile
    either commits before, and its result is deleted here, or fails on the
    foreign key afterwards. Either way ``ON DELETE CASCADE`` finds no
    result left to remove without an event.
    """
    with state.database.session() as session:
        lock_for_writing(session, DELETION_LOCK)
        dataset = get_dataset(session, dataset_id, for_update=True)
        results = session.scalars(
            sa.select(AnalysisResult)
            .where(AnalysisResult.dataset_id == dataset_id)
            .options(load_only(*AUDITED_RESULT_FIELDS))
        )
        for result in results:
            session.delete(result)
        session.execute(
            sa.update(AnalysisResult)
            .where(AnalysisResult.reference_dataset_id == dataset_id)
            .values(reference_dataset_id=None)
        )
        session.delete(dataset)
    state.files.remove_dataset_files(dataset_id)


def parquet_path(state: Any, dataset: Dataset) -> Path:
    """Return the Parquet copy of ``dataset``, checking that it is there."""
    path = state.files.absolute(dataset.parquet_path)
    if not path.exists():
        raise MMTError(
            f"The columnar copy of dataset {dataset.id} is missing on disk. Upload the file again.",
            code="dataset_files_missing", status=409, details={"dataset_id": dataset.id},
        )
    return path


def validate_page(page: Any, per_page: Any) -> tuple[int, int]:
    """Parse pagination query parameters."""
    try:
        page_number = int(page or 1)
        size = int(per_page or 100)
    except (TypeError, ValueError):
        raise ValidationError("Query parameters page and per_page must be integers.", code="invalid_pagination") from None
    if page_number < 1 or not 1 <= size <= 1000:
        raise ValidationError("page must be at least 1 and per_page between 1 and 1000.", code="invalid_pagination",
                              details={"page": page_number, "per_page": size})
    return page_number, size


