"""Reading and changing the thresholds in force, with a history of changes."""

from __future__ import annotations

import difflib
import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mmt.errors import ValidationError
from mmt.storage.db import lock_for_writing
from mmt.storage.models import ThresholdChange, UserThreshold
from mmt.thresholds import DEFAULTS, SPECS, SPECS_BY_KEY

# Pairs (amber, red) whose order must hold after a change.
ORDERED_PAIRS_HIGHER_IS_BETTER = (
    ("auc_threshold", "auc_red_threshold"),
    ("gini_threshold", "gini_red_threshold"),
    ("ks_threshold", "ks_red_threshold"),
    ("pvalue_amber", "pvalue_red"),
    ("lgd_gauc_threshold", "lgd_gauc_red_threshold"),
    ("ccf_gauc_threshold", "ccf_gauc_red_threshold"),
)
ORDERED_PAIRS_LOWER_IS_BETTER = (
    ("psi_threshold", "psi_red_threshold"),
    ("csi_threshold", "csi_red_threshold"),
    ("vif_threshold", "vif_red_threshold"),
    ("ead_ratio_threshold", "ead_ratio_red_threshold"),
    ("durbin_watson_lower", "durbin_watson_upper"),
)


def current_thresholds(session: Session) -> dict[str, float]:
    """Return every threshold key with the value in force."""
    values = dict(DEFAULTS)
    for row in session.scalars(sa.select(UserThreshold)):
        if row.key in values:
            values[row.key] = row.value
    return values


def _with_suggestions(unknown: list[str]) -> list[str]:
    """Add the closest accepted key to each unknown one, so that a misspelt key shows its fix."""
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(str(key), list(SPECS_BY_KEY), n=1)
        hints.append(f"{key} (did you mean {close[0]}?)" if close else str(key))
    return hints


def validate_changes(payload: Any) -> dict[str, float]:
    """Check keys, types and ranges of a threshold change request."""
    if not isinstance(payload, dict) or not payload:
        raise ValidationError(
            "Send a JSON object of threshold keys and numbers, e.g. {\"auc_threshold\": 0.75}.",
            code="invalid_thresholds",
            status=400,
            details={"accepted_keys": sorted(SPECS_BY_KEY)},
        )
    unknown = sorted(key for key in payload if key not in SPECS_BY_KEY)
    if unknown:
        raise ValidationError(
            f"Unknown threshold keys: {', '.join(_with_suggestions(unknown))}. "
            f"Accepted keys: {', '.join(sorted(SPECS_BY_KEY))}.",
            code="unknown_threshold",
            status=400,
            details={"unknown_keys": unknown, "accepted_keys": sorted(SPECS_BY_KEY)},
        )
    changes: dict[str, float] = {}
    errors = []
    for key, raw in payload.items():
        spec = SPECS_BY_KEY[key]
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(float(raw)):
            errors.append({"key": key, "value": raw if isinstance(raw, (int, float, str, bool)) or raw is None else str(raw),
                           "message": "must be a finite number"})
            continue
        value = float(raw)
        if not spec.minimum <= value <= spec.maximum:
            errors.append({"key": key, "value": value, "message": f"must be between {spec.minimum} and {spec.maximum}"})
            continue
        changes[key] = value
    if errors:
        first = errors[0]
        raise ValidationError(
            f"Invalid threshold {first['key']}={first['value']!r}: {first['message']}.",
            code="invalid_threshold",
            status=400,
            details={"errors": errors},
        )
    return changes


def _check_order(values: dict[str, float]) -> None:
    for amber, red in ORDERED_PAIRS_HIGHER_IS_BETTER:
        if values[red] > values[amber]:
            raise ValidationError(
                f"{red} ({values[red]}) must not be above {amber} ({values[amber]}).",
                code="inconsistent_thresholds", status=400, details={amber: values[amber], red: values[red]},
            )
    for amber, red in ORDERED_PAIRS_LOWER_IS_BETTER:
        if values[red] < values[amber]:
            raise ValidationError(
                f"{red} ({values[red]}) must not be below {amber} ({values[amber]}).",
                code="inconsistent_thresholds", status=400, details={amber: values[amber], red: values[red]},
            )


# Pairs of AUC and Gini threshold keys. Gini = 2 AUC - 1, so each pair must describe the same band.
EQUIVALENT_BANDS = (
    ("auc_threshold", "gini_threshold"),
    ("auc_red_threshold", "gini_red_threshold"),
)


def threshold_warnings(values: dict[str, float]) -> list[dict[str, Any]]:
    """Name the AUC and Gini bands that disagree, since Gini = 2 AUC - 1 for the same model.

    With disagreeing bands one model gets two colours, e.g. AUC green and
    Gini amber, which a committee reads as two findings. The change is kept,
    and the warning gives the value that would match.
    """
    warnings = []
    for auc_key, gini_key in EQUIVALENT_BANDS:
        auc, gini = values[auc_key], values[gini_key]
        if not math.isclose(2 * auc - 1, gini, abs_tol=1e-9):
            message = (
                f"{auc_key} {auc:g} and {gini_key} {gini:g} disagree: Gini = 2 AUC - 1, so AUC {auc:g} is "
                f"Gini {2 * auc - 1:g}, and a model between the two gets different colours for AUC and Gini. "
                f"Set {gini_key} to {2 * auc - 1:g} or {auc_key} to {(gini + 1) / 2:g} to make them agree."
            )
            warnings.append({"code": "auc_gini_bands_disagree", "message": message,
                             # Rounded so that 2 * 0.7 - 1 reads 0.4, not 0.3999999999999999.
                             "details": {auc_key: auc, gini_key: gini, "matching_gini": round(2 * auc - 1, 12),
                                         "matching_auc": round((gini + 1) / 2, 12)}})
    return warnings


def save_thresholds(session: Session, payload: Any, changed_by: str | None = None) -> tuple[dict[str, float], dict[str, dict]]:
    """Validate and store threshold changes; return the values in force and what changed."""
    changes = validate_changes(payload)
    # Serialise concurrent changes: the pair checks and the history's old values must see committed values.
    lock_for_writing(session, 734501)
    values = current_thresholds(session)
    merged = {**values, **changes}
    _check_order(merged)
    changed: dict[str, dict] = {}
    for key, value in changes.items():
        old = values[key]
        if old == value:
            continue
        row = session.get(UserThreshold, key)
        if row is None:
            session.add(UserThreshold(key=key, value=value))
        else:
            row.value = value
        session.add(ThresholdChange(key=key, old_value=old, new_value=value, changed_by=changed_by))
        changed[key] = {"old": old, "new": value}
    return merged, changed


def threshold_history(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """Return the latest threshold changes, newest first."""
    rows = session.scalars(sa.select(ThresholdChange).order_by(ThresholdChange.id.desc()).limit(limit))
    return [
        {"id": row.id, "key": row.key, "old_value": row.old_value, "new_value": row.new_value,
         "changed_by": row.changed_by, "changed_at": row.changed_at.isoformat()}
        for row in rows
    ]


def threshold_specs() -> list[dict[str, Any]]:
    """Describe every key: default, range, meaning and group."""
    return [
        {"key": spec.key, "default": spec.default, "minimum": spec.minimum, "maximum": spec.maximum,
         "description": spec.description, "group": spec.group}
        for spec in SPECS
    ]
