"""The Database Manager page: dataset and analysis-result lists.

The page lists everything in one table without paging, so these lists are
complete (the default profile pages them by 100). Dates are UTC in the
ECMAScript date format (ISO 8601 with milliseconds and a "Z"), which ``new Date()`` parses.
Renaming, deleting and downloading keep the default routes, because the
page does not read their responses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mmt.storage.models import AnalysisResult, Dataset


def utc_text(value: dt.datetime | None) -> str:
    """Format a naive UTC timestamp as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (empty when missing)."""
    if value is None:
        return ""
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def dataset_row(dataset: Dataset) -> dict[str, Any]:
    """Return the fields the page reads for one dataset (baselines have file_type "pd")."""
    return {
        "id": dataset.id,
        "name": dataset.name,
        "description": dataset.description,
        "file_type": "pd" if dataset.model_type == "pd_baseline" else dataset.model_type,
        "model_type": dataset.model_type,
        "file_size": dataset.size_bytes,
        "upload_date": utc_text(dataset.created_at),
        "is_baseline": bool(dataset.is_baseline),
        "column_names": list(dataset.columns or []),
        "row_count": dataset.n_rows,
    }


def list_datasets_body(session: Session) -> dict[str, Any]:
    """Return ``{"success": true, "datasets": [...]}`` with every dataset, oldest first."""
    rows = session.scalars(sa.select(Dataset).order_by(Dataset.id)).all()
    return {"success": True, "datasets": [dataset_row(row) for row in rows]}


def result_row(record: AnalysisResult) -> dict[str, Any]:
    """Return the fields the page reads for one stored analysis result."""
    return {
        "id": record.id,
        "dataset_id": record.dataset_id,
        "analysis_type": record.analysis_type,
        "analysis_date": utc_text(record.created_at),
        "parameters": dict(record.parameters or {}),
        "result_data": dict(record.results or {}),
    }


def list_results_body(session: Session, *, dataset_id: int | None, analysis_type: str | None) -> dict[str, Any]:
    """Return ``{"success": true, "analysis_results": [...]}``, optionally filtered, oldest first."""
    query = sa.select(AnalysisResult).order_by(AnalysisResult.id)
    if dataset_id is not None:
        query = query.where(AnalysisResult.dataset_id == dataset_id)
    if analysis_type:
        query = query.where(AnalysisResult.analysis_type == analysis_type)
    return {"success": True, "analysis_results": [result_row(row) for row in session.scalars(query)]}
