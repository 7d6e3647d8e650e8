"""CSI and information value of every feature of a PD dataset.

Numeric features are binned on the reference quantiles for CSI and on the
current quantiles for IV; categorical features use their levels, with levels
seen only in the current period kept as bins of their own. Missing values are
always a bin of their own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mmt.analyses.common import grouped_warnings
from mmt.engine.base import Selection
from mmt.stats import NotComputable
from mmt.stats.binning import MISSING_LABEL, bin_labels
from mmt.stats.stability import calculate_csi
from mmt.stats.woe import calculate_woe
from mmt.thresholds import status_lower_is_better

FLAG = "default_flag"
# Categorical features with more levels than this keep the most frequent ones
# and pool the rest, so that a free-text column does not produce a huge table.
MAX_LEVELS = 50


def feature_stability_and_importance(inputs: Any, statuses: list, warnings: list) -> dict[str, Any]:
    """Compute CSI (when there is a reference) and IV/WOE for every feature.

    Returns
    -------
    dict
        ``stability``: feature -> CSI result; ``importance``: list of IV
        results, strongest first.
    """
    stability: dict[str, Any] = {}
    importance: list[dict[str, Any]] = []
    for feature in inputs.features:
        kind = inputs.feature_kinds.get(feature, "numeric")
        if inputs.reference is not None:
            stability[feature] = _feature_csi(inputs, feature, kind, statuses, warnings)
        if inputs.include_variable_importance:
            importance.append(_feature_iv(inputs, feature, kind, warnings))
    importance.sort(key=lambda entry: -(entry.get("iv") if entry.get("iv") is not None else -1.0))
    return {"stability": stability, "importance": importance}


def _quantile_edges(inputs: Any, selection: Selection, feature: str) -> np.ndarray:
    probabilities = [index / inputs.n_bins for index in range(1, inputs.n_bins)]
    quantiles = np.asarray(inputs.engine.quantiles(selection, feature, probabilities), dtype=float)
    # When more than a bin's share of a feature is -inf or +inf, some quantiles are infinite, or NaN where the
    # interpolation meets inf - inf. They are dropped because infinite values fall in the first or last bin anyway.
    return np.unique(quantiles[np.isfinite(quantiles)])


def _numeric_counts(inputs: Any, selection: Selection, feature: str, edges: np.ndarray, flag: str | None) -> dict[str, np.ndarray]:
    size = len(edges) + 2
    aggregates = inputs.engine.numeric_bin_counts(selection, feature, edges, flag=flag)
    names = ["observations"] + (["events", "non_events"] if flag else [])
    out = {name: np.zeros(size, dtype=float) for name in names}
    for row, code in enumerate(aggregates["bin"]):
        position = size - 1 if int(code) < 0 else int(code)
        for name in names:
            out[name][position] += float(aggregates[name][row])
    return out


def _level_table(aggregates: Any, names: list[str]) -> dict[Any, dict[str, float]]:
    table: dict[Any, dict[str, float]] = {}
    for row, level in enumerate(aggregates["level"]):
        key = None if level is None else str(level)
        table[key] = {name: float(aggregates[name][row]) for name in names}
    return table


def _ordered_levels(reference: dict, current: dict) -> tuple[list[Any], list[bool]]:
    reference_levels = sorted((level for level in reference if level is not None), key=lambda level: (-reference[level]["observations"], level))
    unseen = sorted((level for level in current if level is not None and level not in reference), key=lambda level: (-current[level]["observations"], level))
    levels = reference_levels + unseen
    return levels, [False] * len(reference_levels) + [True] * len(unseen)


def _feature_csi(inputs: Any, feature: str, kind: str, statuses: list, warnings: list) -> dict[str, Any]:
    engine = inputs.engine
    thresholds = inputs.thresholds
    if kind == "numeric":
        edges = _quantile_edges(inputs, inputs.reference, feature)
        labels = list(bin_labels(edges))
        reference = _numeric_counts(inputs, inputs.reference, feature, edges, None)["observations"]
        current = _numeric_counts(inputs, inputs.current, feature, edges, None)["observations"]
        unseen_levels: list[str] = []
        binning = {"kind": "numeric", "edges": edges.tolist(), "method": "reference quantiles, right-closed"}
    else:
        reference_table = _level_table(engine.level_counts(inputs.reference, feature), ["observations"])
        current_table = _level_table(engine.level_counts(inputs.current, feature), ["observations"])
        levels, unseen = _ordered_levels(reference_table, current_table)
        labels = [str(level) for level in levels] + [MISSING_LABEL]
        reference = np.array([reference_table.get(level, {}).get("observations", 0.0) for level in levels] +
                             [reference_table.get(None, {}).get("observations", 0.0)])
        current = np.array([current_table.get(level, {}).get("observations", 0.0) for level in levels] +
                           [current_table.get(None, {}).get("observations", 0.0)])
        unseen_levels = [str(level) for level, flag in zip(levels, unseen) if flag]
        binning = {"kind": "categorical", "method": "levels"}
    try:
        result = calculate_csi(reference, current, labels)
    except NotComputable as error:
        statuses.append({"metric": f"stability.csi[{feature}]", "value": None, "status": None, "reason": error.reason})
        return {"value": None, "status": error.status, "reason": error.reason}
    status = status_lower_is_better(result.statistic, thresholds["csi_threshold"], thresholds["csi_red_threshold"])
    statuses.append({"metric": f"stability.csi[{feature}]", "value": result.statistic, "status": status})
    entry = {**result.to_dict(), "value": result.statistic, "status": status, "binning": binning}
    warnings.extend(grouped_warnings("psi_floor", f"Feature {feature}", result.warnings, feature=feature))
    if unseen_levels:
        entry["unseen_levels"] = unseen_levels
        warnings.append({"code": "unseen_levels", "message": f"Feature {feature}: levels not seen in the reference period: "
                         + ", ".join(unseen_levels[:10]) + ("..." if len(unseen_levels) > 10 else ""),
                         "details": {"feature": feature, "levels": unseen_levels[:100]}})
    return entry


def _feature_iv(inputs: Any, feature: str, kind: str, warnings: list) -> dict[str, Any]:
    engine = inputs.engine
    if kind == "numeric":
        edges = _quantile_edges(inputs, inputs.current, feature)
        labels = list(bin_labels(edges))
        counts = _numeric_counts(inputs, inputs.current, feature, edges, FLAG)
        events, non_events = counts["events"], counts["non_events"]
        binning: dict[str, Any] = {"kind": "numeric", "edges": edges.tolist(), "method": "current quantiles, right-closed"}
    else:
        table = _level_table(engine.level_counts(inputs.current, feature, flag=FLAG), ["observations", "events", "non_events"])
        levels = sorted((level for level in table if level is not None), key=lambda level: (-table[level]["observations"], level))
        pooled = levels[MAX_LEVELS:]
        levels = levels[:MAX_LEVELS]
        labels = [str(level) for level in levels]
        events = [table[level]["events"] for level in levels]
        non_events = [table[level]["non_events"] for level in levels]
        if pooled:
            labels.append(f"Other ({len(pooled)} levels)")
            events.append(sum(table[level]["events"] for level in pooled))
            non_events.append(sum(table[level]["non_events"] for level in pooled))
        labels.append(MISSING_LABEL)
        events.append(table.get(None, {}).get("events", 0.0))
        non_events.append(table.get(None, {}).get("non_events", 0.0))
        events, non_events = np.asarray(events, dtype=float), np.asarray(non_events, dtype=float)
        binning = {"kind": "categorical", "method": "levels", "pooled_levels": len(pooled)}
    try:
        result = calculate_woe(events, non_events, labels, name=feature)
    except NotComputable as error:
        return {"feature": feature, "kind": kind, "iv": None, "status": error.status, "reason": error.reason}
    entry = {"feature": feature, "kind": kind, **result.to_dict(), "binning": binning}
    entry["iv"] = result.iv
    warnings.extend(grouped_warnings("woe_pure_bin", f"WOE of feature {feature}", result.warnings, feature=feature))
    return entry
