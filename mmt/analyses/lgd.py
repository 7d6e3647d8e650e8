"""LGD back-testing: calibration, rank ordering and errors, overall and per segment.

The back-testing sample follows the ECB instructions for reporting IRB
validation results (LGD): facilities whose recovery process is closed. Open
workouts have no final realised LGD, so they are excluded and counted.
Realised LGD below 0 (recoveries above exposure) or above 1 (costs above
recoveries) is kept as it is and counted, because clipping would change the
ranks, the t-test and the loss shortfall.

The options ``current_period`` and ``reference_period`` compare two periods
of one dataset: the back-test runs on the current rows, and the results gain
a ``reference`` block with the same figures on the reference rows and the
differences of the main accuracy figures (current minus reference).

:func:`backtest_figures` is shared with the EAD/CCF analysis, which runs the
same figures on CCF.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pydantic

from mmt.analyses.common import metric_entry, not_computable_entry
from mmt.analyses.filters import (
    DatePeriod,
    MonitoringFilters,
    additional_data,
    apply_filters,
    check_periods,
    filter_options,
    select_period,
)
from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable
from mmt.stats import backtest
from mmt.thresholds import DEFAULTS, status_higher_is_better, status_lower_is_better, status_pvalue

__all__ = [
    "BacktestOptions",
    "LGDOptions",
    "StatusKeys",
    "analyze_lgd",
    "backtest_figures",
    "check_reference_dataset_rows",
    "check_reference_period_rows",
    "decile_data",
    "empty_reference_period",
    "error_entry",
    "lgd_filter_options",
    "metric_differences",
    "period_overlap_warning",
    "period_parameters",
    "reference_block",
    "resolve_thresholds",
    "select_current_rows",
    "select_reference_rows",
]

OPEN_WORKOUT_STATUSES = frozenset({"open", "ongoing", "in progress", "in_progress", "active", "pending", "unresolved"})
MAX_LISTED_FACILITIES = 50
MISSING_SEGMENT = "(missing)"
# The ECB compares the gAUC with initial validation for the portfolio, not per segment.
PORTFOLIO_ONLY_GAUC_TEST = {
    "value": None,
    "status": "not_requested",
    "reason": "the gAUC test against initial validation runs on the whole selection only",
}

GaucClasses = Literal["auto", "segments", "grades"] | list[float]

# Figures whose change between the reference and the current period the results report.
LGD_COMPARED_METRICS = ("MAPE", "R-squared", "MAE", "RMSE", "Bias", "gAUC")


class BacktestOptions(MonitoringFilters):
    """Options shared by the LGD and EAD/CCF analyses, besides the filters.

    ``gauc_classes`` is ``"auto"``, ``"segments"``, ``"grades"`` or increasing
    class bounds (see :func:`mmt.stats.backtest.generalised_auc`).
    ``current_period`` and ``reference_period`` select rows by their
    ``period`` date. The portfolio and model filters apply to both periods,
    the quarter filter to the current rows only.
    """

    reference_gauc: float | None = pydantic.Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="gAUC at initial validation, between 0 and 1: of the LGD in the LGD analysis, of the CCF in the "
        "EAD analysis. The gAUC test compares the current gAUC with it. It takes precedence over the gAUC of "
        "reference_dataset_id. Without both, the gAUC test is not run.",
    )
    segment_column: str = pydantic.Field(
        default="segment",
        description="Column whose values split the results into segments, each with its own figures. Default: "
        "segment, and no segments when the dataset has no such column.",
    )
    gauc_classes: GaucClasses = pydantic.Field(
        default="auto",
        description="Classes of the estimated and realised values in the gAUC contingency table. segments: the "
        "twelve fixed ECB classes with bounds 0.05, 0.10, 0.20, ..., 0.90, 1.00. grades: each distinct estimated "
        "value is a class. auto: grades with at most 20 distinct estimated values, else segments. A list of "
        "strictly increasing bounds b1, ..., bm gives the classes (-inf, b1), [b1, b2), ..., [bm, inf).",
    )
    max_scatter_points: int = pydantic.Field(
        default=2000,
        ge=1,
        le=100_000,
        description="Maximum number of points in each scatter plot of plot_data. A larger sample is thinned to a "
        "random subset with a fixed seed, so every run shows the same points. The figures use every facility.",
    )
    current_period: DatePeriod | None = pydantic.Field(
        default=None,
        description="Back-test only the rows whose period date lies in this range, both dates included.",
    )
    reference_period: DatePeriod | None = pydantic.Field(
        default=None,
        description=(
            "Also compute the figures on the rows whose period date lies in this range, and their "
            "differences from the current period (current minus reference). Needs current_period."
        ),
    )

    @pydantic.field_validator("gauc_classes")
    @classmethod
    def _check_bounds(cls, value: GaucClasses) -> GaucClasses:
        if isinstance(value, list):
            bounds = np.asarray(value, dtype=float)
            if bounds.size == 0 or not np.isfinite(bounds).all() or (np.diff(bounds) <= 0).any():
                raise ValueError(f"gauc_classes bounds must be finite and strictly increasing; got {value}")
        return value

    @pydantic.model_validator(mode="after")
    def _check_periods(self) -> BacktestOptions:
        # check_periods raises mmt's ValidationError, which pydantic passes on unchanged, so a
        # malformed period gets the 422 of the other data errors and not the 400 of a bad request.
        check_periods(self.current_period, self.reference_period)
        return self


class LGDOptions(BacktestOptions):
    """Options of the LGD analysis."""


@dataclass(frozen=True, slots=True)
class StatusKeys:
    """Threshold keys that colour the figures of one back-test; ``None`` leaves a figure uncoloured."""

    gauc_amber: str
    gauc_red: str
    mape: str | None = None
    r_squared: str | None = None


LGD_STATUS_KEYS = StatusKeys("lgd_gauc_threshold", "lgd_gauc_red_threshold", "lgd_mape_threshold", "lgd_r2_threshold")


def resolve_thresholds(thresholds: dict[str, float] | None) -> dict[str, float]:
    """Return the defaults overlaid with the thresholds in force."""
    resolved = dict(DEFAULTS)
    resolved.update(thresholds or {})
    return resolved


def lgd_filter_options(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Return the ``portfolios``, ``quarters`` and ``modelNames`` an LGD dataset offers."""
    return filter_options(frame)


def select_current_rows(selected: pd.DataFrame, options: BacktestOptions, dataset_kind: str) -> pd.DataFrame:
    """Return the filtered rows inside ``current_period``, or all of them without that option."""
    if options.current_period is None:
        return selected
    return select_period(selected, options.current_period, "current_period", dataset_kind=dataset_kind)


def select_reference_rows(frame: pd.DataFrame, options: BacktestOptions, dataset_kind: str) -> pd.DataFrame:
    """Return the rows of the portfolio and model filters inside ``reference_period``.

    The quarter filter is left out because it narrows the current rows.
    """
    assert options.reference_period is not None
    filters = MonitoringFilters(portfolio=options.portfolio, modelName=options.modelName)
    selected = apply_filters(frame, filters, dataset_kind=dataset_kind)
    return select_period(selected, options.reference_period, "reference_period", dataset_kind=dataset_kind)


def period_overlap_warning(options: BacktestOptions) -> list[str]:
    """Return a warning when the reference and current periods share dates, else nothing."""
    if options.current_period is None or options.reference_period is None:
        return []
    current_start, current_end = options.current_period.bounds("current_period")
    reference_start, reference_end = options.reference_period.bounds("reference_period")
    first, last = max(current_start, reference_start), min(current_end, reference_end)
    if first > last:
        return []
    return [
        f"The reference period and the current period overlap, so rows dated {first.isoformat()} "
        f"to {last.isoformat()} are in both samples."
    ]


def check_reference_period_rows(current: pd.DataFrame, reference: pd.DataFrame, options: BacktestOptions) -> None:
    """Reject a reference period that selects exactly the current rows, since every difference would be 0.

    Raises
    ------
    mmt.errors.ValidationError
        ``reference_equals_current`` (422) naming both periods.
    """
    if not current.index.equals(reference.index):
        return
    assert options.current_period is not None and options.reference_period is not None
    now, before = options.current_period, options.reference_period
    raise ValidationError(
        f"Options current_period ({now.start} to {now.end}) and reference_period ({before.start} to {before.end}) "
        f"select the same {len(current)} rows, so every difference from the reference would be 0. "
        "Choose a reference period with other rows, such as the years before the current period.",
        code="reference_equals_current",
        details={"current_period": now.model_dump(), "reference_period": before.model_dump(), "rows": len(current)},
    )


def check_reference_dataset_rows(current: pd.DataFrame, reference: pd.DataFrame, dataset_kind: str) -> list[str]:
    """Check a reference dataset that contains the current data; return a warning when it only overlaps.

    ``current`` and ``reference`` are rows of the same frame, so equal indexes mean equal rows.

    Raises
    ------
    mmt.errors.ValidationError
        ``reference_equals_current`` (422) when the reference rows are the current rows.
    """
    if current.index.equals(reference.index):
        raise ValidationError(
            f"The reference {dataset_kind} dataset contains the current data and the filters select the same "
            f"{len(current)} rows on both sides, so the gAUC test would compare the gAUC with itself. Give "
            "reference_dataset_id the initial-validation dataset, or give its gAUC with reference_gauc.",
            code="reference_equals_current",
            details={"rows": len(current)},
        )
    shared = int(current.index.isin(reference.index).sum())
    if not shared:
        return []
    return [
        f"The reference {dataset_kind} dataset contains the current data, so {shared} current rows are also in "
        "the sample of the initial-validation gAUC."
    ]


def metric_differences(
    current: dict[str, Any], reference: dict[str, Any], names: Sequence[str]
) -> dict[str, float | None]:
    """Return current minus reference for each named figure, ``None`` where either is undefined."""
    differences: dict[str, float | None] = {}
    for name in names:
        now, before = current.get(name), reference.get(name)
        defined = all(isinstance(value, (int, float)) and math.isfinite(value) for value in (now, before))
        differences[name] = float(now - before) if defined else None
    return differences


def period_parameters(options: BacktestOptions) -> dict[str, Any]:
    """Return the requested periods as plain values for the ``parameters`` block."""
    return {
        "current_period": options.current_period.model_dump() if options.current_period else None,
        "reference_period": options.reference_period.model_dump() if options.reference_period else None,
    }


# --------------------------------------------------------------------------- shared figures


def _attempt(compute: Callable[[], Any]) -> tuple[Any, NotComputable | None]:
    try:
        return compute(), None
    except NotComputable as error:
        return None, error


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    total = weights.sum()
    if total <= 0:
        raise NotComputable("the total exposure is 0", "zero_exposure")
    return float((values * weights).sum() / total)


def backtest_figures(
    predicted: np.ndarray,
    realised: np.ndarray,
    *,
    exposure: np.ndarray | None,
    quantity: str,
    t_test: Callable[[np.ndarray, np.ndarray], backtest.TTestResult],
    thresholds: dict[str, float],
    status_keys: StatusKeys,
    gauc_classes: GaucClasses = "auto",
    gauc_initial: float | None = None,
) -> dict[str, Any]:
    """Compute the back-test figures of one scope (the portfolio or one segment).

    Parameters
    ----------
    predicted, realised : numpy.ndarray
        Estimated and realised values of the facilities in the sample (finite).
    exposure : numpy.ndarray or None
        Weights of the weighted means and the loss shortfall (EAD for LGD,
        undrawn amount for CCF). Rows with a missing or negative weight are
        left out of the weighted figures only.
    quantity : str
        "LGD" or "CCF", used in reasons.
    t_test : callable
        :func:`mmt.stats.backtest.lgd_t_test` or ``ccf_t_test``.
    thresholds : dict
        Thresholds in force (see :func:`resolve_thresholds`).
    status_keys : StatusKeys
        Which thresholds colour gAUC, MAPE and R-squared.
    gauc_classes : {"auto", "segments", "grades"} or list of float, optional
        Class scheme of the gAUC contingency table.
    gauc_initial : float, optional
        gAUC at initial validation. When given, the gAUC test is run.

    Returns
    -------
    dict
        ``metrics`` (flat numbers, ``None`` where undefined) and ``tests``
        (entries with value, status and details, or the reason a figure is
        undefined).
    """
    n = int(predicted.size)
    metrics: dict[str, Any] = {"facilities": n}
    tests: dict[str, Any] = {}

    # 1. Means, plain and weighted.
    metrics["mean_predicted"] = float(predicted.mean()) if n else None
    metrics["mean_realised"] = float(realised.mean()) if n else None
    metrics["weighted_mean_predicted"] = None
    metrics["weighted_mean_realised"] = None
    weights = None
    if exposure is not None:
        valid = np.isfinite(exposure) & (exposure >= 0)
        weights = np.where(valid, exposure, 0.0)
        metrics["weighted_mean_predicted"], _ = _attempt(lambda: _weighted_mean(predicted[valid], weights[valid]))
        metrics["weighted_mean_realised"], _ = _attempt(lambda: _weighted_mean(realised[valid], weights[valid]))

    # 2. Errors.
    errors = backtest.error_metrics(predicted, realised, exposure=weights)
    # NOTE: realised values near 0 inflate MAPE without bound. It stays because the
    # original front end colours it, and R-squared and MAE are reported beside it.
    metrics["MAPE"] = errors.mape
    metrics["R-squared"] = errors.r_squared
    metrics["MAE"] = errors.mae
    metrics["RMSE"] = errors.rmse
    metrics["Bias"] = errors.bias
    metrics["loss_shortfall"] = errors.loss_shortfall
    metrics["weighted_MAE"] = errors.weighted_mae
    metrics["mape_excluded_zero_realised"] = errors.mape_excluded_zero_realised
    tests["errors"] = errors.to_dict()

    # 3. Calibration: the one-sided t-test of realised against estimated.
    result, error = _attempt(lambda: t_test(predicted, realised))
    if error is None:
        tests["t_test"] = metric_entry(result.statistic, status_pvalue(result.pvalue, thresholds), **result.to_dict())
        metrics["t_statistic"] = result.statistic
        metrics["t_pvalue"] = result.pvalue
    else:
        tests["t_test"] = not_computable_entry(error)
        metrics["t_statistic"] = metrics["t_pvalue"] = None

    # 4. Rank ordering: gAUC, its test against initial validation, rank correlations.
    gauc, gauc_error = _attempt(lambda: backtest.generalised_auc(predicted, realised, classes=gauc_classes))
    if gauc_error is None:
        amber, red = thresholds[status_keys.gauc_amber], thresholds[status_keys.gauc_red]
        status = status_higher_is_better(gauc.gauc, amber, red)
        tests["gauc"] = metric_entry(gauc.gauc, status, **gauc.to_dict())
        metrics["gAUC"] = gauc.gauc
        metrics["gAUC_standard_error"] = gauc.standard_error
    else:
        tests["gauc"] = not_computable_entry(gauc_error)
        metrics["gAUC"] = metrics["gAUC_standard_error"] = None

    metrics["gAUC_test_pvalue"] = None
    if gauc_initial is None:
        tests["gauc_test"] = not_computable_entry(
            NotComputable("no gAUC at initial validation was given", "not_requested")
        )
    elif gauc_error is not None:
        tests["gauc_test"] = not_computable_entry(gauc_error, gauc_initial=gauc_initial)
    else:
        comparison, comparison_error = _attempt(
            lambda: backtest.gauc_test(gauc.gauc, gauc.standard_error, gauc_initial)
        )
        if comparison_error is None:
            tests["gauc_test"] = metric_entry(
                comparison.statistic, status_pvalue(comparison.pvalue, thresholds), **comparison.to_dict()
            )
            metrics["gAUC_test_pvalue"] = comparison.pvalue
        else:
            tests["gauc_test"] = not_computable_entry(comparison_error, gauc_initial=gauc_initial)

    correlations, error = _attempt(lambda: backtest.rank_correlations(predicted, realised, quantity=quantity))
    for name in ("spearman", "kendall", "pearson"):
        if error is None:
            value = getattr(correlations, name)
            pvalue = getattr(correlations, f"{name}_pvalue")
            tests[name] = metric_entry(value, None, pvalue=pvalue, n=correlations.n)
            metrics[name] = value
            metrics[f"{name}_pvalue"] = pvalue
        else:
            tests[name] = not_computable_entry(error)
            metrics[name] = metrics[f"{name}_pvalue"] = None

    # 5. Traffic lights of the error metrics.
    tests["MAPE"] = error_entry(errors, "mape", status_keys.mape, thresholds, lower_is_better=True)
    tests["R-squared"] = error_entry(errors, "r_squared", status_keys.r_squared, thresholds, lower_is_better=False)
    note = _mape_note(errors.mape, realised, quantity)
    if note is not None:
        metrics["MAPE_note"] = note
        tests["MAPE"]["note"] = note
        tests["MAPE"]["reliable"] = False
    return {"metrics": metrics, "tests": tests}


# Realised values closer to 0 than this make the percentage errors of MAPE explode.
NEAR_ZERO_REALISED = 0.05


def _mape_note(mape: float | None, realised: np.ndarray, quantity: str) -> str | None:
    """Explain a MAPE above 100 % that comes from realised values near 0, else ``None``."""
    if mape is None or mape <= 100.0:
        return None
    near_zero = int(np.sum((realised != 0) & (np.abs(realised) < NEAR_ZERO_REALISED)))
    if near_zero == 0:
        return None
    return (
        f"MAPE is {mape:,.0f} % because {near_zero} facilities have a realised {quantity} closer to 0 than "
        f"{NEAR_ZERO_REALISED}, where percentage errors explode. Judge accuracy by MAE, RMSE and R-squared instead."
    )


def error_entry(
    errors: backtest.ErrorMetrics,
    name: str,
    threshold_key: str | None,
    thresholds: dict[str, float],
    *,
    lower_is_better: bool,
) -> dict[str, Any]:
    """Build the entry of one error metric (``"mape"``, ``"r_squared"``) with its traffic light.

    ``threshold_key`` names a single threshold, so failing it is amber: no red
    band is configured for MAPE and R-squared. ``None`` leaves the entry uncoloured.
    """
    value = getattr(errors, name)
    if value is None:
        reason = errors.reasons.get(name, {"status": "not_computable", "reason": "undefined for this sample"})
        return {"value": None, "status": reason["status"], "reason": reason["reason"]}
    status = None
    if threshold_key is not None:
        if lower_is_better:
            status = status_lower_is_better(value, thresholds[threshold_key], math.inf)
        else:
            status = status_higher_is_better(value, thresholds[threshold_key], -math.inf)
    return metric_entry(value, status, threshold=thresholds.get(threshold_key) if threshold_key else None)


def decile_data(predicted: np.ndarray, realised: np.ndarray) -> dict[str, Any]:
    """Build the front end's ``decile_data``: percent of facilities by realised (rows) and estimated decile.

    Raises
    ------
    NotComputable
        Fewer facilities than deciles; the caller then leaves ``decile_data`` out.
    """
    table = backtest.decile_table(predicted, realised)
    rows = [
        {"actual_decile": f"D{index + 1}", "values": list(percent), "counts": list(counts)}
        for index, (percent, counts) in enumerate(zip(table.percent, table.counts))
    ]
    counts = np.asarray(table.counts)
    empty_predicted = [f"D{index + 1}" for index in np.flatnonzero(counts.sum(axis=0) == 0)]
    empty_realised = [f"D{index + 1}" for index in np.flatnonzero(counts.sum(axis=1) == 0)]
    data = {
        "data": rows,
        "total_count": table.total_count,
        "rows": "realised decile",
        "columns": "predicted decile",
        "unit": "percent of facilities",
        "empty_predicted_deciles": empty_predicted,
        "empty_realised_deciles": empty_realised,
    }
    if empty_predicted or empty_realised:
        data["note"] = _empty_deciles_note(empty_predicted, empty_realised)
    return data


def _empty_deciles_note(empty_predicted: list[str], empty_realised: list[str]) -> str:
    """Explain why some deciles of the grid hold no facility."""
    parts = []
    if empty_predicted:
        parts.append(f"predicted deciles {', '.join(empty_predicted)}")
    if empty_realised:
        parts.append(f"realised deciles {', '.join(empty_realised)}")
    return (
        f"The {' and the '.join(parts)} hold no facility. Tied values share one decile, as pandas.qcut assigns "
        "them, so a value that many facilities share (such as an LGD of 0 or 1) fills its decile and leaves "
        "the next ones empty."
    )


def summary_statuses(tests: dict[str, Any], entries: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Return ``{metric, value, status}`` for each ``(label, test key)`` pair."""
    statuses = []
    for label, key in entries:
        entry = tests.get(key, {})
        value = entry.get("pvalue") if key.endswith("_test") else entry.get("value")
        status = {"metric": label, "value": value, "status": entry.get("status")}
        if entry.get("note"):
            status["note"] = entry["note"]
        statuses.append(status)
    return statuses


def segment_labels(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return the segment of each row as text, with missing values as ``(missing)``."""
    text = frame[column].astype("string").str.strip()
    return text.mask(text == "").fillna(MISSING_SEGMENT).astype(object)


def check_segment_column(frame: pd.DataFrame, column: str) -> None:
    """Raise ``unknown_column`` (422) when the segment column is not in the dataset."""
    if column not in frame.columns:
        raise ValidationError(
            f"The segment column {column!r} is not in the dataset. Choose one of its columns.",
            code="unknown_column",
            details={"segment_column": column, "columns": [str(name) for name in frame.columns]},
        )


def numeric_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as floats (missing or non-numeric values as NaN), or all NaN when absent."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


# --------------------------------------------------------------------------- LGD analysis


def _open_workouts(frame: pd.DataFrame) -> pd.Series:
    if "workout_status" not in frame.columns:
        return pd.Series(False, index=frame.index)
    status = frame["workout_status"].astype("string").str.strip().str.casefold()
    return status.isin(OPEN_WORKOUT_STATUSES).fillna(False).astype(bool)


def _sample_facilities(frame: pd.DataFrame, mask: pd.Series) -> list[str]:
    if "facility_id" not in frame.columns:
        return [str(index) for index in frame.index[mask][:MAX_LISTED_FACILITIES]]
    return [str(value) for value in frame.loc[mask, "facility_id"].head(MAX_LISTED_FACILITIES)]


def _lgd_sample(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return the back-testing sample (closed, both LGDs present) and the exclusion counts."""
    predicted = numeric_column(frame, "lgd_predicted")
    realised = numeric_column(frame, "lgd_realised")
    open_workout = _open_workouts(frame)
    closed = ~open_workout
    missing_realised = closed & ~np.isfinite(realised)
    missing_predicted = closed & np.isfinite(realised) & ~np.isfinite(predicted)
    in_sample = closed & np.isfinite(realised) & np.isfinite(predicted)

    sample = frame.loc[in_sample].copy()
    sample["lgd_predicted"] = predicted[in_sample]
    sample["lgd_realised"] = realised[in_sample]
    below_zero = sample["lgd_realised"] < 0
    above_one = sample["lgd_realised"] > 1
    predicted_out = (sample["lgd_predicted"] < 0) | (sample["lgd_predicted"] > 1)
    counts: dict[str, Any] = {
        "rows_selected": int(len(frame)),
        "open_workouts_excluded": int(open_workout.sum()),
        "missing_realised_excluded": int(missing_realised.sum()),
        "missing_predicted_excluded": int(missing_predicted.sum()),
        "facilities": int(in_sample.sum()),
        "realised_below_zero": int(below_zero.sum()),
        "realised_above_one": int(above_one.sum()),
        "realised_out_of_range": int((below_zero | above_one).sum()),
        "predicted_out_of_range": int(predicted_out.sum()),
        "zero_realised": int((sample["lgd_realised"] == 0).sum()),
        "out_of_range_facilities": _sample_facilities(sample, below_zero | above_one),
    }
    if "ead" in frame.columns:
        exposure = numeric_column(sample, "ead")
        counts["exposure_missing"] = int((~np.isfinite(exposure) | (exposure < 0)).sum())
    return sample, counts


# Below this many facilities a back-test's figures rest on too few values to judge a model by.
SMALL_SAMPLE_FACILITIES = 30


def small_sample_warning(facilities: int, quantity: str) -> list[str]:
    """Return a one-item list with a warning when fewer than :data:`SMALL_SAMPLE_FACILITIES` facilities carry the figures."""
    if not 0 < facilities < SMALL_SAMPLE_FACILITIES:
        return []
    return [
        f"Only {facilities} facilities have realised and estimated {quantity}. With fewer than "
        f"{SMALL_SAMPLE_FACILITIES}, one facility moves every figure and the tests have little power: "
        "read the statuses with care or widen the selection."
    ]


def _lgd_warnings(counts: dict[str, Any]) -> list[str]:
    warnings = small_sample_warning(counts["facilities"], "LGD")
    if counts["open_workouts_excluded"]:
        warnings.append(
            f"{counts['open_workouts_excluded']} open workouts have no final realised LGD and are excluded."
        )
    if counts["missing_realised_excluded"]:
        warnings.append(f"{counts['missing_realised_excluded']} closed facilities without realised LGD are excluded.")
    if counts["missing_predicted_excluded"]:
        warnings.append(f"{counts['missing_predicted_excluded']} facilities without predicted LGD are excluded.")
    if counts["realised_out_of_range"]:
        warnings.append(
            f"{counts['realised_out_of_range']} realised LGDs lie outside [0, 1] "
            f"({counts['realised_below_zero']} below 0, {counts['realised_above_one']} above 1). "
            "They are kept unchanged."
        )
    if counts["predicted_out_of_range"]:
        warnings.append(
            f"{counts['predicted_out_of_range']} predicted LGDs lie outside [0, 1]. They are kept unchanged."
        )
    if counts["zero_realised"]:
        warnings.append(f"MAPE leaves out {counts['zero_realised']} facilities with realised LGD 0.")
    if counts.get("exposure_missing"):
        warnings.append(
            f"{counts['exposure_missing']} facilities without a valid EAD are left out of the weighted figures."
        )
    return warnings


def _reference_gauc(
    reference_frame: pd.DataFrame | None, options: LGDOptions
) -> tuple[float | None, str | None, list[str]]:
    """Return the initial-validation gAUC, its source and warnings."""
    if options.reference_gauc is not None:
        return options.reference_gauc, "option", []
    if reference_frame is None:
        return None, None, []

    # Portfolio and model filters carry over to the reference sample, the quarter does not.
    reference_filters = MonitoringFilters(portfolio=options.portfolio, modelName=options.modelName)
    try:
        selected = apply_filters(reference_frame, reference_filters, dataset_kind="reference LGD")
    except ValidationError:
        message = "The reference dataset has no rows for the selected portfolio and model, so the gAUC test is skipped."
        return None, None, [message]
    sample, _ = _lgd_sample(selected)
    result, error = _attempt(
        lambda: backtest.generalised_auc(
            sample["lgd_predicted"].to_numpy(), sample["lgd_realised"].to_numpy(), classes=options.gauc_classes
        )
    )
    if error is not None:
        message = f"The gAUC of the reference dataset is not computable ({error.reason}), so the gAUC test is skipped."
        return None, None, [message]
    return result.gauc, "reference_frame", []


def _lgd_reference_period(
    frame: pd.DataFrame,
    current: pd.DataFrame,
    options: LGDOptions,
    thresholds: dict[str, float],
    gauc_initial: float | None,
    current_metrics: dict[str, Any],
) -> dict[str, Any]:
    """Build the ``reference`` block: the figures of the reference period and the changes since."""
    assert options.reference_period is not None
    reference_rows = select_reference_rows(frame, options, "LGD")
    check_reference_period_rows(current, reference_rows, options)
    sample, counts = _lgd_sample(reference_rows)
    if sample.empty:
        raise empty_reference_period(
            options, "has a closed workout with both predicted and realised LGD", "closed workouts", counts
        )
    figures = _lgd_scope(sample, options, thresholds, gauc_initial)
    return reference_block(options, figures, counts, _lgd_warnings(counts), current_metrics, LGD_COMPARED_METRICS)


def empty_reference_period(
    options: BacktestOptions, lacking: str, advice: str, counts: dict[str, Any]
) -> ValidationError:
    """Return the ``empty_sample`` error of a reference period without usable facilities."""
    period = options.reference_period
    assert period is not None
    return ValidationError(
        f"Option reference_period: no facility dated from {period.start} to {period.end} {lacking}. "
        f"Choose a period with {advice}.",
        code="empty_sample",
        details={"option": "reference_period", "value": period.model_dump(), "counts": counts},
    )


def reference_block(
    options: BacktestOptions,
    figures: dict[str, Any],
    counts: dict[str, Any],
    warnings: list[str],
    current_metrics: dict[str, Any],
    compared: Sequence[str],
    **extra: Any,
) -> dict[str, Any]:
    """Return the ``reference`` block: the reference figures and their differences from the current ones."""
    assert options.reference_period is not None
    return {
        "period": options.reference_period.model_dump(),
        "metrics": figures["metrics"],
        "tests": figures["tests"],
        **extra,
        "counts": counts,
        "warnings": warnings,
        "difference": metric_differences(current_metrics, figures["metrics"], compared),
    }


def _lgd_scope(
    sample: pd.DataFrame, options: LGDOptions, thresholds: dict[str, float], gauc_initial: float | None
) -> dict[str, Any]:
    exposure = sample["ead"].to_numpy(dtype=float) if "ead" in sample.columns else None
    return backtest_figures(
        sample["lgd_predicted"].to_numpy(),
        sample["lgd_realised"].to_numpy(),
        exposure=exposure,
        quantity="LGD",
        t_test=backtest.lgd_t_test,
        thresholds=thresholds,
        status_keys=LGD_STATUS_KEYS,
        gauc_classes=options.gauc_classes,
        gauc_initial=gauc_initial,
    )


def analyze_lgd(
    frame: pd.DataFrame,
    options: LGDOptions,
    thresholds: dict[str, float] | None,
    *,
    reference_frame: pd.DataFrame | None = None,
    reference_is_current: bool = False,
) -> dict[str, Any]:
    """Back-test an LGD model on the selected facilities, overall and per segment.

    Parameters
    ----------
    frame : pandas.DataFrame
        Facility rows with the canonical columns ``lgd_predicted``,
        ``lgd_realised`` and optionally ``segment``, ``period``,
        ``period_label``, ``model_name``, ``ead``, ``collateral``,
        ``workout_status`` and ``facility_id``.
    options : LGDOptions
        Filters, periods, segment column, gAUC class scheme and initial gAUC.
    thresholds : dict or None
        Thresholds in force; missing keys take their defaults.
    reference_frame : pandas.DataFrame, optional
        Initial-validation dataset. Its gAUC is the reference of the gAUC
        test unless ``options.reference_gauc`` is given.
    reference_is_current : bool
        True when ``reference_frame`` contains the same data as ``frame``.

    Returns
    -------
    dict
        Strict-JSON results with ``metrics``, ``tests``, ``segments``,
        ``plot_data``, ``decile_data`` (left out below 10 facilities),
        ``additional_data``, ``summary_statuses``, ``counts``, ``parameters``
        and ``warnings``. ``additional_data`` lists the quarter, portfolio and
        model combinations of the whole dataset, not of the selection, so the
        front end's dropdowns keep every choice after a filter is applied.
        With ``reference_period``, ``reference`` holds ``period``,
        ``metrics``, ``tests``, ``counts`` and ``warnings`` of the reference
        rows, and ``difference`` (current minus reference) of
        :data:`LGD_COMPARED_METRICS`.

    Raises
    ------
    mmt.errors.ValidationError
        ``empty_selection`` when no row matches the filters, ``unknown_column``
        for a missing segment column, ``missing_column`` without both LGD
        columns, ``empty_sample`` when no closed facility has both LGDs in
        the current or reference rows, ``missing_date_column`` or
        ``empty_period`` when a period cannot select rows,
        ``reference_equals_current`` when the reference period or dataset
        selects exactly the current rows.
    """
    thresholds = resolve_thresholds(thresholds)
    for column in ("lgd_predicted", "lgd_realised"):
        if column not in frame.columns:
            raise ValidationError(
                f"The LGD dataset has no {column} column. Map the predicted and realised LGD columns.",
                code="missing_column",
                details={"column": column},
            )
    segmented = options.segment_column in frame.columns
    if options.segment_column != "segment":
        check_segment_column(frame, options.segment_column)

    selected = select_current_rows(apply_filters(frame, options, dataset_kind="LGD"), options, "LGD")
    sample, counts = _lgd_sample(selected)
    counts["rows_total"] = int(len(frame))
    if sample.empty:
        raise ValidationError(
            "No selected facility has a closed workout with both predicted and realised LGD.",
            code="empty_sample",
            details={"filters": options.selected(), **period_parameters(options), "counts": counts},
        )

    warnings = _lgd_warnings(counts)
    if reference_is_current and reference_frame is not None and options.reference_gauc is None:
        reference_rows = apply_filters(frame, MonitoringFilters(portfolio=options.portfolio,
                                                                modelName=options.modelName), dataset_kind="LGD")
        warnings.extend(check_reference_dataset_rows(selected, reference_rows, "LGD"))
    gauc_initial, reference_source, reference_warnings = _reference_gauc(reference_frame, options)
    warnings.extend(reference_warnings)
    warnings.extend(period_overlap_warning(options))

    overall = _lgd_scope(sample, options, thresholds, gauc_initial)
    reference = None
    if options.reference_period is not None:
        reference = _lgd_reference_period(frame, selected, options, thresholds, gauc_initial, overall["metrics"])
    segments = []
    if segmented:
        labels = segment_labels(sample, options.segment_column)
        selected_labels = segment_labels(selected, options.segment_column)
        open_by_segment = _open_workouts(selected).groupby(selected_labels).sum()
        for label in sorted(labels.unique()):
            part = sample.loc[labels == label]
            figures = _lgd_scope(part, options, thresholds, gauc_initial=None)
            figures["tests"]["gauc_test"] = dict(PORTFOLIO_ONLY_GAUC_TEST)
            realised = part["lgd_realised"]
            figures["segment"] = label
            figures["counts"] = {
                "facilities": int(len(part)),
                "open_workouts_excluded": int(open_by_segment.get(label, 0)),
                "realised_below_zero": int((realised < 0).sum()),
                "realised_above_one": int((realised > 1).sum()),
            }
            segments.append(figures)

    predicted = sample["lgd_predicted"].to_numpy()
    realised = sample["lgd_realised"].to_numpy()
    plot_predicted, plot_realised = backtest.sample_points(predicted, realised, max_points=options.max_scatter_points)
    results: dict[str, Any] = {
        "model_type": "lgd",
        "metrics": overall["metrics"],
        "tests": overall["tests"],
        "segments": segments,
        "plot_data": {
            "actual_lgd": plot_realised,
            "predicted_lgd": plot_predicted,
            "total_points": int(predicted.size),
            "sampled": bool(plot_predicted.size < predicted.size),
        },
        "additional_data": additional_data(frame),
        "summary_statuses": summary_statuses(
            overall["tests"],
            [
                ("MAPE", "MAPE"),
                ("R-squared", "R-squared"),
                ("gAUC", "gauc"),
                ("LGD t-test p-value", "t_test"),
                ("gAUC test p-value", "gauc_test"),
            ],
        ),
        "counts": counts,
        "parameters": {
            "filters": options.selected(),
            **period_parameters(options),
            "segment_column": options.segment_column if segmented else None,
            "gauc_classes": options.gauc_classes,
            "gauc_initial": gauc_initial,
            "gauc_initial_source": reference_source,
            "loss_shortfall_weighting": "exposure" if "ead" in sample.columns else "none",
            "max_scatter_points": options.max_scatter_points,
            "out_of_range_policy": "kept",
            "thresholds": {key: thresholds[key] for key in sorted(thresholds) if key.startswith(("lgd_", "pvalue_"))},
        },
        "warnings": warnings,
    }
    if reference is not None:
        results["reference"] = reference
    deciles, error = _attempt(lambda: decile_data(predicted, realised))
    if error is None:
        results["decile_data"] = deciles
    else:
        warnings.append(f"The decile table is left out: {error.reason}.")
    return to_jsonable(results)
