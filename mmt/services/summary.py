"""The summary computed from stored results (never fixed numbers).

``latest`` keeps the latest result of each analysis type (the contract of the
original API); ``latest_by_dataset`` and ``breaches`` cover the latest result
of every (dataset, analysis type) pair, so that a team monitoring several
models finds every one of them. A result evaluated under thresholds that have
changed since is marked, because its traffic lights are those of its own
thresholds.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mmt.services.analyses import latest_results
from mmt.services.thresholds import current_thresholds
from mmt.storage.models import AnalysisResult, Dataset


def _latest_per_dataset(session: Session) -> list[AnalysisResult]:
    subquery = (
        sa.select(sa.func.max(AnalysisResult.id).label("max_id"))
        .group_by(AnalysisResult.analysis_type, AnalysisResult.dataset_id)
        .subquery()
    )
    query = sa.select(AnalysisResult).join(subquery, AnalysisResult.id == subquery.c.max_id).order_by(AnalysisResult.id)
    return list(session.scalars(query))


def _describe(record: AnalysisResult, thresholds: dict[str, float], names: dict[int, str]) -> dict[str, Any]:
    statuses = list(record.statuses or [])
    counts = {"green": 0, "amber": 0, "red": 0}
    for entry in statuses:
        status = entry.get("status") if isinstance(entry, dict) else None
        if status in counts:
            counts[status] += 1
    overall = None
    for status in ("green", "amber", "red"):
        if counts[status]:
            overall = status
    used = dict(record.thresholds or {})
    changed = sorted(key for key, value in thresholds.items() if key in used and used[key] != value)
    return {
        "analysis_type": record.analysis_type,
        "analysis_result_id": record.id,
        "dataset_id": record.dataset_id,
        "dataset_name": names.get(record.dataset_id) if record.dataset_id is not None else None,
        "reference_dataset_id": record.reference_dataset_id,
        "created_at": record.created_at.isoformat(),
        "overall_status": overall,
        "status_counts": counts,
        "statuses": statuses,
        "thresholds_changed_since": changed,
        "note": (
            "Evaluated with the thresholds in force when it ran; these thresholds have changed since: "
            + ", ".join(changed) + ". Run the analysis again for traffic lights under the current thresholds."
        ) if changed else None,
    }


def build_summary(session: Session) -> dict[str, Any]:
    """Count datasets and results, and list the latest results with their breaches."""
    datasets_by_type = dict(
        session.execute(sa.select(Dataset.model_type, sa.func.count(Dataset.id)).group_by(Dataset.model_type)).all()
    )
    results_by_type = dict(
        session.execute(
            sa.select(AnalysisResult.analysis_type, sa.func.count(AnalysisResult.id)).group_by(AnalysisResult.analysis_type)
        ).all()
    )
    thresholds = current_thresholds(session)
    names = dict(session.execute(sa.select(Dataset.id, Dataset.name)).all())
    latest = {
        analysis_type: _describe(record, thresholds, names)
        for analysis_type, record in sorted(latest_results(session).items())
    }
    per_dataset = [_describe(record, thresholds, names) for record in _latest_per_dataset(session)]
    breaches: list[dict[str, Any]] = []
    for entry in per_dataset:
        for status in entry["statuses"]:
            if isinstance(status, dict) and status.get("status") in ("amber", "red"):
                breaches.append({
                    "analysis_type": entry["analysis_type"],
                    "analysis_result_id": entry["analysis_result_id"],
                    "dataset_id": entry["dataset_id"],
                    "dataset_name": entry["dataset_name"],
                    "thresholds_changed_since": entry["thresholds_changed_since"],
                    **status,
                })
    return {
        "counts": {
            "datasets": int(sum(datasets_by_type.values())),
            "datasets_by_type": {key: int(value) for key, value in datasets_by_type.items()},
            "analysis_results": int(sum(results_by_type.values())),
            "analysis_results_by_type": {key: int(value) for key, value in results_by_type.items()},
            "breaches": len(breaches),
            "red": sum(1 for item in breaches if item.get("status") == "red"),
            "amber": sum(1 for item in breaches if item.get("status") == "amber"),
        },
        "latest": latest,
        "latest_by_dataset": per_dataset,
        "breaches": breaches,
        "thresholds": thresholds,
    }
