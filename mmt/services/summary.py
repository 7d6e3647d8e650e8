"""The summary computed from stored results (never fixed numbers)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mmt.services.analyses import latest_results
from mmt.services.thresholds import current_thresholds
from mmt.storage.models import AnalysisResult, Dataset


def build_summary(session: Session) -> dict[str, Any]:
    """Count datasets and results, and list the latest result per type with its breaches."""
    datasets_by_type = dict(
        session.execute(sa.select(Dataset.model_type, sa.func.count(Dataset.id)).group_by(Dataset.model_type)).all()
    )
    results_by_type = dict(
        session.execute(
            sa.select(AnalysisResult.analysis_type, sa.func.count(AnalysisResult.id)).group_by(AnalysisResult.analysis_type)
        ).all()
    )
    latest: dict[str, Any] = {}
    breaches: list[dict[str, Any]] = []
    for analysis_type, record in sorted(latest_results(session).items()):
        statuses = list(record.statuses or [])
        counts = {"green": 0, "amber": 0, "red": 0}
        for entry in statuses:
            status = entry.get("status") if isinstance(entry, dict) else None
            if status in counts:
                counts[status] += 1
            if status in ("amber", "red"):
                breaches.append({"analysis_type": analysis_type, "analysis_result_id": record.id,
                                 "dataset_id": record.dataset_id, **entry})
        overall = "red" if counts["red"] else "amber" if counts["amber"] else "green" if counts["green"] else None
        latest[analysis_type] = {
            "analysis_result_id": record.id,
            "dataset_id": record.dataset_id,
            "reference_dataset_id": record.reference_dataset_id,
            "created_at": record.created_at.isoformat(),
            "overall_status": overall,
            "status_counts": counts,
            "statuses": statuses,
        }
    return {
        "counts": {
            "datasets": int(sum(datasets_by_type.values())),
            "datasets_by_type": {key: int(value) for key, value in datasets_by_type.items()},
            "analysis_results": int(sum(results_by_type.values())),
            "analysis_results_by_type": {key: int(value) for key, value in results_by_type.items()},
            "breaches": len(breaches),
        },
        "latest": latest,
        "breaches": breaches,
        "thresholds": current_thresholds(session),
    }
