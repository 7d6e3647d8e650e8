"""Stability (PSI and CSI) of any columns between two datasets or two sets of periods.

Reference and current rows
    With a reference dataset, the reference is that dataset (only the
    ``reference_period`` rows when given) and the current rows are the whole
    dataset (only the ``current_period`` rows when given). Without one, both
    come from the dataset's period column: the reference is the earliest
    period, or the period labelled "reference", "baseline" or "development"
    when the column has such a label, and the current period is the latest
    other period.

Bins, always built on the reference rows
    * Numeric columns: cut points at the reference quantiles (``n_bins``
      quantile bins) or at equal widths of the reference range, right-closed,
      plus one bin per special value and a Missing bin.
    * Text and date columns, and columns named in ``categorical_columns``: one
      bin per level. Levels seen only in the current rows get bins of their
      own, flagged "unseen in reference", then a Missing bin.
    * The rating column: one bin per grade in master-scale order. Grades of
      ``grade_order`` with no obligors in either period keep their rows.
    The Missing bin is always present, even when empty, so every period has
    the same rows.

Index
    The PSI for model outputs (PD, score, rating, predicted LGD, CCF and EAD)
    and the CSI for every other column, with the same formula
    (:mod:`mmt.stats.stability`). An empty proportion is floored at ``floor``
    without renormalising, and the bin is flagged and named in a warning. A
    bin empty in both periods contributes 0. Traffic lights use the
    ``psi_*`` thresholds for the PSI and the ``csi_*`` thresholds for the CSI.

Trend
    For every period of the current dataset (other than the reference periods),
    the index of each column against the same reference bins.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pydantic
from pydantic import ConfigDict, Field

from mmt.analyses.bin_counts import (
    ALL_ROWS,
    binned_counts,
    column_kinds,
    count_rows,
    distinct_values,
    level_counts,
    numeric_quantiles,
    numeric_range,
    prefetch_binned_counts,
    prefetch_quantiles,
    prefetched,
    read_schema,
    special_values_for,
)
from mmt.analyses.periods import (
    PERIOD_COLUMNS,
    PeriodOption,
    find_period_column,
    match_periods,
    period_label,
    requested_periods,
)
from mmt.engine.base import Selection
from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable
from mmt.stats.binning import MISSING_LABEL, BinningSpec, equal_width_edges
from mmt.stats.master_scale import normalise_grade, resolve_grade_order
from mmt.stats.stability import (
    DEFAULT_FLOOR,
    FLAG_EMPTY_BOTH,
    FLAG_EMPTY_CURRENT,
    FLAG_EMPTY_REFERENCE,
    FLAG_UNSEEN,
    PSIResult,
    calculate_csi,
    calculate_psi,
    psi_band,
)
from mmt.thresholds import DEFAULTS, status_lower_is_better

__all__ = [
    "StabilityOptions",
    "analyze_stability",
    "default_columns",
    "level_key",
]

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]

# Labels that mark the reference rows of a text period column.
REFERENCE_LABELS = ("reference", "baseline", "development")
# Model outputs get a PSI and every other column a CSI.
MODEL_OUTPUT_COLUMNS = frozenset({"pd", "score", "rating", "lgd_predicted", "ccf_predicted", "ead_predicted"})
GRADE_COLUMNS = frozenset({"rating"})
# Realised outcomes, identifiers and columns that describe the extract, left out by default.
OUTCOME_COLUMNS = frozenset({"default_flag", "is_default", "lgd_realised", "ead_realised", "ccf_realised"})
ID_COLUMNS = frozenset({"obligor_id", "facility_id"})
HELPER_COLUMNS = frozenset({"sample", "period", "period_label", "snapshot_date", "snapshot_date_label", "split",
                            "date", "quarter", "default_date", "resolution_date", "reference_date"})
ID_PATTERN = re.compile(r"(^|_)(id|key|number|no)$|^id_|instrumentid|obligorid|customerid|loanid|accountid",
                        re.IGNORECASE)


class StabilityOptions(pydantic.BaseModel):
    """Options of the stability analysis."""

    model_config = ConfigDict(extra="forbid")

    columns: list[str] | None = Field(
        default=None, min_length=1,
        description="Columns to compare. Default: every column the two sides share except identifiers, "
                    "realised outcomes (default_flag, realised LGD/CCF/EAD), period and date columns.",
    )
    period_column: str | None = Field(
        default=None, description="Column that contains the period of each row. Default: snapshot_date, period or "
                                  "date, the first one present.")
    reference_period: PeriodOption = Field(
        default=None, description="Reference period value(s), such as 2023-12-31. Default: the earliest period "
                                  "(or all rows of the reference dataset).")
    current_period: PeriodOption = Field(
        default=None, description="Current period value(s). Default: the latest period other than the reference "
                                  "(or all rows when a reference dataset is given).")
    n_bins: int = Field(default=10, ge=2, le=100, description="Number of interval bins of numeric columns.")
    method: Literal["quantile", "equal_width"] = Field(
        default="quantile", description="Cut points at reference quantiles or at equal widths of the reference range.")
    floor: float = Field(default=DEFAULT_FLOOR, gt=0, lt=1,
                         description="Proportion used in place of an empty one.")
    special_values: list[FiniteFloat] | dict[str, list[FiniteFloat]] | None = Field(
        default=None, description="Numeric values with a bin of their own, such as -999: one list for every "
                                  "numeric column, or a list per column.")
    categorical_columns: list[str] | None = Field(
        default=None, description="Numeric columns to bin by level, such as grade codes.")
    grade_order: list[str] | None = Field(
        default=None, description="Grades of the rating column, best first. Grades with no obligors keep a row.")
    max_levels: int = Field(default=50, ge=2, le=10_000,
                            description="Text columns with more distinct levels are not compared.")
    include_trend: bool = Field(default=True, description="Compute the index of every period against the reference.")


@dataclass(frozen=True)
class _Plan:
    """Reference rows, current rows and trend periods of one stability analysis."""

    reference: Selection
    dataset: Selection
    period_column: str | None
    reference_periods: tuple[Any, ...] | None
    current_periods: tuple[Any, ...] | None
    trend_periods: tuple[Any, ...]
    labels: dict[Any, str]
    description: dict[str, Any]


def _warning(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details}


def analyze_stability(current_path: Path, options: StabilityOptions | dict[str, Any] | None,
                      thresholds: dict[str, float] | None, *, reference_path: Path | None = None,
                      reference_is_current: bool = False) -> dict[str, Any]:
    """Compare the distribution of columns between reference and current rows.

    Parameters
    ----------
    current_path : Path
        Parquet copy of the current dataset.
    options : StabilityOptions or dict or None
    thresholds : dict or None
        Thresholds in force; missing keys take the defaults of :mod:`mmt.thresholds`.
    reference_path : Path, optional
        Parquet copy of the reference dataset. Without it the reference is a
        period of the current dataset.
    reference_is_current : bool
        True when the reference dataset holds the same data as the current
        one (the same dataset, or an upload of the same content), so the
        chosen periods must tell the two sides apart.

    Returns
    -------
    dict
        ``columns`` (per column: kind, index, statistic, band, status, bins,
        binning, warnings, unseen levels, flags), ``trend``, ``periods``,
        ``counts``, ``summary_statuses``, ``overall_status``, ``warnings`` and
        ``parameters``, all strict JSON values.

    Raises
    ------
    ValidationError
        Missing columns or periods, or no rows to compare (422).
        ``reference_equals_current`` (422) when the reference rows are the
        current rows, since every index would then be 0.
    """
    if not isinstance(options, StabilityOptions):
        options = StabilityOptions.model_validate(options or {})
    thresholds = {**DEFAULTS, **(thresholds or {})}
    current_kinds = column_kinds(read_schema(current_path))
    reference_kinds = column_kinds(read_schema(reference_path)) if reference_path is not None else None
    warnings: list[dict[str, Any]] = []

    plan = _plan_rows(current_path, reference_path, current_kinds, reference_kinds, options, warnings,
                      reference_is_current)
    columns = _choose_columns(options, current_kinds, reference_kinds, plan.period_column, warnings)
    kinds = {column: _column_kind(column, current_kinds, reference_kinds, options, warnings) for column in columns}
    _check_column_options(options, columns, kinds, warnings)
    counts = _row_counts(plan, thresholds, warnings)

    results: dict[str, Any] = {}
    trend: dict[str, list[dict[str, Any]]] = {}
    statuses: list[dict[str, Any]] = []
    with prefetched():
        _prefetch_numeric(plan, options, [column for column in columns if kinds[column] == "numeric"])
        for column in columns:
            entry, column_trend = _analyse_column(column, kinds[column], plan, options, thresholds)
            results[column] = entry
            if options.include_trend and plan.trend_periods:
                trend[column] = column_trend
            metric = f"stability.{entry['index'].lower()}[{column}]"
            statuses.append({"metric": metric, "value": entry["statistic"], "status": entry["status"]})
            warnings.extend({**item, "details": {**item["details"], "column": column}} for item in entry["warnings"])

    parameters = options.model_dump(exclude_none=True)
    parameters.update(
        columns=columns, kinds=kinds, period_column=plan.period_column,
        reference_period=_labels_of(plan, plan.reference_periods),
        current_period=_labels_of(plan, plan.current_periods),
    )
    return to_jsonable({
        "columns": results,
        "trend": trend,
        "periods": {
            "column": plan.period_column,
            "all": [plan.labels[value] for value in plan.labels],
            "reference": _labels_of(plan, plan.reference_periods),
            "current": _labels_of(plan, plan.current_periods),
            "trend": [plan.labels[value] for value in plan.trend_periods],
        },
        "reference": plan.description,
        "counts": counts,
        "summary_statuses": statuses,
        "overall_status": _worst(entry["status"] for entry in results.values()),
        "warnings": warnings,
        "parameters": parameters,
    })


# --- rows: reference, current and trend periods ---


def _plan_rows(current_path: Path, reference_path: Path | None, current_kinds: dict[str, str],
               reference_kinds: dict[str, str] | None, options: StabilityOptions,
               warnings: list[dict[str, Any]], reference_is_current: bool = False) -> _Plan:
    dataset = Selection(current_path)
    period_column = find_period_column(options.period_column, current_kinds)
    labels: dict[Any, str] = {}
    without_period = 0
    if period_column is not None:
        values, without_period = distinct_values(dataset, period_column)
        labels = {value: period_label(value) for value in values}
        if without_period:
            warnings.append(_warning(
                "rows_without_period",
                f"{without_period} rows have no {period_column}; they are in no period of the trend"
                + ("." if reference_path is not None else " and in neither the reference nor the current rows."),
                rows=without_period, period_column=period_column,
            ))
    requested_reference = requested_periods(options.reference_period)
    requested_current = requested_periods(options.current_period)
    if (requested_reference is not None or requested_current is not None) and period_column is None:
        raise ValidationError(
            "Options reference_period and current_period need a period column; the dataset has none of "
            f"{', '.join(PERIOD_COLUMNS)}. Name one with period_column.",
            code="missing_column", details={"option": "period_column", "looked_for": list(PERIOD_COLUMNS)},
        )
    current_periods = None
    if requested_current is not None:
        current_periods = match_periods(requested_current, labels, "current_period", period_column, "dataset")

    if reference_path is not None:
        reference = Selection(reference_path)
        description: dict[str, Any] = {"source": "reference_dataset"}
        if requested_reference is not None:
            if period_column not in (reference_kinds or {}):
                raise ValidationError(
                    f"Option reference_period: the reference dataset has no column {period_column}.",
                    code="missing_column", details={"option": "reference_period", "missing": [period_column]},
                )
            reference_values, _ = distinct_values(reference, period_column)
            reference_labels = {value: period_label(value) for value in reference_values}
            chosen = match_periods(requested_reference, reference_labels, "reference_period", period_column,
                                    "reference dataset")
            reference = reference.with_filter(period_column, chosen)
            description["reference_periods"] = [reference_labels[value] for value in chosen]
        if reference_is_current:
            _check_same_dataset_periods(labels, without_period, description.get("reference_periods"),
                                        current_periods, period_column, warnings)
        trend_periods = tuple(labels)
        return _Plan(reference, dataset, period_column, None, current_periods, trend_periods, labels, description)

    if period_column is None:
        raise ValidationError(
            "Stability needs a reference: give reference_dataset_id, or a dataset with a period column "
            f"({', '.join(PERIOD_COLUMNS)} or one named by period_column) holding at least two periods.",
            code="no_reference", details={"looked_for": list(PERIOD_COLUMNS)},
        )
    if requested_reference is not None:
        reference_periods = match_periods(requested_reference, labels, "reference_period", period_column, "dataset")
    else:
        candidates = [value for value in labels if current_periods is None or value not in current_periods]
        marked = [value for value in candidates if labels[value].casefold() in REFERENCE_LABELS]
        reference_periods = tuple((marked or candidates)[:1])
    if current_periods is None:
        others = [value for value in labels if value not in reference_periods]
        current_periods = tuple(others[-1:])
    if not reference_periods or not current_periods:
        raise ValidationError(
            f"Column {period_column} has {len(labels)} period(s): {', '.join(labels.values()) or 'none'}. "
            "Stability needs a reference and a current period; give reference_dataset_id or choose the periods "
            "with reference_period and current_period.",
            code="no_reference", details={"period_column": period_column, "periods": list(labels.values())},
        )
    overlap = [labels[value] for value in current_periods if value in reference_periods]
    if set(current_periods) == set(reference_periods):
        raise _same_rows_error(overlap, period_column)
    if overlap:
        warnings.append(_warning(
            "periods_overlap", f"Periods {', '.join(overlap)} are in both the reference and the current rows.",
            periods=overlap,
        ))
    reference = dataset.with_filter(period_column, reference_periods)
    trend_periods = tuple(value for value in labels if value not in reference_periods)
    description = {"source": "periods", "period_column": period_column,
                   "reference_periods": [labels[value] for value in reference_periods]}
    return _Plan(reference, dataset, period_column, reference_periods, current_periods, trend_periods, labels,
                 description)


def _same_rows_error(periods: list[str], period_column: str | None) -> ValidationError:
    if periods:
        cause = (f"period {', '.join(periods)} of column {period_column} is both the reference and the current "
                 "period")
    else:
        cause = "the reference dataset contains the current data and no period option tells the two apart"
    return ValidationError(
        f"The reference rows are the current rows: {cause}, so every index would be 0. Choose different "
        "periods with reference_period and current_period, or another dataset with reference_dataset_id.",
        code="reference_equals_current",
        details={"period_column": period_column, "periods": periods},
    )


def _check_same_dataset_periods(labels: dict[Any, str], without_period: int, reference_labels: list[str] | None,
                                current_periods: tuple[Any, ...] | None, period_column: str | None,
                                warnings: list[dict[str, Any]]) -> None:
    """Reject a reference dataset with the current data unless the periods tell the two sides apart."""
    every_label = set(labels.values())
    reference = set(reference_labels) if reference_labels is not None else every_label
    current = {labels[value] for value in current_periods} if current_periods is not None else every_label
    if reference_labels is None and current_periods is None:
        same_rows = True
    elif reference_labels is not None and current_periods is not None:
        same_rows = reference == current
    else:
        # The side without a period option also takes the rows that have no period.
        same_rows = reference == current and not without_period
    if same_rows:
        named = reference_labels is not None or current_periods is not None
        raise _same_rows_error(sorted(current) if named else [], period_column)
    overlap = sorted(reference & current)
    if overlap:
        warnings.append(_warning(
            "periods_overlap",
            f"The reference dataset contains the current data, and periods {', '.join(overlap)} are in both "
            "the reference and the current rows.",
            periods=overlap,
        ))


def _labels_of(plan: _Plan, values: tuple[Any, ...] | None) -> list[str] | None:
    return None if values is None else [plan.labels[value] for value in values]


def _current_selection(plan: _Plan) -> Selection:
    if plan.current_periods is None:
        return plan.dataset
    return plan.dataset.with_filter(plan.period_column, plan.current_periods)


def _row_counts(plan: _Plan, thresholds: dict[str, float], warnings: list[dict[str, Any]]) -> dict[str, Any]:
    reference_rows = count_rows(plan.reference)
    current_rows = count_rows(_current_selection(plan))
    for name, rows in (("reference", reference_rows), ("current", current_rows)):
        if rows == 0:
            raise ValidationError(
                f"The {name} rows are empty. Choose other periods or another dataset.",
                code="empty_selection", details={"side": name},
            )
    minimum = thresholds["min_grade_obligors"]
    for name, rows in (("reference", reference_rows), ("current", current_rows)):
        if rows < minimum:
            warnings.append(_warning(
                "small_sample",
                f"The {name} rows number {rows}, fewer than {minimum:g} (threshold min_grade_obligors); "
                "the index mostly reflects sampling noise.",
                side=name, rows=rows,
            ))
    return {"reference_rows": reference_rows, "current_rows": current_rows}


# --- columns ---


def default_columns(kinds: dict[str, str], *, exclude: Sequence[str] = ()) -> list[str]:
    """Return the columns compared by default, in file order.

    Identifiers, realised outcomes, period and helper columns, ``*_label``
    columns, date columns and ``exclude`` are left out.
    """
    chosen = []
    for column, kind in kinds.items():
        if column in exclude or column in OUTCOME_COLUMNS or column in ID_COLUMNS or column in HELPER_COLUMNS:
            continue
        if column.endswith("_label") or ID_PATTERN.search(column) or kind == "date":
            continue
        chosen.append(column)
    return chosen


def _choose_columns(options: StabilityOptions, current_kinds: dict[str, str],
                    reference_kinds: dict[str, str] | None, period_column: str | None,
                    warnings: list[dict[str, Any]]) -> list[str]:
    if options.columns is not None:
        columns = list(dict.fromkeys(options.columns))
        missing_current = [column for column in columns if column not in current_kinds]
        missing_reference = [column for column in columns
                             if reference_kinds is not None and column not in reference_kinds]
        if missing_current or missing_reference:
            parts = []
            if missing_current:
                parts.append(f"the dataset lacks {', '.join(missing_current)}")
            if missing_reference:
                parts.append(f"the reference dataset lacks {', '.join(missing_reference)}")
            raise ValidationError(
                f"Unknown columns: {'; '.join(parts)}.",
                code="missing_column",
                details={"missing": sorted(set(missing_current) | set(missing_reference)),
                         "missing_in_dataset": missing_current, "missing_in_reference": missing_reference,
                         "available": sorted(current_kinds)},
            )
        return columns

    exclude = [period_column] if period_column else []
    columns = default_columns(current_kinds, exclude=exclude)
    if reference_kinds is not None:
        only_current = [column for column in columns if column not in reference_kinds]
        only_reference = [column for column in default_columns(reference_kinds, exclude=exclude)
                          if column not in current_kinds]
        if only_current or only_reference:
            warnings.append(_warning(
                "columns_not_shared",
                "Columns present in only one dataset are not compared: "
                + ", ".join(only_current + only_reference) + ".",
                only_in_dataset=only_current, only_in_reference=only_reference,
            ))
        columns = [column for column in columns if column in reference_kinds]
    if not columns:
        raise ValidationError(
            "No columns to compare: the datasets share no column other than identifiers, outcomes and periods. "
            "Name the columns with the option columns.",
            code="no_columns", details={"columns": sorted(current_kinds)},
        )
    return columns


def _column_kind(column: str, current_kinds: dict[str, str], reference_kinds: dict[str, str] | None,
                 options: StabilityOptions, warnings: list[dict[str, Any]]) -> str:
    if column in (options.categorical_columns or []):
        return "categorical"
    if column in GRADE_COLUMNS:
        return "grade"
    kinds = {current_kinds[column]} | ({reference_kinds[column]} if reference_kinds is not None else set())
    if kinds == {"numeric"}:
        return "numeric"
    if "numeric" in kinds:
        warnings.append(_warning(
            "mixed_types", f"Column {column} is numeric in one dataset and text in the other; it is compared by level.",
            column=column,
        ))
    return "categorical"


def _check_column_options(options: StabilityOptions, columns: list[str], kinds: dict[str, str],
                          warnings: list[dict[str, Any]]) -> None:
    unknown = [column for column in options.categorical_columns or [] if column not in columns]
    if isinstance(options.special_values, dict):
        unknown += [column for column in options.special_values if column not in columns]
    if unknown:
        raise ValidationError(
            f"Options categorical_columns and special_values name columns that are not compared: "
            f"{', '.join(unknown)}. Add them to columns or remove them.",
            code="unknown_column", details={"unknown": unknown, "columns": columns},
        )
    ignored = [column for column in columns
               if kinds[column] != "numeric" and special_values_for(options.special_values, column)
               and isinstance(options.special_values, dict)]
    if ignored:
        warnings.append(_warning(
            "special_values_ignored",
            f"Special values apply to numeric columns only; they are ignored for {', '.join(ignored)}.",
            columns=ignored,
        ))


# --- one column ---


def _analyse_column(column: str, kind: str, plan: _Plan, options: StabilityOptions,
                    thresholds: dict[str, float]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    index = "PSI" if column in MODEL_OUTPUT_COLUMNS else "CSI"
    if kind == "numeric":
        tables = _numeric_tables(column, plan, options)
    else:
        tables = _level_tables(column, kind, plan, options)
    if isinstance(tables, NotComputable):
        entry = {"column": column, "kind": kind, "index": index, "statistic": None, "value": None, "band": None,
                 "status": None, "reason": tables.reason, "reason_code": tables.status, "bins": [],
                 "flags": [tables.status],
                 "warnings": [_warning(tables.status, f"Column {column}: {tables.reason}.")]}
        return entry, []

    entry = _entry(column, kind, index, tables["main"], options, thresholds)
    trend = []
    for period, table in tables["trend"]:
        trend.append(_trend_point(plan.labels[period], index, table, options, thresholds))
    return entry, trend


def _sum_groups(groups: dict[Any, dict[str, np.ndarray]], keys: tuple[Any, ...] | None, size: int) -> np.ndarray:
    total = np.zeros(size)
    for key, counts in groups.items():
        if keys is None or key in keys:
            total += counts["observations"]
    return total


def _quantile_probabilities(options: StabilityOptions) -> list[float]:
    return [index / options.n_bins for index in range(1, options.n_bins)]


def _numeric_binning(column: str, plan: _Plan, options: StabilityOptions) -> BinningSpec:
    """Return the bins of a numeric column, set on the reference rows."""
    specials = special_values_for(options.special_values, column)
    if options.method == "quantile":
        edges = numeric_quantiles(plan.reference, column, _quantile_probabilities(options), specials)
    else:
        value_range = numeric_range(plan.reference, column, specials)
        edges = np.empty(0) if value_range is None else equal_width_edges(np.asarray(value_range), options.n_bins)
    return BinningSpec(kind="numeric", method=options.method, edges=tuple(float(edge) for edge in edges),
                       special_values=specials)


def _prefetch_numeric(plan: _Plan, options: StabilityOptions, numeric: list[str]) -> None:
    """Announce the quantiles and bin counts of the numeric columns, so wide files take a few scans, not one per column."""
    if len(numeric) < 2:
        return
    if options.method == "quantile":
        requests = [(column, special_values_for(options.special_values, column)) for column in numeric]
        prefetch_quantiles(plan.reference, requests, _quantile_probabilities(options))
    binnings = [(column, _numeric_binning(column, plan, options)) for column in numeric]
    prefetch_binned_counts(plan.dataset, binnings, group_by=plan.period_column)
    if plan.reference_periods is None:
        prefetch_binned_counts(plan.reference, binnings)


def _numeric_tables(column: str, plan: _Plan, options: StabilityOptions) -> dict[str, Any]:
    binning = _numeric_binning(column, plan, options)
    size = binning.n_bins
    groups = binned_counts(plan.dataset, column, binning, group_by=plan.period_column)
    if plan.reference_periods is not None:
        reference = _sum_groups(groups, plan.reference_periods, size)
    else:
        reference = _sum_groups(binned_counts(plan.reference, column, binning), None, size)
    current = _sum_groups(groups, plan.current_periods, size)
    labels = list(binning.labels)
    unseen = [False] * size

    def table(current_counts: np.ndarray) -> dict[str, Any]:
        return {"labels": labels, "reference": reference, "current": current_counts, "unseen": unseen,
                "binning": binning.to_dict(), "grade_warnings": []}

    trend = [(period, table(_sum_groups(groups, (period,), size))) for period in plan.trend_periods]
    return {"main": table(current), "trend": trend}


def level_key(value: Any) -> str | None:
    """Return the level of a raw value as text, ``None`` when missing.

    Integral floats lose their ".0" and text is stripped, so ``2``, ``2.0``
    and ``" 2"`` are one level. Dates become ISO text.
    """
    if isinstance(value, (dt.date, dt.datetime)):
        return period_label(value)
    return normalise_grade(value)


def _keyed(levels: dict[Any, dict[str, float]]) -> dict[str | None, float]:
    counts: dict[str | None, float] = {}
    for raw, values in levels.items():
        key = level_key(raw)
        counts[key] = counts.get(key, 0.0) + values["observations"]
    return counts


def _merge(groups: dict[Any, dict[str | None, float]], keys: tuple[Any, ...] | None) -> dict[str | None, float]:
    merged: dict[str | None, float] = {}
    for group, counts in groups.items():
        if keys is None or group in keys:
            for level, count in counts.items():
                merged[level] = merged.get(level, 0.0) + count
    return merged


def _level_tables(column: str, kind: str, plan: _Plan, options: StabilityOptions) -> dict[str, Any] | NotComputable:
    groups = {group: _keyed(levels)
              for group, levels in level_counts(plan.dataset, column, group_by=plan.period_column).items()}
    if plan.reference_periods is not None:
        reference = _merge(groups, plan.reference_periods)
    else:
        reference = _merge({ALL_ROWS: _keyed(level_counts(plan.reference, column).get(ALL_ROWS, {}))}, None)
    current = _merge(groups, plan.current_periods)
    observed = {level for counts in [reference, *groups.values()] for level in counts if level is not None}
    if len(observed) > options.max_levels:
        return NotComputable(
            f"{len(observed)} distinct levels exceed max_levels={options.max_levels}; such a column is usually an "
            "identifier or free text. Raise max_levels to compare it",
            "too_many_levels",
        )

    grade_warnings: list[str] = []
    if kind == "grade":
        order = resolve_grade_order(observed, custom_order=options.grade_order)
        levels = list(order.grades)
        grade_warnings = list(order.warnings)
    else:
        levels = _frequency_order(reference, current)

    def table(current_counts: dict[str | None, float]) -> dict[str, Any]:
        extra = _frequency_order({}, {level: count for level, count in current_counts.items() if level not in levels})
        period_levels = levels + extra
        return {
            "labels": [*period_levels, MISSING_LABEL],
            "reference": np.array([reference.get(level, 0.0) for level in [*period_levels, None]]),
            "current": np.array([current_counts.get(level, 0.0) for level in [*period_levels, None]]),
            "unseen": [reference.get(level, 0.0) == 0 and current_counts.get(level, 0.0) > 0
                       for level in period_levels] + [False],
            "binning": {"kind": "categorical", "method": "grades" if kind == "grade" else "levels",
                        "levels": period_levels, "labels": [*period_levels, MISSING_LABEL]},
            "grade_warnings": grade_warnings,
        }

    trend = [(period, table(groups.get(period, {}))) for period in plan.trend_periods]
    return {"main": table(current), "trend": trend}


def _frequency_order(reference: dict[str | None, float], current: dict[str | None, float]) -> list[str]:
    """Return reference levels by descending reference count, then levels unseen in the reference by current count."""
    seen = sorted((level for level in reference if level is not None), key=lambda level: (-reference[level], level))
    unseen = sorted((level for level in current if level is not None and level not in reference),
                    key=lambda level: (-current[level], level))
    return seen + unseen


def _index(index: str, table: dict[str, Any], floor: float) -> PSIResult:
    calculate = calculate_psi if index == "PSI" else calculate_csi
    return calculate(table["reference"], table["current"], table["labels"], floor=floor)


def _status(index: str, statistic: float | None, thresholds: dict[str, float]) -> tuple[str | None, str | None]:
    if statistic is None:
        return None, None
    prefix = "psi" if index == "PSI" else "csi"
    amber, red = thresholds[f"{prefix}_threshold"], thresholds[f"{prefix}_red_threshold"]
    return psi_band(statistic, amber, red), status_lower_is_better(statistic, amber, red)


def _entry(column: str, kind: str, index: str, table: dict[str, Any], options: StabilityOptions,
           thresholds: dict[str, float]) -> dict[str, Any]:
    try:
        result = _index(index, table, options.floor)
    except NotComputable as error:
        return {"column": column, "kind": kind, "index": index, "statistic": None, "value": None, "band": None,
                "status": None, "reason": error.reason, "reason_code": error.status, "bins": [],
                "flags": [error.status], "warnings": [_warning(error.status, f"Column {column}: {error.reason}.")]}
    band, status = _status(index, result.statistic, thresholds)
    body = result.to_dict()
    body.pop("name")
    body.pop("binning")
    unseen_levels = [label for label, unseen in zip(table["labels"], table["unseen"]) if unseen]
    for row, unseen in zip(body["bins"], table["unseen"]):
        if unseen and FLAG_UNSEEN not in row["flags"]:
            row["flags"].append(FLAG_UNSEEN)

    warnings = [_warning("empty_bin", f"Column {column}: {message}") for message in result.warnings]
    warnings += [_warning("grade_order", f"Column {column}: {message}") for message in table["grade_warnings"]]
    if unseen_levels:
        warnings.append(_warning(
            "unseen_levels",
            f"Column {column}: levels absent from the reference rows: {', '.join(unseen_levels[:10])}"
            + (" ..." if len(unseen_levels) > 10 else "") + ".",
            levels=unseen_levels[:100],
        ))
    flags = _flags(body["bins"], result)
    for side, total, share in (("reference", result.reference_total, result.bins[-1].reference_count),
                               ("current", result.current_total, result.bins[-1].current_count)):
        if total > 0 and share == total:
            flags.append(f"all_missing_{side}")
            warnings.append(_warning("all_missing", f"Column {column}: every {side} value is missing.", side=side))
    return {
        "column": column,
        "kind": kind,
        "index": index,
        **body,
        "statistic": result.statistic,
        "value": result.statistic,
        "band": band,
        "status": status,
        "binning": table["binning"],
        "unseen_levels": unseen_levels,
        "flags": flags,
        "warnings": warnings,
    }


def _flags(bins: list[dict[str, Any]], result: PSIResult) -> list[str]:
    flags = []
    empty = {FLAG_EMPTY_REFERENCE, FLAG_EMPTY_CURRENT}
    if any(empty & set(row["flags"]) for row in bins):
        flags.append("empty_bins")
    if any(FLAG_EMPTY_BOTH in row["flags"] for row in bins[:-1]):
        flags.append("bins_empty_in_both_periods")
    if any(FLAG_UNSEEN in row["flags"] for row in bins):
        flags.append("unseen_levels")
    return flags


def _trend_point(period: str, index: str, table: dict[str, Any], options: StabilityOptions,
                 thresholds: dict[str, float]) -> dict[str, Any]:
    try:
        result = _index(index, table, options.floor)
    except NotComputable as error:
        return {"period": period, "statistic": None, "band": None, "status": None, "reason": error.reason,
                "current_total": float(np.sum(table["current"]))}
    band, status = _status(index, result.statistic, thresholds)
    empty = [row.label for row in result.bins if FLAG_EMPTY_REFERENCE in row.flags or FLAG_EMPTY_CURRENT in row.flags]
    return {
        "period": period,
        "statistic": result.statistic,
        "band": band,
        "status": status,
        "reference_total": result.reference_total,
        "current_total": result.current_total,
        "pvalue": result.pvalue,
        "empty_bins": empty,
        "unseen_levels": [label for label, unseen in zip(table["labels"], table["unseen"]) if unseen],
    }


def _worst(statuses: Any) -> str | None:
    ranks = {"green": 0, "amber": 1, "red": 2}
    present = [status for status in statuses if status in ranks]
    return max(present, key=ranks.__getitem__) if present else None
