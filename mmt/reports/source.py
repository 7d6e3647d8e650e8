"""Read a stored analysis result and its datasets into a :class:`ReportInput`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from mmt.errors import NotFoundError
from mmt.reports.model import ReportInput
from mmt.storage.models import AnalysisResult, Dataset


def load_report_input(session: Session, result_id: int) -> ReportInput:
    """Return the stored result ``result_id`` with its dataset and reference dataset.

    Raises
    ------
    mmt.errors.NotFoundError
        When no result has this id.
    """
    record = session.get(AnalysisResult, result_id)
    if record is None:
        raise NotFoundError(f"Analysis result {result_id} not found. List the results with GET /api/analyses.",
                            code="result_not_found", details={"analysis_result_id": result_id})
    return ReportInput(
        result_id=record.id,
        analysis_type=record.analysis_type,
        created_at=record.created_at.replace(microsecond=0).isoformat(sep=" "),
        software_version=record.software_version,
        input_sha256=record.input_sha256,
        duration_ms=float(record.duration_ms or 0.0),
        parameters=dict(record.parameters or {}),
        thresholds=dict(record.thresholds or {}),
        statuses=list(record.statuses or []),
        warnings=list(record.warnings or []),
        results=dict(record.results or {}),
        dataset=_dataset(session, record.dataset_id),
        reference_dataset=_dataset(session, record.reference_dataset_id),
    )


def _dataset(session: Session, dataset_id: int | None) -> dict[str, Any] | None:
    if dataset_id is None:
        return None
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        return None
    return {"id": dataset.id, "name": dataset.name, "model_type": dataset.model_type,
            "original_filename": dataset.original_filename, "n_rows": dataset.n_rows, "sha256": dataset.sha256}
