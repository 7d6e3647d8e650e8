"""The Summary page: ``metrics`` and ``timeSeries`` of ``GET /api/summary``.

Every figure is read from stored analysis results, never fixed:

``metrics``
    "PD Gini", "LGD R²", "EAD MAPE" (percent) and "Macro R²" of the latest
    result of each type. A result on the whole dataset is preferred; when
    only filtered results exist, the label names the filter. A type without
    a result, or whose figure is undefined, is left out, because the page
    calls ``toFixed`` on every value.
``timeSeries``
    The PD AUC over time, which fits the chart's fixed [0, 1] axis (a Gini
    can be negative). It is the AUC per snapshot date of the latest PD
    result when its dataset has several snapshots, else the AUC of the
    latest result of each PD dataset, dated by upload (UTC, to the minute).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from mmt.analyses.filters import normalise_filter_values
from mmt.storage.models import AnalysisResult, Dataset

# How far back to look for a result on the whole dataset before settling for a filtered one.
MAX_RESULTS_SCANNED = 200
FILTER_KEYS = {
    "pd": ("segment", "snapshot_date"),
    "lgd": ("quarter", "portfolio", "modelName"),
    "ead": ("quarter", "portfolio", "modelName"),
    "macro": (),
}
METRIC_LABELS = {"pd": "PD Gini", "lgd": "LGD R²", "ead": "EAD MAPE", "macro": "Macro R²"}


def original_summary(session: Session) -> dict[str, Any]:
    """Return ``{"metrics": {...}, "timeSeries": [...]}`` from the stored results."""
    metrics: dict[str, float] = {}
    for analysis_type, label in METRIC_LABELS.items():
        record, filters = _latest_preferring_whole(session, analysis_type)
        if record is None:
            continue
        value = _metric(analysis_type, record.results or {})
        if value is None:
            continue
        if filters:
            label = f"{label} ({', '.join(filters)})"
        metrics[label] = value
    return {"metrics": metrics, "timeSeries": _auc_series(session)}


def _filters(analysis_type: str, parameters: dict[str, Any]) -> list[str]:
    described = []
    for key in FILTER_KEYS[analysis_type]:
        raw = parameters.get(key)
        values = normalise_filter_values(raw) if isinstance(raw, (str, list)) else []
        if values:
            described.append(f"{key}={','.join(values)}")
    return described


def _latest_preferring_whole(session: Session, analysis_type: str) -> tuple[AnalysisResult | None, list[str]]:
    query = (
        sa.select(AnalysisResult)
        .options(defer(AnalysisResult.results))
        .where(AnalysisResult.analysis_type == analysis_type)
        .order_by(AnalysisResult.id.desc())
        .limit(MAX_RESULTS_SCANNED)
    )
    newest: tuple[AnalysisResult | None, list[str]] = (None, [])
    for record in session.scalars(query):
        filters = _filters(analysis_type, record.parameters or {})
        if not filters:
            return record, []
        if newest[0] is None:
            newest = (record, filters)
    return newest


def _metric(analysis_type: str, results: dict[str, Any]) -> float | None:
    if analysis_type == "pd":
        value = ((results.get("discrimination") or {}).get("gini") or {}).get("value")
    elif analysis_type == "lgd":
        value = (results.get("metrics") or {}).get("R-squared")
    elif analysis_type == "ead":
        value = (results.get("metrics") or {}).get("MAPE")
    else:
        value = _macro_r_squared(results)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _macro_r_squared(results: dict[str, Any]) -> float | None:
    """Return the R-squared of the prediction the macro page shows: the file's fitted column, else the regression."""
    performance = results.get("performance_metrics") or {}
    for part in ("supplied_fitted", "model"):
        section = performance.get(part) or {}
        sample = section.get("full_sample") or section.get("in_sample") or {}
        value = (sample.get("original") or {}).get("r_squared")
        if value is not None:
            return value
    return None


def _auc_series(session: Session) -> list[dict[str, Any]]:
    record, _ = _latest_preferring_whole(session, "pd")
    if record is not None:
        trend = [entry for entry in ((record.results or {}).get("discrimination") or {}).get("trend") or []
                 if entry.get("auc") is not None]
        if len(trend) >= 2:
            return [{"date": str(entry["snapshot"]), "value": entry["auc"]}
                    for entry in sorted(trend, key=lambda entry: str(entry["snapshot"]))]
    latest_per_dataset = (
        sa.select(sa.func.max(AnalysisResult.id))
        .where(AnalysisResult.analysis_type == "pd", AnalysisResult.dataset_id.is_not(None))
        .group_by(AnalysisResult.dataset_id)
    )
    rows = session.execute(
        sa.select(AnalysisResult, Dataset.created_at)
        .join(Dataset, Dataset.id == AnalysisResult.dataset_id)
        .where(AnalysisResult.id.in_(latest_per_dataset))
        .order_by(Dataset.created_at, Dataset.id)
    ).all()
    series = []
    for result, uploaded in rows:
        auc = (((result.results or {}).get("discrimination") or {}).get("auc") or {}).get("value")
        if isinstance(auc, (int, float)):
            series.append({"date": f"{uploaded:%Y-%m-%d %H:%M}", "value": auc})
    return series
