"""CSI and information value of every feature of a PD dataset.

Numeric features are binned on the reference quantiles for CSI and on the
current quantiles for IV; categorical features use their levels, with levels
seen only in the current period kept as bins of their own. Missing values are
always a bin of their own.

The quantiles are those of the finite values, as in the stability and WOE
analyses, so that the three agree on a column with -inf or +inf. Infinite
values are still counted, in the first or last bin.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from mmt.analyses.common import grouped_warnings
from mmt.engine.base import Grouping, Selection
from mmt.engine.exact import interpolate, quantile_ranks
from mmt.stats import NotComputable
from mmt.stats.binning import MISSING_LABEL, bin_labels
from mmt.stats.stability import calculate_csi
from mmt.stats.woe import calculate_woe
from mmt.thresholds import status_lower_is_better

FLAG = "default_flag"
# Categorical features with more levels than this keep the most frequent ones
# and pool the rest, so that a free-text column does not produce a huge table.
MAX_LEVELS = 50
# Right-closed bins on these cut points give code 0 for -inf and -max_float,
# code 1 for the other finite values and code 2 for +inf alone.
FINITE_RANGE = (-sys.float_info.max, sys.float_info.max)
# Ranks probed per query while looking for the end of the -inf values.
_PROBES = 32


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


def finite_range_groupings(features: Sequence[str]) -> list[Grouping]:
    """Return the groupings whose counts :func:`feature_quantile_edges` reads, for a prefetch."""
    return [Grouping(f"finite:{name}", name, FINITE_RANGE) for name in features]


def feature_quantile_edges(inputs: Any, selection: Selection, features: Sequence[str]) -> dict[str, np.ndarray]:
    """Return the distinct quantile cut points of the finite values of each feature.

    The quantiles are NumPy's linear ones, taken from the engine's order
    statistics over the ranks of the finite values, so they equal
    :func:`numpy.quantile` of the finite values as the stability and WOE
    analyses compute it. Results are kept in ``inputs.feature_edges``. An
    engine without sorted columns (Spark) takes a pass for the infinity
    counts and one for the order statistics of all ``features``.
    """
    probabilities = [index / inputs.n_bins for index in range(1, inputs.n_bins)]
    uncached = [name for name in dict.fromkeys(features) if (selection, name) not in inputs.feature_edges]
    if uncached:
        spans = {name: _finite_span(inputs.engine, selection, name) for name in uncached}
        found = _finite_quantiles(inputs.engine, selection, spans, probabilities)
        for name in uncached:
            inputs.feature_edges[(selection, name)] = found[name]
    return {name: inputs.feature_edges[(selection, name)] for name in features}


def _finite_span(engine: Any, selection: Selection, feature: str) -> tuple[int, int, int]:
    """Return the present-value count, the count at or below -max_float and the +inf count."""
    aggregates = engine.numeric_bin_counts(selection, feature, FINITE_RANGE)
    counts = dict.fromkeys((0, 1, 2), 0)
    for code, observations in zip(aggregates["bin"], aggregates["observations"]):
        if int(code) >= 0:
            counts[int(code)] += int(observations)
    return counts[0] + counts[1] + counts[2], counts[0], counts[2]


def _finite_quantiles(engine: Any, selection: Selection, spans: dict[str, tuple[int, int, int]],
                      probabilities: list[float]) -> dict[str, np.ndarray]:
    # The values at or below -max_float are nearly always all -inf. That guess is checked with the value at
    # the last of their ranks, asked in the same query as the quantiles, and corrected by a search otherwise.
    negatives = {name: low for name, (_, low, _) in spans.items()}
    checks = {name: [negatives[name] - 1] if negatives[name] else [] for name in spans}
    found = _order_statistics(engine, selection, spans, negatives, probabilities, checks)
    wrong = [name for name in spans if negatives[name] and found[name][1][0] != -np.inf]
    if wrong:
        for name in wrong:
            negatives[name] = _count_negative_infinity(engine, selection, name, spans[name])
        found.update(_order_statistics(engine, selection, {name: spans[name] for name in wrong}, negatives,
                                       probabilities, {name: [] for name in wrong}))
    return {name: found[name][0] for name in spans}


def _order_statistics(engine: Any, selection: Selection, spans: dict[str, tuple[int, int, int]],
                      negatives: dict[str, int], probabilities: list[float],
                      checks: dict[str, list[int]]) -> dict[str, tuple[np.ndarray, list[float]]]:
    """Return each feature's finite quantiles and the values at its ``checks`` ranks, in one query."""
    plans: dict[str, list[tuple[int, int, float]]] = {}
    ranks: dict[str, list[int]] = {}
    for name, (present, _, positives) in spans.items():
        finite = present - negatives[name] - positives
        plans[name] = quantile_ranks(finite, probabilities)
        shift = negatives[name]
        ranks[name] = [shift + rank for lower, upper, _ in plans[name] for rank in (lower, upper)] + checks[name]
    counts = {name: span[0] for name, span in spans.items()}
    values = engine.order_statistics(selection, {name: found for name, found in ranks.items() if found}, counts)
    out: dict[str, tuple[np.ndarray, list[float]]] = {}
    for name, plan in plans.items():
        row = values.get(name, [])
        quantiles = [interpolate(row[2 * index], row[2 * index + 1], gamma) for index, (_, _, gamma) in enumerate(plan)]
        out[name] = (np.unique(np.asarray(quantiles, dtype=float)), list(row[2 * len(plan):]))
    return out


def _count_negative_infinity(engine: Any, selection: Selection, feature: str, span: tuple[int, int, int]) -> int:
    """Find how many of the lowest values are -inf when some values equal -max_float."""
    present, low, _ = span
    # Invariant: the values at ranks below ``start`` are -inf, and the value at rank ``end`` is -max_float (or ``end`` is ``low``).
    start, end = 0, low - 1
    while start < end:
        step = max(1, (end - start) // _PROBES)
        probes = list(range(start, end, step))
        row = engine.order_statistics(selection, {feature: probes}, {feature: present})[feature]
        above = [rank for rank, value in zip(probes, row) if value != -np.inf]
        below = [rank for rank, value in zip(probes, row) if value == -np.inf]
        if below:
            start = max(below) + 1
        if above:
            end = min(above)
    return start


def _quantile_edges(inputs: Any, selection: Selection, feature: str) -> np.ndarray:
    return feature_quantile_edges(inputs, selection, [feature])[feature]


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
