"""EAD and CCF back-testing, overall and per segment.

Conventions of the ECB instructions for reporting IRB validation results (CCF):
the realised CCF is ``(EAD at default - drawn) / (limit - drawn)`` with limit
and drawn amount at the reference date. Facilities with no undrawn amount
(fully drawn or over the limit) have no CCF. They are counted and left out of
the CCF figures, and their EAD is tested directly (EAD t-test). The EAD
figures (MAPE, R-squared, EAD ratio) cover every facility with a realised
and an estimated EAD.

The options ``current_period`` and ``reference_period`` compare two periods
of one dataset, as in the LGD analysis.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mmt.analyses.common import metric_entry, not_computable_entry
from mmt.analyses.filters import MonitoringFilters, additional_data, apply_filters, filter_options
from mmt.analyses.lgd import (
    PORTFOLIO_ONLY_GAUC_TEST,
    BacktestOptions,
    StatusKeys,
    backtest_figures,
    check_reference_dataset_rows,
    check_reference_period_rows,
    check_segment_column,
    decile_data,
    empty_reference_period,
    error_entry,
    numeric_column,
    period_overlap_warning,
    period_parameters,
    reference_block,
    small_sample_warning,
    resolve_thresholds,
    segment_labels,
    select_current_rows,
    select_reference_rows,
    summary_statuses,
)
from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable
from mmt.stats import backtest
from mmt.thresholds import status_lower_is_better, status_pvalue

__all__ = ["EADOptions", "analyze_ead", "derive_ead_columns", "ead_filter_options"]

CCF_STATUS_KEYS = StatusKeys("ccf_gauc_threshold", "ccf_gauc_red_threshold")
CCF_QUANTILES = (0.0, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 1.0)
# Figures of the shared back-test that mean nothing for a CCF.
CCF_DROPPED_METRICS = ("loss_shortfall", "weighted_MAE")
# Figures whose change between the reference and the current period the results report.
EAD_COMPARED_METRICS = (
    "MAPE",
    "R-squared",
    "MAE",
    "RMSE",
    "Bias",
    "ead_ratio",
    "ccf_MAPE",
    "ccf_R-squared",
    "ccf_MAE",
    "ccf_RMSE",
    "ccf_Bias",
    "ccf_gAUC",
)


class EADOptions(BacktestOptions):
    """Options of the EAD/CCF analysis; ``reference_gauc`` is the CCF gAUC at initial validation."""


def ead_filter_options(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Return the ``portfolios``, ``quarters`` and ``modelNames`` an EAD dataset offers."""
    return filter_options(frame)


def derive_ead_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the undrawn amount, realised and estimated CCF and estimated EAD where derivable.

    Returns a copy with float columns ``undrawn``, ``fully_drawn`` (bool),
    ``ccf_realised``, ``ccf_predicted``, ``ead_realised`` and ``ead_predicted``
    (NaN where unknown), plus ``ccf_realised_derived`` marking derived values.

    * ``ccf_realised``: given values first, else ``(ead_realised - drawn) / undrawn``.
    * ``ccf_predicted``: given values first, else ``(ead_predicted - drawn) / undrawn``.
    * ``ead_predicted``: given values first, else ``drawn + ccf_predicted * max(undrawn, 0)``.

    No division happens where the undrawn amount is 0 or negative.

    NOTE: a very small positive undrawn amount gives an extreme realised CCF.
    No floor, cap or outlier rule is applied, so such lines are kept as they are.
    """
    derived = frame.copy()
    limit = numeric_column(frame, "limit")
    drawn = numeric_column(frame, "drawn")
    ead_realised = numeric_column(frame, "ead_realised")
    undrawn = limit - drawn
    has_undrawn = np.isfinite(undrawn) & (undrawn > 0)
    safe_undrawn = undrawn.where(has_undrawn)

    ccf_realised = numeric_column(frame, "ccf_realised")
    from_amounts = (ead_realised - drawn) / safe_undrawn
    fill_realised = ~np.isfinite(ccf_realised) & np.isfinite(from_amounts)
    derived["ccf_realised_derived"] = fill_realised
    ccf_realised = ccf_realised.where(~fill_realised, from_amounts)

    ead_predicted = numeric_column(frame, "ead_predicted")
    ccf_predicted = numeric_column(frame, "ccf_predicted")
    ccf_from_ead = (ead_predicted - drawn) / safe_undrawn
    ccf_predicted = ccf_predicted.where(np.isfinite(ccf_predicted), ccf_from_ead)
    ead_from_ccf = drawn + ccf_predicted * undrawn.clip(lower=0)
    ead_predicted = ead_predicted.where(np.isfinite(ead_predicted), ead_from_ccf)

    derived["undrawn"] = undrawn
    derived["fully_drawn"] = np.isfinite(undrawn) & (undrawn <= 0)
    derived["ccf_realised"] = ccf_realised
    derived["ccf_predicted"] = ccf_predicted
    derived["ead_realised"] = ead_realised
    derived["ead_predicted"] = ead_predicted
    return derived


def _counts(frame: pd.DataFrame, has_ccf_inputs: bool) -> dict[str, Any]:
    ead_complete = np.isfinite(frame["ead_realised"]) & np.isfinite(frame["ead_predicted"])
    ccf_candidate = ~frame["fully_drawn"]
    ccf_complete = ccf_candidate & np.isfinite(frame["ccf_realised"]) & np.isfinite(frame["ccf_predicted"])
    return {
        "rows_selected": int(len(frame)),
        "facilities": int(ead_complete.sum()),
        "ead_missing_excluded": int((~ead_complete).sum()),
        "fully_drawn_excluded": int(frame["fully_drawn"].sum()),
        "ccf_facilities": int(ccf_complete.sum()),
        "ccf_missing_excluded": int((ccf_candidate & ~ccf_complete).sum()) if has_ccf_inputs else 0,
        "ccf_realised_derived": int((frame["ccf_realised_derived"] & ccf_complete).sum()),
        "ccf_realised_below_zero": int((ccf_complete & (frame["ccf_realised"] < 0)).sum()),
        "ccf_realised_above_one": int((ccf_complete & (frame["ccf_realised"] > 1)).sum()),
        "zero_realised_ead": int((ead_complete & (frame["ead_realised"] == 0)).sum()),
    }


def _warnings(counts: dict[str, Any], has_ccf_inputs: bool) -> list[str]:
    warnings = small_sample_warning(counts["facilities"], "EAD")
    if counts["fully_drawn_excluded"]:
        warnings.append(
            f"{counts['fully_drawn_excluded']} fully drawn facilities (no undrawn amount) have no CCF "
            "and are left out of the CCF figures."
        )
    if counts["ead_missing_excluded"]:
        warnings.append(
            f"{counts['ead_missing_excluded']} facilities without realised or estimated EAD "
            "are left out of the EAD figures."
        )
    if counts["ccf_missing_excluded"]:
        warnings.append(
            f"{counts['ccf_missing_excluded']} facilities without realised or estimated CCF "
            "are left out of the CCF figures."
        )
    if not has_ccf_inputs:
        warnings.append("The dataset has no CCF and no limit and drawn amount, so only EAD figures are computed.")
    outside = counts["ccf_realised_below_zero"] + counts["ccf_realised_above_one"]
    if outside:
        warnings.append(
            f"{outside} realised CCFs lie outside [0, 1] ({counts['ccf_realised_below_zero']} below 0, "
            f"{counts['ccf_realised_above_one']} above 1). They are kept unchanged."
        )
    if counts["zero_realised_ead"]:
        warnings.append(f"MAPE leaves out {counts['zero_realised_ead']} facilities with realised EAD 0.")
    return warnings


def _ead_scope(frame: pd.DataFrame, thresholds: dict[str, float]) -> dict[str, Any]:
    """Return EAD metrics and tests of all facilities with both EADs."""
    complete = np.isfinite(frame["ead_realised"]) & np.isfinite(frame["ead_predicted"])
    predicted = frame.loc[complete, "ead_predicted"].to_numpy(dtype=float)
    realised = frame.loc[complete, "ead_realised"].to_numpy(dtype=float)
    n = int(predicted.size)
    errors = backtest.error_metrics(predicted, realised)
    metrics: dict[str, Any] = {
        "facilities": n,
        "MAPE": errors.mape,
        "R-squared": errors.r_squared,
        "MAE": errors.mae,
        "RMSE": errors.rmse,
        "Bias": errors.bias,
        "mean_realised_ead": float(realised.mean()) if n else None,
        "mean_predicted_ead": float(predicted.mean()) if n else None,
        "sum_realised_ead": float(realised.sum()),
        "sum_predicted_ead": float(predicted.sum()),
    }
    tests: dict[str, Any] = {"errors": errors.to_dict()}

    tests["MAPE"] = error_entry(errors, "mape", "ead_mape_threshold", thresholds, lower_is_better=True)
    tests["R-squared"] = error_entry(errors, "r_squared", "ead_r2_threshold", thresholds, lower_is_better=False)

    try:
        ratio = backtest.ead_ratio(predicted, realised)
        status = status_lower_is_better(ratio, thresholds["ead_ratio_threshold"], thresholds["ead_ratio_red_threshold"])
        tests["ead_ratio"] = metric_entry(ratio, status)
        metrics["ead_ratio"] = ratio
    except NotComputable as error:
        tests["ead_ratio"] = not_computable_entry(error)
        metrics["ead_ratio"] = None
    try:
        share = backtest.exceedance_share(predicted, realised)
        tests["realised_exceeds_predicted"] = metric_entry(share, None, count=int((realised > predicted).sum()))
        metrics["realised_exceeds_predicted_share"] = share
    except NotComputable as error:
        tests["realised_exceeds_predicted"] = not_computable_entry(error)
        metrics["realised_exceeds_predicted_share"] = None

    # The ECB tests the EAD directly only for facilities outside the CCF approach (fully drawn).
    direct = complete & frame["fully_drawn"]
    metrics["fully_drawn_facilities"] = int(direct.sum())
    try:
        result = backtest.ead_t_test(
            frame.loc[direct, "ead_predicted"].to_numpy(dtype=float),
            frame.loc[direct, "ead_realised"].to_numpy(dtype=float),
        )
        tests["t_test"] = metric_entry(result.statistic, status_pvalue(result.pvalue, thresholds), **result.to_dict())
        metrics["t_statistic"] = result.statistic
        metrics["t_pvalue"] = result.pvalue
    except NotComputable as error:
        tests["t_test"] = not_computable_entry(error, sample="fully drawn facilities")
        metrics["t_statistic"] = metrics["t_pvalue"] = None
    return {"metrics": metrics, "tests": tests}


def _ccf_sample(frame: pd.DataFrame) -> pd.DataFrame:
    complete = ~frame["fully_drawn"] & np.isfinite(frame["ccf_realised"]) & np.isfinite(frame["ccf_predicted"])
    return frame.loc[complete]


def _ccf_quantiles(realised: np.ndarray) -> dict[str, float] | None:
    if realised.size == 0:
        return None
    values = np.quantile(realised, CCF_QUANTILES)
    return {f"{int(round(level * 100))}%": float(value) for level, value in zip(CCF_QUANTILES, values)}


def _ccf_scope(
    frame: pd.DataFrame, options: EADOptions, thresholds: dict[str, float], gauc_initial: float | None
) -> dict[str, Any]:
    """Return CCF metrics (keys prefixed ``ccf_``) and tests of facilities with an undrawn amount.

    Without such facilities every figure is ``None`` with its reason.
    """
    sample = _ccf_sample(frame)
    undrawn = sample["undrawn"].to_numpy(dtype=float)
    exposure = undrawn if np.isfinite(undrawn).all() else None
    figures = backtest_figures(
        sample["ccf_predicted"].to_numpy(dtype=float),
        sample["ccf_realised"].to_numpy(dtype=float),
        exposure=exposure,
        quantity="CCF",
        t_test=backtest.ccf_t_test,
        thresholds=thresholds,
        status_keys=CCF_STATUS_KEYS,
        gauc_classes=options.gauc_classes,
        gauc_initial=gauc_initial,
    )
    for name in CCF_DROPPED_METRICS:
        figures["metrics"].pop(name, None)
    metrics = {f"ccf_{key}": value for key, value in figures["metrics"].items()}
    return {
        "metrics": metrics,
        "tests": figures["tests"],
        "quantiles": _ccf_quantiles(sample["ccf_realised"].to_numpy(dtype=float)),
    }


def _reference_gauc(
    reference_frame: pd.DataFrame | None, options: EADOptions
) -> tuple[float | None, str | None, list[str]]:
    """Return the initial-validation CCF gAUC, its source and warnings."""
    if options.reference_gauc is not None:
        return options.reference_gauc, "option", []
    if reference_frame is None:
        return None, None, []
    reference_filters = MonitoringFilters(portfolio=options.portfolio, modelName=options.modelName)
    try:
        selected = apply_filters(reference_frame, reference_filters, dataset_kind="reference EAD")
    except ValidationError:
        message = (
            "The reference dataset has no rows for the selected portfolio and model, so the CCF gAUC test is skipped."
        )
        return None, None, [message]
    sample = _ccf_sample(derive_ead_columns(selected))
    try:
        result = backtest.generalised_auc(
            sample["ccf_predicted"].to_numpy(dtype=float),
            sample["ccf_realised"].to_numpy(dtype=float),
            classes=options.gauc_classes,
        )
    except NotComputable as error:
        message = (
            f"The CCF gAUC of the reference dataset is not computable ({error.reason}), so the gAUC test is skipped."
        )
        return None, None, [message]
    return result.gauc, "reference_frame", []


def _scope(
    frame: pd.DataFrame, options: EADOptions, thresholds: dict[str, float], gauc_initial: float | None
) -> dict[str, Any]:
    ead = _ead_scope(frame, thresholds)
    ccf = _ccf_scope(frame, options, thresholds, gauc_initial)
    return {
        "metrics": {**ead["metrics"], **ccf["metrics"]},
        "tests": {"ead": ead["tests"], "ccf": ccf["tests"]},
        "ccf_realised_quantiles": ccf["quantiles"],
    }


def _reference_period(
    frame: pd.DataFrame,
    current: pd.DataFrame,
    options: EADOptions,
    thresholds: dict[str, float],
    gauc_initial: float | None,
    has_ccf_inputs: bool,
    current_metrics: dict[str, Any],
) -> dict[str, Any]:
    """Build the ``reference`` block: the figures of the reference period and the changes since."""
    assert options.reference_period is not None
    reference_rows = select_reference_rows(frame, options, "EAD")
    check_reference_period_rows(current, reference_rows, options)
    rows = derive_ead_columns(reference_rows)
    counts = _counts(rows, has_ccf_inputs)
    if counts["facilities"] == 0 and counts["ccf_facilities"] == 0:
        raise empty_reference_period(
            options, "has both realised and estimated EAD or CCF", "complete facilities", counts
        )
    figures = _scope(rows, options, thresholds, gauc_initial)
    return reference_block(
        options, figures, counts, _warnings(counts, has_ccf_inputs), current_metrics, EAD_COMPARED_METRICS,
        ccf_realised_quantiles=figures["ccf_realised_quantiles"],
    )


def _plot_data(frame: pd.DataFrame, max_points: int) -> dict[str, Any]:
    complete = np.isfinite(frame["ead_realised"]) & np.isfinite(frame["ead_predicted"])
    realised = frame.loc[complete, "ead_realised"].to_numpy(dtype=float)
    predicted = frame.loc[complete, "ead_predicted"].to_numpy(dtype=float)
    plot_realised, plot_predicted = backtest.sample_points(realised, predicted, max_points=max_points)
    ccf = _ccf_sample(frame)
    ccf_realised, ccf_predicted = backtest.sample_points(
        ccf["ccf_realised"].to_numpy(dtype=float), ccf["ccf_predicted"].to_numpy(dtype=float), max_points=max_points
    )
    return {
        "actual_ead": plot_realised,
        "predicted_ead": plot_predicted,
        "total_points": int(realised.size),
        "sampled": bool(plot_realised.size < realised.size),
        "actual_ccf": ccf_realised,
        "predicted_ccf": ccf_predicted,
        "ccf_total_points": int(len(ccf)),
    }


def analyze_ead(
    frame: pd.DataFrame,
    options: EADOptions,
    thresholds: dict[str, float] | None,
    *,
    reference_frame: pd.DataFrame | None = None,
    reference_is_current: bool = False,
) -> dict[str, Any]:
    """Back-test an EAD/CCF model on the selected facilities, overall and per segment.

    Parameters
    ----------
    frame : pandas.DataFrame
        Facility rows with the canonical columns ``ead_realised`` and some of
        ``limit``, ``drawn``, ``ccf_predicted``, ``ead_predicted``,
        ``ccf_realised``, ``segment``, ``period``, ``period_label``,
        ``model_name`` and ``facility_id``.
    options : EADOptions
        Filters, periods, segment column, gAUC class scheme and initial CCF gAUC.
    thresholds : dict or None
        Thresholds in force; missing keys take their defaults.
    reference_frame : pandas.DataFrame, optional
        Initial-validation dataset. Its CCF gAUC is the reference of the gAUC
        test unless ``options.reference_gauc`` is given.
    reference_is_current : bool
        True when ``reference_frame`` contains the same data as ``frame``.

    Returns
    -------
    dict
        Strict-JSON results with ``metrics`` (EAD figures, CCF figures prefixed
        ``ccf_``), ``tests`` (``ead`` and ``ccf``), ``segments``, ``plot_data``,
        ``decile_data`` (EAD) and ``ccf_decile_data`` (each left out below 10
        facilities), ``additional_data``, ``summary_statuses``, ``counts``,
        ``parameters`` and ``warnings``. With ``reference_period``,
        ``reference`` holds ``period``, ``metrics``, ``tests``,
        ``ccf_realised_quantiles``, ``counts`` and ``warnings`` of the
        reference rows, and ``difference`` (current minus reference) of
        :data:`EAD_COMPARED_METRICS`.

    Raises
    ------
    mmt.errors.ValidationError
        ``empty_selection`` when no row matches the filters, ``unknown_column``
        for a missing segment column, ``missing_column`` without realised EAD,
        ``empty_sample`` when no facility of the current or reference rows has
        EAD or CCF figures, ``missing_date_column`` or ``empty_period`` when a
        period cannot select rows, ``reference_equals_current`` when the
        reference period or dataset selects exactly the current rows.
    """
    thresholds = resolve_thresholds(thresholds)
    if "ead_realised" not in frame.columns and "ccf_realised" not in frame.columns:
        raise ValidationError(
            "The EAD dataset has no realised EAD column. Map the realised EAD (exposure at default) column.",
            code="missing_column",
            details={"column": "ead_realised"},
        )
    segmented = options.segment_column in frame.columns
    if options.segment_column != "segment":
        check_segment_column(frame, options.segment_column)

    selected = derive_ead_columns(
        select_current_rows(apply_filters(frame, options, dataset_kind="EAD"), options, "EAD")
    )
    has_ccf_inputs = "ccf_realised" in frame.columns or {"limit", "drawn"} <= set(frame.columns)
    counts = _counts(selected, has_ccf_inputs)
    counts["rows_total"] = int(len(frame))
    if counts["facilities"] == 0 and counts["ccf_facilities"] == 0:
        raise ValidationError(
            "No selected facility has both realised and estimated EAD or CCF.",
            code="empty_sample",
            details={"filters": options.selected(), **period_parameters(options), "counts": counts},
        )
    warnings = _warnings(counts, has_ccf_inputs)
    if reference_is_current and reference_frame is not None and options.reference_gauc is None:
        reference_rows = apply_filters(frame, MonitoringFilters(portfolio=options.portfolio,
                                                                modelName=options.modelName), dataset_kind="EAD")
        warnings.extend(check_reference_dataset_rows(selected, reference_rows, "EAD"))
    gauc_initial, reference_source, reference_warnings = _reference_gauc(reference_frame, options)
    warnings.extend(reference_warnings)
    warnings.extend(period_overlap_warning(options))

    overall = _scope(selected, options, thresholds, gauc_initial)
    reference = None
    if options.reference_period is not None:
        reference = _reference_period(
            frame, selected, options, thresholds, gauc_initial, has_ccf_inputs, overall["metrics"]
        )
    segments = []
    if segmented:
        labels = segment_labels(selected, options.segment_column)
        for label in sorted(labels.unique()):
            part = selected.loc[labels == label]
            figures = _scope(part, options, thresholds, None)
            figures["tests"]["ccf"]["gauc_test"] = dict(PORTFOLIO_ONLY_GAUC_TEST)
            figures["segment"] = label
            figures["counts"] = _counts(part, has_ccf_inputs)
            segments.append(figures)

    ccf_tests = overall["tests"]["ccf"]
    ead_tests = overall["tests"]["ead"]
    statuses = summary_statuses(
        ead_tests,
        [("MAPE", "MAPE"), ("R-squared", "R-squared"), ("EAD ratio", "ead_ratio"), ("EAD t-test p-value", "t_test")],
    )
    statuses += summary_statuses(
        ccf_tests, [("CCF gAUC", "gauc"), ("CCF t-test p-value", "t_test"), ("CCF gAUC test p-value", "gauc_test")]
    )
    results: dict[str, Any] = {
        "model_type": "ead",
        "metrics": overall["metrics"],
        "tests": overall["tests"],
        "ccf_realised_quantiles": overall["ccf_realised_quantiles"],
        "segments": segments,
        "plot_data": _plot_data(selected, options.max_scatter_points),
        "additional_data": additional_data(frame),
        "summary_statuses": statuses,
        "counts": counts,
        "parameters": {
            "filters": options.selected(),
            **period_parameters(options),
            "segment_column": options.segment_column if segmented else None,
            "gauc_classes": options.gauc_classes,
            "gauc_initial": gauc_initial,
            "gauc_initial_source": reference_source,
            "ccf_weighting": "undrawn amount",
            "max_scatter_points": options.max_scatter_points,
            "out_of_range_policy": "kept",
            "thresholds": {
                key: thresholds[key] for key in sorted(thresholds) if key.startswith(("ead_", "ccf_", "pvalue_"))
            },
        },
        "warnings": warnings,
    }
    if reference is not None:
        results["reference"] = reference

    ead_complete = np.isfinite(selected["ead_realised"]) & np.isfinite(selected["ead_predicted"])
    ccf = _ccf_sample(selected)
    ead_rows = selected.loc[ead_complete]
    decile_inputs = [("decile_data", ead_rows["ead_predicted"], ead_rows["ead_realised"], "EAD")]
    if has_ccf_inputs:
        decile_inputs.append(("ccf_decile_data", ccf["ccf_predicted"], ccf["ccf_realised"], "CCF"))
    for key, predicted, realised, name in decile_inputs:
        try:
            results[key] = decile_data(predicted.to_numpy(dtype=float), realised.to_numpy(dtype=float))
        except NotComputable as error:
            warnings.append(f"The {name} decile table is left out: {error.reason}.")
    return to_jsonable(results)
