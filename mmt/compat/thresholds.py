"""The User Inputs page: ``GET`` and ``POST /api/user-thresholds``.

The page keeps three criteria lists, each entry ``{metric, threshold,
description}``: ``pdCriteria`` (the PD page reads "Gini Coefficient" and
"KS Statistic"), ``macroThresholds`` and ``eadThresholds`` (the EAD page
reads "MAPE" in percent and "R-squared"). All three are stored in the
``settings`` table and survive restarts. Until a list is saved, it defaults
to MMT's thresholds in force (``/api/thresholds``), so the pages' pass/fail
agrees with the green status of stored results. Saving a list does not
change those typed thresholds.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from mmt.errors import ValidationError
from mmt.services.thresholds import current_thresholds
from mmt.storage.models import Setting

LIST_NAMES = ("pdCriteria", "macroThresholds", "eadThresholds")
SETTING_PREFIX = "original_frontend."
MAX_CRITERIA = 100
MAX_TEXT = 500


def default_criteria(thresholds: dict[str, float]) -> dict[str, list[dict[str, Any]]]:
    """Return the three lists built from the thresholds in force."""
    return {
        "pdCriteria": [
            {"metric": "Gini Coefficient", "threshold": thresholds["gini_threshold"],
             "description": "Minimum Gini (2 AUC - 1) of the PD ranking."},
            {"metric": "KS Statistic", "threshold": thresholds["ks_threshold"],
             "description": "Minimum Kolmogorov-Smirnov distance between defaulters and non-defaulters."},
            {"metric": "PSI", "threshold": thresholds["psi_threshold"],
             "description": "Maximum population stability index against the baseline."},
        ],
        "macroThresholds": [
            {"metric": "R-squared", "threshold": thresholds["r2_threshold"],
             "description": "Minimum R-squared of the macro model."},
            {"metric": "P-value", "threshold": thresholds["significance_level"],
             "description": "Significance level of the statistical tests."},
        ],
        "eadThresholds": [
            {"metric": "MAPE", "threshold": thresholds["ead_mape_threshold"],
             "description": "Maximum mean absolute percentage error of EAD, in percent."},
            {"metric": "R-squared", "threshold": thresholds["ead_r2_threshold"],
             "description": "Minimum R-squared of predicted against realised EAD."},
        ],
    }


def load_criteria(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Return the three lists: the saved ones, and defaults for those never saved."""
    lists = default_criteria(current_thresholds(session))
    for name in LIST_NAMES:
        stored = session.get(Setting, SETTING_PREFIX + name)
        if stored is not None and isinstance(stored.value, list):
            lists[name] = stored.value
    return lists


def save_criteria(session: Session, payload: Any) -> dict[str, list[dict[str, Any]]]:
    """Validate and store the lists present in ``payload``, then return all three lists.

    Raises
    ------
    mmt.errors.ValidationError
        (400) for a body that is not an object of known lists, or an entry
        without a metric name or a finite threshold.
    """
    lists = validate_criteria(payload)
    for name, criteria in lists.items():
        stored = session.get(Setting, SETTING_PREFIX + name)
        if stored is None:
            session.add(Setting(key=SETTING_PREFIX + name, value=criteria))
        else:
            stored.value = criteria
    session.flush()
    return load_criteria(session)


def validate_criteria(payload: Any) -> dict[str, list[dict[str, Any]]]:
    """Check the lists of a save request and return them cleaned (thresholds as floats)."""
    if not isinstance(payload, dict) or not any(name in payload for name in LIST_NAMES):
        raise ValidationError(
            "Send a JSON object with at least one of the lists pdCriteria, macroThresholds and eadThresholds.",
            code="invalid_criteria", status=400, details={"accepted_keys": list(LIST_NAMES)},
        )
    unknown = sorted(key for key in payload if key not in LIST_NAMES)
    if unknown:
        raise ValidationError(
            f"Unknown keys: {', '.join(unknown)}. Accepted: {', '.join(LIST_NAMES)}.",
            code="invalid_criteria", status=400, details={"unknown_keys": unknown},
        )
    return {name: _criteria_list(name, payload[name]) for name in LIST_NAMES if name in payload}


def _criteria_list(name: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValidationError(f"{name} must be a list of {{metric, threshold, description}} objects.",
                              code="invalid_criteria", status=400, details={"list": name})
    if len(value) > MAX_CRITERIA:
        raise ValidationError(f"{name} has {len(value)} entries; at most {MAX_CRITERIA} are accepted.",
                              code="invalid_criteria", status=400, details={"list": name})
    cleaned = []
    seen = set()
    for position, entry in enumerate(value):
        where = f"{name}[{position}]"
        if not isinstance(entry, dict):
            raise ValidationError(f"{where} must be an object with metric, threshold and description.",
                                  code="invalid_criteria", status=400, details={"entry": where})
        metric = entry.get("metric")
        if not isinstance(metric, str) or not metric.strip() or len(metric) > MAX_TEXT:
            raise ValidationError(f"{where}.metric must be a non-empty text of at most {MAX_TEXT} characters.",
                                  code="invalid_criteria", status=400, details={"entry": where})
        if metric in seen:
            raise ValidationError(f"{where}: metric {metric!r} appears twice in {name}.",
                                  code="invalid_criteria", status=400, details={"entry": where, "metric": metric})
        seen.add(metric)
        description = entry.get("description", "")
        if description is None:
            description = ""
        if not isinstance(description, str) or len(description) > MAX_TEXT:
            raise ValidationError(f"{where}.description must be a text of at most {MAX_TEXT} characters.",
                                  code="invalid_criteria", status=400, details={"entry": where})
        cleaned.append({"metric": metric, "threshold": _threshold(entry.get("threshold"), where),
                        "description": description})
    return cleaned


def _threshold(raw: Any, where: str) -> float:
    # The page's text fields may send a number typed as text, such as "0.25".
    value: float | None = None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            value = None
    if value is None or not math.isfinite(value):
        raise ValidationError(f"{where}.threshold must be a finite number; got {raw!r}.",
                              code="invalid_criteria", status=400, details={"entry": where, "threshold": str(raw)})
    return value
