"""Running an analysis: pick the datasets, call the analysis, store the result.

Every stored result records its parameters, the thresholds in force, the
software version, the SHA-256 of its inputs and its duration, so each figure
can be reproduced.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pydantic
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mmt import __version__
from mmt.errors import ConflictError, MMTError, NotFoundError
from mmt.ingest.specs import article
from mmt.jsonsafe import to_jsonable
from mmt.services.datasets import get_dataset, latest_dataset
from mmt.services.thresholds import current_thresholds
from mmt.storage.models import AnalysisResult, Dataset

LOGGER = logging.getLogger("mmt.analysis")


@dataclass
class AnalysisRun:
    """Outcome of an analysis handler: results, datasets read and parameters used."""

    results: dict[str, Any]
    datasets: list[Dataset] = field(default_factory=list)
    reference: Dataset | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Any, Session, dict[str, Any], dict[str, float]], AnalysisRun]
HANDLERS: dict[str, Handler] = {}
DATASET_TYPES: dict[str, tuple[str, ...]] = {}
REQUEST_MODELS: dict[str, type[pydantic.BaseModel]] = {}


def register(analysis_type: str, dataset_types: tuple[str, ...],
             request_model: type[pydantic.BaseModel] | None = None) -> Callable[[Handler], Handler]:
    """Register the handler of ``analysis_type`` and its request model (decorator)."""

    def decorator(handler: Handler) -> Handler:
        HANDLERS[analysis_type] = handler
        DATASET_TYPES[analysis_type] = dataset_types
        if request_model is not None:
            REQUEST_MODELS[analysis_type] = request_model
        return handler

    return decorator


def resolve_dataset(session: Session, dataset_id: int | None, model_types: tuple[str, ...],
                    *, label: str) -> Dataset:
    """Return the requested dataset, or the latest non-baseline upload of the types."""
    if dataset_id is not None:
        dataset = get_dataset(session, dataset_id)
        if dataset.model_type not in model_types:
            raise MMTError(
                f"Dataset {dataset_id} is {article(dataset.model_type)} '{dataset.model_type}' upload; the {label} analysis needs one of: "
                f"{', '.join(model_types)}.",
                code="wrong_dataset_type",
                details={"dataset_id": dataset_id, "model_type": dataset.model_type, "accepted": list(model_types)},
            )
        return dataset
    dataset = latest_dataset(session, model_types, baseline=False)
    if dataset is None:
        raise MMTError(
            f"No {label} data available. Upload a file with POST /api/upload/{model_types[0]} first.",
            code="no_data",
            details={"accepted_types": list(model_types)},
        )
    return dataset


def same_content(dataset: Dataset, reference: Dataset) -> bool:
    """Return True when two different datasets have the same columnar copy, such as one file uploaded twice."""
    return reference.id != dataset.id and reference.parquet_sha256 == dataset.parquet_sha256


def same_content_warning(dataset: Dataset, reference: Dataset) -> str:
    """Return the warning of a reference dataset whose content equals the current dataset's."""
    return (
        f"Reference dataset {reference.id} has the same content as dataset {dataset.id} (equal SHA-256 of their "
        "columnar copies), so wherever both sides select the same rows the comparison shows no change. Give "
        "reference_dataset_id the dataset of the reference period unless this is intended."
    )


# Parameters that describe how an analysis ran, not what it read, so they stay out of the input hash.
RUN_PARAMETERS = frozenset({"async"})


def input_sha256(datasets: list[Dataset], parameters: dict[str, Any]) -> str:
    """Hash the inputs: the Parquet copies' hashes and the parameters other than :data:`RUN_PARAMETERS`."""
    digest = hashlib.sha256()
    for dataset in datasets:
        digest.update(dataset.parquet_sha256.encode())
    inputs = {key: value for key, value in to_jsonable(parameters).items() if key not in RUN_PARAMETERS}
    digest.update(repr(sorted(inputs.items())).encode())
    return digest.hexdigest()


def analysis_handler(analysis_type: str) -> Any:
    """Return the handler of ``analysis_type``.

    Raises
    ------
    NotFoundError
        ``unknown_analysis_type``, listing the known types, when there is no such analysis.
    """
    from mmt.analyses import registry  # noqa: F401  (registers the handlers)

    handler = HANDLERS.get(analysis_type)
    if handler is None:
        # The type comes from the URL and can be any length, so the error repeats only its start.
        type_start = analysis_type[:60]
        raise NotFoundError(
            f"Unknown analysis type '{type_start}'. Use one of: {', '.join(sorted(HANDLERS))}.",
            code="unknown_analysis_type",
            details={"analysis_type": type_start, "accepted": sorted(HANDLERS)},
        )
    return handler


def run_analysis(state: Any, analysis_type: str, payload: dict[str, Any], *,
                 background: bool = False) -> AnalysisResult:
    """Run ``analysis_type`` on ``payload`` and store the result.

    ``background`` is stored as the ``async`` parameter, since the request's
    own ``async`` option is left out when the size of the data decides.
    """
    handler = analysis_handler(analysis_type)
    started = time.perf_counter()
    # Datasets the handler loaded, including those it chose itself, such as the latest upload.
    loaded: set[int] = set()
    try:
        return _run_and_store(state, analysis_type, handler, payload, started, background, loaded)
    except pydantic.ValidationError:
        raise
    except MMTError as error:
        # The row was read before a deletion committed, and the deletion then removed its files.
        if error.code == "dataset_files_missing":
            _raise_if_dataset_deleted(state, payload, loaded, error)
        raise
    except Exception as error:
        _raise_if_dataset_deleted(state, payload, loaded, error)
        raise


def _raise_if_dataset_deleted(state: Any, payload: dict[str, Any], loaded: set[int], error: Exception) -> None:
    """Turn a failure caused by a dataset deleted during the analysis into a 409."""
    requested = [payload.get(key) for key in ("dataset_id", "datasetId", "reference_dataset_id")]
    requested = {value for value in requested if isinstance(value, int) and not isinstance(value, bool)} | loaded
    if not requested:
        return
    with state.database.session() as session:
        deleted = [dataset_id for dataset_id in sorted(requested) if session.get(Dataset, dataset_id) is None]
    if deleted:
        raise ConflictError(
            f"Dataset {', '.join(map(str, deleted))} was deleted while the analysis ran; nothing was stored.",
            code="dataset_deleted", details={"dataset_ids": deleted},
        ) from error


def _loaded_dataset_ids(session: Session) -> set[int]:
    """Return the ids of the datasets in ``session``'s identity map, read from the keys without a query."""
    return {key[1][0] for key in session.identity_map.keys() if key[0] is Dataset}


def _run_and_store(state: Any, analysis_type: str, handler: Handler, payload: dict[str, Any],
                   started: float, background: bool, loaded: set[int]) -> AnalysisResult:
    with state.database.session() as session:
        try:
            thresholds = current_thresholds(session)
            run = handler(state, session, payload, thresholds)
            record = _result_record(analysis_type, run, thresholds, started, background)
            session.add(record)
            session.flush()
        except BaseException:
            loaded.update(_loaded_dataset_ids(session))
            raise
        record_id = record.id
    LOGGER.info("analysis_id=%s type=%s datasets=%s duration_ms=%.1f",
                record_id, analysis_type, record.dataset_ids, record.duration_ms)
    with state.database.session() as session:
        return session.get(AnalysisResult, record_id)


def _result_record(analysis_type: str, run: AnalysisRun, thresholds: dict[str, float], started: float,
                   background: bool) -> AnalysisResult:
    results = to_jsonable(run.results)
    # Handlers copy the request model's "async" default (false) into the parameters they return.
    result_parameters = results.get("parameters") if isinstance(results, dict) else None
    if isinstance(result_parameters, dict) and "async" in result_parameters:
        result_parameters["async"] = background
    statuses = results.get("summary_statuses", []) if isinstance(results, dict) else []
    warnings = results.get("warnings", []) if isinstance(results, dict) else []
    parameters = {**to_jsonable(run.parameters), "async": background}
    datasets = list(run.datasets) + ([run.reference] if run.reference is not None else [])
    duration_ms = (time.perf_counter() - started) * 1000
    return AnalysisResult(
        analysis_type=analysis_type,
        dataset_id=run.datasets[0].id if run.datasets else None,
        reference_dataset_id=run.reference.id if run.reference is not None else None,
        dataset_ids=[dataset.id for dataset in datasets],
        parameters=parameters,
        thresholds=thresholds,
        results=results,
        warnings=warnings,
        statuses=statuses,
        status="completed",
        software_version=__version__,
        input_sha256=input_sha256(datasets, parameters),
        duration_ms=duration_ms,
    )


def parse_options(model: type[pydantic.BaseModel], payload: dict[str, Any]) -> pydantic.BaseModel:
    """Validate analysis options; pydantic errors become a 400 through the error handler."""
    return model.model_validate(payload or {})


def latest_results(session: Session) -> dict[str, AnalysisResult]:
    """Return the latest stored result of every analysis type."""
    latest: dict[str, AnalysisResult] = {}
    subquery = (
        sa.select(AnalysisResult.analysis_type, sa.func.max(AnalysisResult.id).label("max_id"))
        .group_by(AnalysisResult.analysis_type)
        .subquery()
    )
    rows = session.scalars(sa.select(AnalysisResult).join(subquery, AnalysisResult.id == subquery.c.max_id))
    for row in rows:
        latest[row.analysis_type] = row
    return latest
