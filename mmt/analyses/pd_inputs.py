"""Choosing what the PD analysis compares: datasets, periods, segment and features."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mmt.analyses.pd import PDInputs
from mmt.api.schemas import PDAnalyzeRequest
from mmt.engine.base import Engine, Selection
from mmt.errors import MMTError, ValidationError
from mmt.ingest.specs import article
from mmt.services.analyses import same_content, same_content_warning
from mmt.services.datasets import get_dataset, parquet_path
from mmt.stats.master_scale import normalise_grade, resolve_grade_order
from mmt.storage.models import Dataset

ROLE_COLUMNS = {"pd", "score", "default_flag", "rating", "snapshot_date", "obligor_id", "segment"}
# Columns that describe the extract rather than the obligor.
HELPER_COLUMNS = {"sample", "period", "period_label", "snapshot_date_label", "split"}
ID_PATTERN = re.compile(r"(^|_)(id|key|number|no)$|^id_|instrumentid|obligorid|customerid|loanid|accountid", re.IGNORECASE)


def _schema(path) -> pa.Schema:
    return pq.read_schema(path)


def _kind(field: pa.Field) -> str:
    if pa.types.is_integer(field.type) or pa.types.is_floating(field.type) or pa.types.is_decimal(field.type):
        return "numeric"
    return "categorical"


def _parse_dates(values: str | list[str] | None, option: str) -> list[dt.date] | None:
    if values is None:
        return None
    items = [values] if isinstance(values, str) else list(values)
    parsed = []
    for item in items:
        try:
            parsed.append(dt.date.fromisoformat(str(item)[:10]))
        except ValueError:
            raise ValidationError(f"Option {option}: {item!r} is not an ISO date such as 2024-12-31.",
                                  code="invalid_date", details={"option": option, "value": item}) from None
    return parsed


def _snapshots(engine: Engine, path, column: str) -> list[Any]:
    return [value for value in engine.distinct_values(Selection(path), column, limit=1000) if value is not None]


# A baseline chosen without being asked for must share at least this share of
# the dataset's features and of its grade labels.
BASELINE_MIN_SHARED = 0.5


def _iso(value: Any) -> str:
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10]


def _grade_labels(engine: Engine, path, column: str) -> set[str]:
    labels = (normalise_grade(value) for value in engine.distinct_values(Selection(path), column, limit=1000))
    return {label for label in labels if label is not None}


def _baseline_candidate(state: Any, session: Session, dataset: Dataset, features: set[str], score_column: str,
                        grade_column: str | None, engine: Engine, path) -> tuple[Dataset | None, str]:
    """Latest baseline that fits the dataset, or None with the reason.

    A candidate has the score column, shares at least half of the features
    (when the dataset has some) and at least half of the grade labels (when
    both have a rating). A dataset with neither features nor a rating gives
    nothing to check a candidate against, so none is chosen.
    """
    if not features and grade_column is None:
        return None, ("no reference was requested, and without features or a rating column no baseline can be "
                      "checked to fit this dataset: name one with reference_dataset_id")
    query = (
        sa.select(Dataset)
        .where(Dataset.model_type.in_(("pd", "pd_baseline")), Dataset.is_baseline.is_(True), Dataset.id != dataset.id)
        .order_by(Dataset.created_at.desc(), Dataset.id.desc())
        .limit(20)
    )
    grades = _grade_labels(engine, path, grade_column) if grade_column is not None else set()
    for candidate in session.scalars(query):
        try:
            candidate_path = parquet_path(state, candidate)
            candidate_columns = set(_schema(candidate_path).names)
        except (OSError, MMTError):
            continue
        if score_column not in candidate_columns:
            continue
        checked = False
        if features:
            if len(features & candidate_columns) < BASELINE_MIN_SHARED * len(features):
                continue
            checked = True
        if grades and grade_column in candidate_columns:
            if len(grades & _grade_labels(engine, candidate_path, grade_column)) < BASELINE_MIN_SHARED * len(grades):
                continue
            checked = True
        if checked:
            return candidate, ""
    return None, ("no baseline dataset shares the score column and at least half of the features or grades, "
                  "and there are fewer than two snapshot dates")


def _check_dates_exist(requested: list[dt.date], available: list[Any], option: str, dataset_id: int) -> None:
    available_text = [_iso(value) for value in available]
    missing = [_iso(value) for value in requested if _iso(value) not in available_text]
    if missing:
        raise ValidationError(
            f"Option {option}: dataset {dataset_id} has no snapshot {', '.join(missing)}. "
            f"Its snapshot dates are: {', '.join(available_text) or 'none'}.",
            code="unknown_snapshot_date",
            details={"option": option, "dataset_id": dataset_id, "requested": [_iso(value) for value in requested],
                     "missing": missing, "available": available_text},
        )


def _same_period_error(dataset_id: int, overlap: list[str], snapshots: list[Any]) -> ValidationError:
    return ValidationError(
        f"The reference period is the current period of dataset {dataset_id}"
        + (f" (snapshot {', '.join(overlap)})" if overlap else "")
        + ", so every comparison would show no change. Choose different dates with reference_snapshot_date and "
        "snapshot_date, or another dataset with reference_dataset_id."
        + (f" Snapshot dates of the dataset: {', '.join(_iso(value) for value in snapshots)}." if snapshots else ""),
        code="reference_equals_current",
        details={"dataset_id": dataset_id, "overlapping_snapshots": overlap,
                 "available": [_iso(value) for value in snapshots]},
    )


def _check_split_of_one_dataset(dataset_id: int, snapshots: list[Any], current_dates: list[dt.date] | None,
                                reference_dates: list[dt.date] | None, snapshot_column: str | None) -> None:
    """reference_dataset_id naming the dataset itself needs both periods, on different snapshots."""
    if snapshot_column is None or current_dates is None or reference_dates is None:
        raise _same_period_error(dataset_id, [], snapshots)
    _check_dates_exist(reference_dates, snapshots, "reference_snapshot_date", dataset_id)
    _check_no_overlap(dataset_id, current_dates, reference_dates, snapshots)


def _check_no_overlap(dataset_id: int, current_dates: list[dt.date] | None, reference_dates: list[dt.date],
                      snapshots: list[Any]) -> None:
    if current_dates is None:
        return
    overlap = sorted({_iso(value) for value in current_dates} & {_iso(value) for value in reference_dates})
    if overlap:
        raise _same_period_error(dataset_id, overlap, snapshots)


def _requested_filters(request: PDAnalyzeRequest, segment_column: str | None) -> dict[str, list[str]]:
    """The filters the user asked for, as text, for messages and error details."""
    filters: dict[str, list[str]] = {}
    if request.segment is not None:
        values = [request.segment] if isinstance(request.segment, str) else list(request.segment)
        filters[segment_column or "segment"] = [str(value) for value in values]
    if request.snapshot_date is not None:
        values = [request.snapshot_date] if isinstance(request.snapshot_date, str) else list(request.snapshot_date)
        filters["snapshot_date"] = [str(value) for value in values]
    return filters


def build_pd_inputs(state: Any, session: Session, dataset: Dataset, request: PDAnalyzeRequest,
                    thresholds: dict[str, float], engine: Engine) -> tuple[PDInputs, Dataset | None]:
    """Resolve the current and reference selections of a PD analysis."""
    if request.grade_order is not None:
        # A repeated or blank grade is the request's fault: 422 before any figure is read.
        resolve_grade_order([], custom_order=request.grade_order)
    path = parquet_path(state, dataset)
    schema = _schema(path)
    columns = set(schema.names)
    if "pd" in columns and request.sortingMethod != "score":
        score_column, higher_is_riskier = "pd", True
    elif "score" in columns:
        score_column, higher_is_riskier = "score", False
    else:
        raise ValidationError("The dataset has neither a PD nor a score column.", code="missing_column",
                              details={"columns": sorted(columns)})
    grade_column = "rating" if "rating" in columns else None
    snapshot_column = "snapshot_date" if "snapshot_date" in columns else None
    features, kinds = _features(schema, request, score_column)
    identifier_warnings: list[dict[str, Any]] = []
    if request.features is None:
        features, identifier_warnings = _drop_identifiers(engine, Selection(path), features, kinds)

    current = Selection(path).with_not_null(score_column, "default_flag")
    segment_column = request.segment_column or ("segment" if "segment" in columns else None)
    if request.segment is not None:
        if segment_column is None or segment_column not in columns:
            raise ValidationError("Option segment needs a segment column; name it with segment_column.",
                                  code="missing_column", details={"segment_column": segment_column, "columns": sorted(columns)})
        values = [request.segment] if isinstance(request.segment, str) else list(request.segment)
        current = current.with_filter(segment_column, values)

    reference_dataset: Dataset | None = None
    reference: Selection | None = None
    description: dict[str, Any] = {}
    automatic_warnings: list[dict[str, Any]] = []
    current_dates = _parse_dates(request.snapshot_date, "snapshot_date")
    reference_dates = _parse_dates(request.reference_snapshot_date, "reference_snapshot_date")
    snapshots = sorted(_snapshots(engine, path, snapshot_column)) if snapshot_column else []
    if snapshot_column and current_dates is not None:
        _check_dates_exist(current_dates, snapshots, "snapshot_date", dataset.id)
    same_dataset = request.reference_dataset_id is not None and request.reference_dataset_id == dataset.id

    if request.reference_dataset_id is not None and not same_dataset:
        reference_dataset = get_dataset(session, request.reference_dataset_id)
        if reference_dataset.model_type not in ("pd", "pd_baseline"):
            raise MMTError(f"Reference dataset {reference_dataset.id} is {article(reference_dataset.model_type)} '{reference_dataset.model_type}' upload, not PD.",
                           code="wrong_dataset_type", details={"reference_dataset_id": reference_dataset.id})
        description = {"source": "reference_dataset_id", "dataset_id": reference_dataset.id}
    elif same_dataset:
        _check_split_of_one_dataset(dataset.id, snapshots, current_dates, reference_dates, snapshot_column)
    elif reference_dates is None and current_dates is None and len(snapshots) < 2:
        reference_dataset, automatic_reason = _baseline_candidate(state, session, dataset, set(features), score_column,
                                                                  grade_column, engine, path)
        if reference_dataset is not None:
            description = {"source": "latest_baseline", "dataset_id": reference_dataset.id}
            automatic_warnings.append({
                "code": "baseline_chosen",
                "message": f"No reference was requested: compared with the latest compatible baseline, dataset "
                           f"{reference_dataset.id} ({reference_dataset.name}). Name another one with reference_dataset_id.",
                "details": {"dataset_id": reference_dataset.id, "name": reference_dataset.name},
            })
        else:
            description = {"source": None, "reason": automatic_reason}

    if reference_dataset is not None and same_content(dataset, reference_dataset):
        automatic_warnings.append({
            "code": "same_content",
            "message": same_content_warning(dataset, reference_dataset),
            "details": {"dataset_id": dataset.id, "reference_dataset_id": reference_dataset.id},
        })
    if reference_dataset is not None:
        reference_path = parquet_path(state, reference_dataset)
        reference_columns = set(_schema(reference_path).names)
        if score_column not in reference_columns:
            raise ValidationError(f"Reference dataset {reference_dataset.id} has no {score_column} column.",
                                  code="missing_column", details={"reference_dataset_id": reference_dataset.id})
        reference = Selection(reference_path).with_not_null(score_column, "default_flag")
        if reference_dates is not None and snapshot_column in reference_columns:
            reference_snapshots = sorted(_snapshots(engine, reference_path, snapshot_column))
            _check_dates_exist(reference_dates, reference_snapshots, "reference_snapshot_date", reference_dataset.id)
            reference = reference.with_filter(snapshot_column, reference_dates)
        if current_dates is not None and snapshot_column:
            current = current.with_filter(snapshot_column, current_dates)
        if request.segment is not None and segment_column in reference_columns:
            reference = reference.with_filter(segment_column, dict(current.filters)[segment_column])
        description.update(name=reference_dataset.name)
        missing_features = [feature for feature in features if feature not in reference_columns]
        features = [feature for feature in features if feature in reference_columns]
        description["features_missing_in_reference"] = missing_features
        description["grades_in_reference"] = not (grade_column and grade_column not in reference_columns)
    elif snapshot_column:
        if reference_dates is not None:
            _check_dates_exist(reference_dates, snapshots, "reference_snapshot_date", dataset.id)
            _check_no_overlap(dataset.id, current_dates, reference_dates, snapshots)
        elif len(snapshots) >= 2:
            # The earliest snapshot that is not itself a current one: comparing a period with
            # itself would show a PSI of 0 that means nothing.
            others = [value for value in snapshots if current_dates is None or value not in current_dates]
            reference_dates = others[:1] or None
        if reference_dates is not None:
            if current_dates is None:
                current_dates = [value for value in snapshots if value not in reference_dates]
            reference = Selection(path).with_not_null(score_column, "default_flag").with_filter(snapshot_column, reference_dates)
            if request.segment is not None:
                reference = reference.with_filter(segment_column, dict(current.filters)[segment_column])
            description = {"source": "snapshot_dates", "dataset_id": dataset.id,
                           "reference_snapshots": reference_dates, "current_snapshots": current_dates}
        if current_dates is not None:
            current = current.with_filter(snapshot_column, current_dates)
    if reference is None and not description:
        reason = ("no snapshot date other than the current ones to compare with" if current_dates is not None
                  else "no baseline dataset and fewer than two snapshot dates")
        description = {"source": None, "reason": reason}

    inputs = PDInputs(
        engine=engine,
        current=current,
        reference=reference,
        score_column=score_column,
        higher_is_riskier=higher_is_riskier,
        grade_column=grade_column,
        snapshot_column=snapshot_column,
        features=features,
        feature_kinds=kinds,
        thresholds=thresholds,
        grade_order=request.grade_order,
        n_bins=request.n_bins,
        max_curve_points=request.max_curve_points,
        include_variable_importance=request.include_variable_importance,
        reference_description=description,
        warnings=identifier_warnings + automatic_warnings,
        requested_filters=_requested_filters(request, segment_column),
        source_columns={role: str(header) for role, header in (getattr(dataset, "roles", None) or {}).items()},
    )
    return inputs, reference_dataset


# A text column with more distinct values than this, most of them used once,
# is an identifier (customer or contract number), not a characteristic.
IDENTIFIER_MIN_LEVELS = 50
IDENTIFIER_DISTINCT_SHARE = 0.5


def _drop_identifiers(engine: Engine, selection: Selection, features: list[str],
                      kinds: dict[str, str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Leave out text features that look like identifiers, with one warning for them all."""
    kept, dropped = [], []
    for feature in features:
        if kinds.get(feature) != "categorical":
            kept.append(feature)
            continue
        profile = engine.column_profile(selection, feature)
        distinct, present = profile["distinct_estimate"], profile["non_missing"]
        if distinct > IDENTIFIER_MIN_LEVELS and distinct >= IDENTIFIER_DISTINCT_SHARE * max(present, 1):
            dropped.append({"feature": feature, "distinct_values": distinct, "rows": present})
        else:
            kept.append(feature)
    if not dropped:
        return kept, []
    names = ", ".join(item["feature"] for item in dropped)
    warning = {
        "code": "identifier_columns_skipped",
        "message": f"Left out of CSI and IV because nearly every row has its own value, as an identifier has: {names}. "
                   "Map such a column to obligor_id, or name it in the features option to analyse it anyway.",
        "details": {"columns": dropped},
    }
    return kept, [warning]


def _features(schema: pa.Schema, request: PDAnalyzeRequest, score_column: str) -> tuple[list[str], dict[str, str]]:
    kinds = {field.name: _kind(field) for field in schema}
    if request.features is not None:
        unknown = [name for name in request.features if name not in kinds]
        if unknown:
            raise ValidationError(f"Unknown feature columns: {', '.join(unknown)}.", code="unknown_column",
                                  details={"unknown": unknown, "available": sorted(kinds)})
        return list(request.features), kinds
    features = []
    for field in schema:
        name = field.name
        if name in ROLE_COLUMNS or name in HELPER_COLUMNS or name.endswith("_label"):
            continue
        if ID_PATTERN.search(name) or pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            continue
        features.append(name)
    return features, kinds
