"""Weight of evidence (WOE) and information value (IV) of the columns of a dataset.

The analysis takes the same PD datasets as ``POST /api/analyze/pd``, so it is
the variable assessment of a PD model run on its own, with more control over
the bins. The target is the 0/1 column ``target`` (``default_flag`` by
default). Rows with a missing target are left out and counted; any other
value than 0 and 1 is an error.

Bins of numeric columns
    ``quantile`` and ``equal_width`` place ``n_bins`` bins on the selected rows,
    ``user`` uses ``cut_points`` (a column with cut points uses them whatever
    the method). These bins are right-closed by default (``closed``).
    ``optimal`` takes from optbinning the bins that maximise the IV under
    ``monotonic_trend`` and ``max_n_bins``. Those bins are left-closed.
    The returned ``parameters`` record the closed side that the bins used in
    ``closed``, which is ``"mixed"`` when optimal bins and cut points of the
    other side meet in one run, and the side of each numeric column in
    ``closed_by_column``. ``n_bins`` is null when no column had quantile or
    equal-width bins.
Bins of other columns
    One bin per level (grades of the rating column in master-scale order),
    levels beyond the ``max_levels`` most frequent pooled in one "Other" bin;
    ``optimal`` asks optbinning to group the levels.
Special and missing values
    Each special value of a numeric column and the missing values have bins of
    their own; the Missing bin is always listed, even when empty.
Pure bins
    A bin with no events or no non-events has an infinite WOE. Its zero count
    is replaced by ``adjustment`` (0.5 by default) with the column totals
    unchanged, so every other bin keeps its exact WOE; the bin is flagged
    ``pure`` and named in a warning. ``iv`` includes the adjusted bins and
    ``iv_exact`` leaves them out. An empty bin has no WOE and adds 0.
Sign and strength
    ``WOE = ln(%event / %non-event)``: positive marks a bin riskier than
    average, the opposite sign of optbinning and Siddiqi. Strength bands of
    the IV follow Siddiqi ("Credit Risk Scorecards", 2006). The bands are
    informative, so the summary status is ``None``, except ``"amber"`` for a
    "suspicious" IV of 0.5 or more, which calls for a check of leakage of the
    outcome into the column.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

import numpy as np
import pydantic
from pydantic import ConfigDict, Field

from mmt.analyses.bin_counts import (
    ALL_ROWS,
    binned_counts,
    column_kinds,
    distinct_values,
    fetch_column,
    level_counts,
    numeric_quantiles,
    numeric_range,
    prefetch_binned_counts,
    prefetch_quantiles,
    prefetched,
    read_schema,
    special_values_for,
    target_summary,
)
from mmt.analyses.periods import PeriodOption, find_period_column, match_periods, period_label, requested_periods
from mmt.analyses.stability import GRADE_COLUMNS, MODEL_OUTPUT_COLUMNS, default_columns, level_key
from mmt.engine.base import Selection
from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable
from mmt.stats.binning import MISSING_LABEL, BinningSpec, equal_width_edges, optimal_binning, user_edges
from mmt.stats.master_scale import resolve_grade_order
from mmt.stats.woe import DEFAULT_ADJUSTMENT, WOE_CONVENTION, WOEResult, calculate_woe

__all__ = ["WOEOptions", "analyze_woe", "pure_bin_rule"]

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
MonotonicTrend = Literal[
    "auto", "auto_heuristic", "auto_asc_desc", "ascending", "descending", "concave", "convex", "peak", "valley",
]

SUSPICIOUS = "suspicious"


class WOEOptions(pydantic.BaseModel):
    """Options of the WOE/IV analysis."""

    model_config = ConfigDict(extra="forbid")

    columns: list[str] | None = Field(
        default=None, min_length=1,
        description="Columns to bin. Default: every feature, that is every column except identifiers, outcomes, "
                    "periods, dates and the model outputs (pd, score, rating).",
    )
    target: str = Field(default="default_flag", description="0/1 column, 1 for an event (default).")
    method: Literal["quantile", "equal_width", "user", "optimal"] = Field(
        default="quantile", description="How to bin numeric columns. 'optimal' also groups the levels of text columns.")
    n_bins: int = Field(default=10, ge=2, le=100, description="Number of quantile or equal-width bins.")
    cut_points: dict[str, list[FiniteFloat]] | None = Field(
        default=None, description="Cut points per numeric column. A column listed here uses them whatever the method.")
    closed: Literal["right", "left"] = Field(
        default="right", description="Closed side of quantile, equal-width and user bins. Optimal bins are "
                                     "left-closed, and the stored parameters record the side the bins used.")
    monotonic_trend: MonotonicTrend | None = Field(
        default="auto", description="Trend of the event rate over optimal bins, passed to optbinning, or null for none.")
    max_n_bins: int | None = Field(default=None, ge=2, le=100,
                                   description="Maximum number of optimal bins, without special and Missing bins.")
    special_values: list[FiniteFloat] | dict[str, list[FiniteFloat]] | None = Field(
        default=None, description="Numeric values with a bin of their own, such as -999: one list for every "
                                  "numeric column, or a list per column.")
    adjustment: float = Field(default=DEFAULT_ADJUSTMENT, gt=0, allow_inf_nan=False,
                              description="Count used in place of the zero count of a pure bin.")
    categorical_columns: list[str] | None = Field(
        default=None, description="Numeric columns to bin by level, such as grade codes.")
    grade_order: list[str] | None = Field(default=None, description="Grades of the rating column best first.")
    max_levels: int = Field(default=50, ge=2, le=10_000,
                            description="Levels beyond this many most frequent ones are pooled in one bin.")
    period_column: str | None = Field(default=None, description="Column of the periods named in periods.")
    periods: PeriodOption = Field(default=None, description="Use only the rows of these periods. Default: all rows.")


def pure_bin_rule(adjustment: float) -> str:
    """Return the plain statement of how pure bins are treated."""
    return (
        f"A bin with no events or no non-events uses {adjustment:g} in place of its zero count, with the column "
        "totals unchanged, so other bins keep their exact WOE; it is flagged pure, iv includes it and iv_exact "
        "leaves it out."
    )


def _warning(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details}


def analyze_woe(path: Any, options: WOEOptions | dict[str, Any] | None,
                thresholds: dict[str, float] | None = None) -> dict[str, Any]:
    """Bin the columns of a dataset and compute their WOE and IV against the target.

    Parameters
    ----------
    path : Path
        Parquet copy of the dataset.
    options : WOEOptions or dict or None
    thresholds : dict or None
        Unused: IV bands are fixed conventions. Accepted so that every
        analysis has the same signature.

    Returns
    -------
    dict
        ``columns`` (per column: bins with counts, event rate, WOE, IV
        contribution and flags, ``iv``, ``iv_exact``, ``strength``,
        ``woe_convention``, ``chart``), ``ranking`` by IV, ``summary_statuses``,
        ``counts``, ``warnings`` and ``parameters``, all strict JSON values.

    Raises
    ------
    ValidationError
        Missing columns, a target with values other than 0 and 1, unknown
        periods or bad cut points (422).
    """
    if not isinstance(options, WOEOptions):
        options = WOEOptions.model_validate(options or {})
    kinds = column_kinds(read_schema(path))
    warnings: list[dict[str, Any]] = []
    selection, period_column, chosen_periods = _rows(path, kinds, options)
    counts = _check_target(selection, options.target, kinds, warnings)
    selection = selection.with_not_null(options.target)
    columns = _choose_columns(options, kinds, period_column)
    column_kind = {column: _column_kind(column, kinds, options) for column in columns}
    _check_cut_points(options, columns, column_kind)

    results: dict[str, Any] = {}
    with prefetched():
        _prefetch_quantile_bins(selection, [column for column in columns if column_kind[column] == "numeric"], options)
        for column in columns:
            entry = _woe_column(selection, column, column_kind[column], kinds[column], options)
            results[column] = entry
            warnings.extend({**item, "details": {**item["details"], "column": column}} for item in entry["warnings"])

    ranking = sorted(
        ({"column": column, "iv": entry["iv"], "iv_exact": entry.get("iv_exact"), "strength": entry.get("strength"),
          "status": entry["status"]} for column, entry in results.items()),
        key=lambda item: (item["iv"] is None, -(item["iv"] or 0.0), item["column"]),
    )
    statuses = [{"metric": f"woe.iv[{item['column']}]", "value": item["iv"], "status": item["status"],
                 "band": item["strength"]} for item in ranking]
    parameters = options.model_dump(exclude_none=True)
    closed, closed_by_column = _closed_sides(results, options)
    parameters.update(columns=columns, kinds=column_kind, closed=closed, closed_by_column=closed_by_column,
                      n_bins=options.n_bins if _uses_n_bins(results) else None,
                      period_column=period_column, periods=chosen_periods)
    return to_jsonable({
        "columns": {item["column"]: results[item["column"]] for item in ranking},
        "ranking": ranking,
        "target": options.target,
        "woe_convention": WOE_CONVENTION,
        "pure_bin_rule": pure_bin_rule(options.adjustment),
        "counts": counts,
        "summary_statuses": statuses,
        "warnings": warnings,
        "parameters": parameters,
    })


def _closed_sides(results: dict[str, Any], options: WOEOptions) -> tuple[str, dict[str, str]]:
    """Return the closed side of the run's interval bins, ``"mixed"`` when sides differ, and the side per column.

    Optimal bins are left-closed whatever the value of the option ``closed``, while a column with cut points
    follows that option. The option alone can therefore misstate the bins of the run.
    """
    sides = {column: entry["binning"]["closed"] for column, entry in results.items()
             if (entry.get("binning") or {}).get("kind") == "numeric"}
    if not sides:
        return ("left" if options.method == "optimal" else options.closed), sides
    distinct = set(sides.values())
    return (distinct.pop() if len(distinct) == 1 else "mixed"), sides


def _uses_n_bins(results: dict[str, Any]) -> bool:
    """Return whether ``n_bins`` decided the bins of a column, that is one had quantile or equal-width bins."""
    return any((entry.get("binning") or {}).get("method") in ("quantile", "equal_width") for entry in results.values())


# --- rows, target and columns ---


def _rows(path: Any, kinds: dict[str, str], options: WOEOptions) -> tuple[Selection, str | None, list[str] | None]:
    selection = Selection(path)
    requested = requested_periods(options.periods)
    period_column = find_period_column(options.period_column, kinds)
    if requested is None:
        return selection, period_column, None
    if period_column is None:
        raise ValidationError(
            "Option periods needs a period column; the dataset has none of snapshot_date, period or date. "
            "Name one with period_column.",
            code="missing_column", details={"option": "period_column"},
        )
    values, _ = distinct_values(selection, period_column)
    labels = {value: period_label(value) for value in values}
    chosen = match_periods(requested, labels, "periods", period_column, "dataset")
    return selection.with_filter(period_column, chosen), period_column, [labels[value] for value in chosen]


def _check_target(selection: Selection, target: str, kinds: dict[str, str],
                  warnings: list[dict[str, Any]]) -> dict[str, Any]:
    if target not in kinds:
        raise ValidationError(
            f"The dataset has no target column {target}. Name the 0/1 outcome column with the option target.",
            code="missing_column", details={"option": "target", "missing": [target], "available": sorted(kinds)},
        )
    summary = target_summary(selection, target)
    if summary["invalid"]:
        raise ValidationError(
            f"Target {target} must be 0 or 1, but {summary['invalid']} rows contain other values, for example "
            f"{', '.join(summary['invalid_examples'])}.",
            code="invalid_target",
            details={"target": target, "rows": summary["invalid"], "values": summary["invalid_examples"]},
        )
    used = summary["events"] + summary["non_events"]
    if used == 0:
        raise ValidationError(
            f"No rows with a target {target} of 0 or 1 to analyse. Check the periods option.",
            code="empty_selection", details={"target": target, "rows": summary["rows"]},
        )
    if summary["missing"]:
        warnings.append(_warning(
            "rows_excluded", f"{summary['missing']} of {summary['rows']} rows have no {target} and are left out.",
            excluded=summary["missing"],
        ))
    if summary["events"] == 0 or summary["non_events"] == 0:
        warnings.append(_warning(
            "insufficient_classes",
            f"The rows contain {summary['events']} events and {summary['non_events']} non-events. WOE needs both, "
            "so no IV is computed.",
        ))
    return {"rows": summary["rows"], "rows_used": used, "rows_without_target": summary["missing"],
            "events": summary["events"], "non_events": summary["non_events"]}


def _choose_columns(options: WOEOptions, kinds: dict[str, str], period_column: str | None) -> list[str]:
    if options.columns is not None:
        columns = list(dict.fromkeys(options.columns))
        missing = [column for column in columns if column not in kinds]
        if missing:
            raise ValidationError(
                f"Unknown columns: {', '.join(missing)}.",
                code="missing_column", details={"missing": missing, "available": sorted(kinds)},
            )
        if options.target in columns:
            raise ValidationError(
                f"The target {options.target} cannot be one of the columns binned against it.",
                code="invalid_option", details={"option": "columns", "target": options.target},
            )
        return columns
    exclude = [options.target, *MODEL_OUTPUT_COLUMNS] + ([period_column] if period_column else [])
    columns = default_columns(kinds, exclude=exclude)
    if not columns:
        raise ValidationError(
            "The dataset has no feature columns to bin. Name the columns with the option columns.",
            code="no_columns", details={"columns": sorted(kinds)},
        )
    return columns


def _column_kind(column: str, kinds: dict[str, str], options: WOEOptions) -> str:
    if column in (options.categorical_columns or []):
        return "categorical"
    if column in GRADE_COLUMNS:
        return "grade"
    return "numeric" if kinds[column] == "numeric" else "categorical"


def _check_cut_points(options: WOEOptions, columns: list[str], column_kind: dict[str, str]) -> None:
    named = list(options.categorical_columns or [])
    named += list(options.cut_points or {})
    if isinstance(options.special_values, dict):
        named += list(options.special_values)
    unknown = sorted({column for column in named if column not in columns})
    if unknown:
        raise ValidationError(
            f"Options categorical_columns, cut_points and special_values name columns that are not binned: "
            f"{', '.join(unknown)}. Add them to columns or remove them.",
            code="unknown_column", details={"unknown": unknown, "columns": columns},
        )
    not_numeric = [column for column in options.cut_points or {} if column_kind[column] != "numeric"]
    if not_numeric:
        raise ValidationError(
            f"Cut points apply to numeric columns only, but {', '.join(not_numeric)} are binned by level.",
            code="invalid_cut_points", details={"columns": not_numeric},
        )
    if options.method == "user":
        without = [column for column in columns
                   if column_kind[column] == "numeric" and column not in (options.cut_points or {})]
        if without:
            raise ValidationError(
                f"Method 'user' needs cut_points for every numeric column. They are missing for {', '.join(without)}.",
                code="invalid_cut_points", details={"missing": without},
            )


# --- one column ---


def _woe_column(selection: Selection, column: str, kind: str, storage: str, options: WOEOptions) -> dict[str, Any]:
    notes: list[dict[str, Any]] = []
    try:
        if kind == "numeric" or (options.method == "optimal" and kind == "grade" and storage == "numeric"):
            result, method = _numeric_woe(selection, column, options, notes)
        else:
            result, method = _level_woe(selection, column, kind, options, notes)
    except NotComputable as error:
        return {"column": column, "kind": kind, "method": options.method, "iv": None, "iv_exact": None,
                "strength": None, "status": None, "reason": error.reason, "reason_code": error.status,
                "bins": [], "flags": [error.status],
                "warnings": [_warning(error.status, f"Column {column}: {error.reason}.")]}
    return _entry(column, kind, method, result, notes)


def _prefetch_quantile_bins(selection: Selection, numeric: list[str], options: WOEOptions) -> None:
    """Announce the quantiles and bin counts the quantile method will ask for, so wide files take few scans."""
    if options.method != "quantile":
        return
    chosen = [column for column in numeric if column not in (options.cut_points or {})]
    if len(chosen) < 2:
        return
    probabilities = _quantile_probabilities(options)
    requests = [(column, special_values_for(options.special_values, column)) for column in chosen]
    prefetch_quantiles(selection, requests, probabilities)
    binnings = []
    for column, specials in requests:
        edges = numeric_quantiles(selection, column, probabilities, specials)
        binnings.append((column, BinningSpec(kind="numeric", method="quantile", edges=tuple(float(edge) for edge in edges),
                                             closed=options.closed, special_values=specials)))
    prefetch_binned_counts(selection, binnings, flag=options.target)


def _quantile_probabilities(options: WOEOptions) -> list[float]:
    return [index / options.n_bins for index in range(1, options.n_bins)]


def _numeric_woe(selection: Selection, column: str, options: WOEOptions,
                 notes: list[dict[str, Any]]) -> tuple[WOEResult, str]:
    specials = special_values_for(options.special_values, column)
    cut_points = (options.cut_points or {}).get(column)
    if options.method == "optimal" and cut_points is None:
        return _optimal_numeric_woe(selection, column, specials, options, notes), "optimal"

    if cut_points is not None:
        method, edges = "user", user_edges(cut_points)
    elif options.method == "quantile":
        method, edges = "quantile", numeric_quantiles(selection, column, _quantile_probabilities(options), specials)
    else:
        value_range = numeric_range(selection, column, specials)
        edges = np.empty(0) if value_range is None else equal_width_edges(np.asarray(value_range), options.n_bins)
        method = "equal_width"
    binning = BinningSpec(kind="numeric", method=method, edges=tuple(float(edge) for edge in edges),
                          closed=options.closed, special_values=specials)
    counts = binned_counts(selection, column, binning, flag=options.target).get(ALL_ROWS)
    if counts is None:
        counts = {"events": np.zeros(binning.n_bins), "non_events": np.zeros(binning.n_bins)}
    result = calculate_woe(counts["events"], counts["non_events"], binning.labels,
                           adjustment=options.adjustment, name=column)
    return _with_binning(result, binning), method


def _optimal_numeric_woe(selection: Selection, column: str, specials: tuple[float, ...], options: WOEOptions,
                         notes: list[dict[str, Any]]) -> WOEResult:
    values, flags = fetch_column(selection, column, numeric=True, flag=options.target)
    regular = np.isfinite(values) & ~np.isin(values, specials)
    if regular.any():
        binning = optimal_binning(values, flags, dtype="numerical", monotonic_trend=options.monotonic_trend,
                                  max_n_bins=options.max_n_bins, special_values=specials, name=column)
    else:
        # optbinning rejects a column without values to split, and there is nothing to optimise.
        binning = BinningSpec(kind="numeric", method="optimal", closed="left", special_values=specials)
        notes.append(_warning("nothing_to_optimise", f"Column {column} has no values outside the special and "
                                                     "missing values, so it has no interval bins to optimise."))
    return _woe_of_codes(binning.assign(values), flags, binning, column, options)


def _woe_of_codes(codes: np.ndarray, flags: np.ndarray, binning: BinningSpec, column: str,
                  options: WOEOptions) -> WOEResult:
    events = np.bincount(codes[flags == 1], minlength=binning.n_bins)
    non_events = np.bincount(codes[flags == 0], minlength=binning.n_bins)
    result = calculate_woe(events, non_events, binning.labels, adjustment=options.adjustment, name=column)
    return _with_binning(result, binning)


def _with_binning(result: WOEResult, binning: BinningSpec) -> WOEResult:
    return replace(result, binning=binning)


def _level_woe(selection: Selection, column: str, kind: str, options: WOEOptions,
               notes: list[dict[str, Any]]) -> tuple[WOEResult, str]:
    if options.method == "optimal":
        raw, flags = fetch_column(selection, column, numeric=False, flag=options.target)
        levels = np.asarray([level_key(value) for value in raw], dtype=object)
        if all(level is None for level in levels):
            binning = BinningSpec(kind="categorical", method="optimal")
            notes.append(_warning("nothing_to_optimise", f"Every value of column {column} is missing, so it has "
                                                         "no levels to group."))
        else:
            binning = optimal_binning(levels, flags, dtype="categorical", monotonic_trend=options.monotonic_trend,
                                      max_n_bins=options.max_n_bins, name=column)
        return _woe_of_codes(binning.assign(levels), flags, binning, column, options), "optimal"

    table: dict[str | None, list[float]] = {}
    for raw, values in level_counts(selection, column, flag=options.target).get(ALL_ROWS, {}).items():
        counts = table.setdefault(level_key(raw), [0.0, 0.0])
        counts[0] += values["events"]
        counts[1] += values["non_events"]
    observed = [level for level in table if level is not None]
    if kind == "grade":
        order = resolve_grade_order(observed, custom_order=options.grade_order)
        levels = list(order.grades)
        notes.extend(_warning("grade_order", f"Column {column}: {message}") for message in order.warnings)
    else:
        levels = sorted(observed, key=lambda level: (-sum(table[level]), level))
    pooled = levels[options.max_levels:] if kind != "grade" else []
    levels = levels[:len(levels) - len(pooled)]
    labels = [*levels]
    events = [table.get(level, [0.0, 0.0])[0] for level in levels]
    non_events = [table.get(level, [0.0, 0.0])[1] for level in levels]
    if pooled:
        labels.append(f"Other ({len(pooled)} levels)")
        events.append(sum(table[level][0] for level in pooled))
        non_events.append(sum(table[level][1] for level in pooled))
        notes.append(_warning("pooled_levels", f"Column {column}: the {len(pooled)} least frequent levels are pooled "
                                               f"in one bin (max_levels={options.max_levels}).", levels=pooled[:100]))
    labels.append(MISSING_LABEL)
    events.append(table.get(None, [0.0, 0.0])[0])
    non_events.append(table.get(None, [0.0, 0.0])[1])
    result = calculate_woe(events, non_events, labels, adjustment=options.adjustment, name=column)
    groups = tuple((level,) for level in levels) + ((tuple(pooled),) if pooled else ())
    binning = BinningSpec(kind="categorical", method="grades" if kind == "grade" else "levels", groups=groups)
    return _with_binning(result, binning), "levels"


def _woe_trend(result: WOEResult) -> str | None:
    """Return the direction of the WOE over the non-empty interval bins of a numeric binning."""
    binning = result.binning
    if binning is None or binning.kind != "numeric":
        return None
    n_intervals = len(binning.edges) + 1
    woe = [row.woe for row in result.bins[:n_intervals] if row.woe is not None]
    if len(woe) < 2:
        return None
    steps = np.diff(woe)
    if np.all(steps >= 0):
        return "ascending"
    if np.all(steps <= 0):
        return "descending"
    return "not monotonic"


def _entry(column: str, kind: str, method: str, result: WOEResult, notes: list[dict[str, Any]]) -> dict[str, Any]:
    body = result.to_dict()
    body.pop("name")
    labels = [row.label for row in result.bins]
    woe = [row.woe for row in result.bins]
    body["chart"].update(x=labels, y=woe)

    warnings = [_warning("pure_bin", f"Column {column}: {message}") for message in result.warnings]
    warnings += notes
    flags = []
    pure = [row.label for row in result.bins if row.pure]
    if pure:
        flags.append("pure_bins")
    empty = [row.label for row in result.bins[:-1] if row.count == 0]
    if empty:
        flags.append("empty_bins")
    if result.total_count > 0 and result.bins[-1].count == result.total_count:
        flags.append("all_missing")
        warnings.append(_warning("all_missing", f"Column {column}: every value is missing."))
    if any(item["code"] == "pooled_levels" for item in notes):
        flags.append("pooled_levels")

    return {
        "column": column,
        "kind": kind,
        "method": method,
        **body,
        "status": "amber" if result.strength == SUSPICIOUS else None,
        "woe_trend": _woe_trend(result),
        "pure_bins": pure,
        "empty_bins": empty,
        "flags": flags,
        "warnings": warnings,
    }
