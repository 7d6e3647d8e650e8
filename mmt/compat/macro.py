"""The macro page: ``POST /api/analyze/macro`` in the original front end's shape.

The page studies the model error, prediction minus actual default rate. The
prediction is the file's fitted column (``pred_dr`` in the sample file) when
there is one, else the regression MMT re-estimates. Every test comes from
the stored macro results. This module only adds the chart points of the QQ
plot and the error histogram, because the analysis does not store them.

Mandatory numbers that are undefined (a test that cannot run on the series)
are sent as 0 with the reason in ``Interpretation``. ``null`` is sent only
where the page prints a value through ``Number(...)``, as in the stationarity tab.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

# The Summary chart of the page plots these two keys of time_series_data.
PAGE_ACTUAL_KEY = "Defaultrate"
PAGE_PREDICTED_KEY = "pred_dr"
DATE_KEY = "snapshot_ccyymm"
NORMAL_CURVE_POINTS = 100


@dataclass(frozen=True, slots=True)
class ErrorSource:
    """The prediction the page studies and the stored tests on its errors."""

    description: str
    actual: list[float]
    predicted: list[float]
    errors: list[float]
    tests: dict[str, Any]
    acf: dict[str, Any] | None
    pacf: dict[str, Any] | None
    adjusted_r_squared: float | None
    r_squared: float | None
    rmse: float | None
    trend: dict[str, Any] | None


def adapt_macro(results: dict[str, Any], *, analysis_result_id: int | None) -> dict[str, Any]:
    """Reshape stored macro results into the page's ``MacroModelResults``."""
    series = results.get("time_series_data") or {}
    source = error_source(results)
    return {
        "success": True,
        "prediction_source": source.description,
        "normality_results": {"model_error": normality(source)},
        "autocorrelation_results": {"model_error": autocorrelation(source)},
        "heteroscedasticity_results": heteroscedasticity(source),
        "comparison_results": comparison(source),
        "stationarity_results": stationarity(results.get("stationarity_tests") or {}),
        "time_series_data": time_series_records(series),
        "analysis_result_id": analysis_result_id,
        "warnings": [str(warning) for warning in results.get("warnings") or []],
    }


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _pairs(actual: list[Any], predicted: list[Any]) -> tuple[list[float], list[float]]:
    finite_pairs = [(a, p) for a, p in zip(actual, predicted) if _finite(a) and _finite(p)]
    return [a for a, _ in finite_pairs], [p for _, p in finite_pairs]


def error_source(results: dict[str, Any]) -> ErrorSource:
    """Pick the file's fitted column when present, else MMT's re-estimated regression."""
    series = results.get("time_series_data") or {}
    diagnostics = results.get("diagnostics") or {}
    performance = results.get("performance_metrics") or {}
    actual = list(series.get("actual") or [])
    supplied = diagnostics.get("supplied_fitted")
    if isinstance(supplied, dict) and series.get("fitted") is not None:
        kept_actual, kept_predicted = _pairs(actual, series["fitted"])
        metrics = performance.get("supplied_fitted") or {}
        sample = metrics.get("full_sample") or metrics.get("in_sample") or {}
        figures = sample.get("original") or {}
        trend = metrics.get("fitted_on_actual") or {}
        return ErrorSource(
            description=f"fitted column {series.get('fitted_column')} of the file",
            actual=kept_actual,
            predicted=kept_predicted,
            errors=[p - a for a, p in zip(kept_actual, kept_predicted)],
            tests=supplied.get("tests") or {},
            acf=series.get("fitted_error_acf"),
            pacf=series.get("fitted_error_pacf"),
            adjusted_r_squared=trend.get("adj_r_squared"),
            r_squared=figures.get("r_squared"),
            rmse=figures.get("rmse"),
            trend=trend if trend.get("slope") is not None else None,
        )
    model_tests = (diagnostics.get("model") or {}).get("tests")
    if isinstance(model_tests, dict) and series.get("model_fitted") is not None:
        kept_actual, kept_predicted = _pairs(actual, series["model_fitted"])
        figures = (((performance.get("model") or {}).get("in_sample") or {}).get("original")) or {}
        # NOTE: with a transformed target the stored tests are on the transformed
        # residuals, while the charts show errors on the default-rate scale.
        return ErrorSource(
            description="regression re-estimated by MMT (the file has no fitted column)",
            actual=kept_actual,
            predicted=kept_predicted,
            errors=[p - a for a, p in zip(kept_actual, kept_predicted)],
            tests=model_tests,
            acf=series.get("residual_acf"),
            pacf=series.get("residual_pacf"),
            adjusted_r_squared=figures.get("adj_r_squared"),
            r_squared=figures.get("r_squared"),
            rmse=figures.get("rmse"),
            trend=None,
        )
    return ErrorSource("no prediction: no fitted column and no regression", [], [], [], {}, None, None,
                       None, None, None, None)


def _not_computable(test: Any, name: str) -> str:
    reason = test.get("reason") if isinstance(test, dict) else None
    return f"{name} is not computable: {reason or 'no prediction errors'}. The page shows 0 because it needs a number."


def normality(source: ErrorSource) -> dict[str, Any]:
    """Build the Anderson-Darling entry of the model error, with QQ-plot and histogram points."""
    test = source.tests.get("anderson_darling")
    statistic = test.get("statistic") if isinstance(test, dict) else None
    details = (test.get("details") or {}) if isinstance(test, dict) else {}
    if _finite(statistic):
        entry = {
            "AD Statistic": statistic,
            "Critical Values": list(details.get("critical_values") or []),
            "Significance Level": list(details.get("significance_levels_percent") or []),
            "p-value": test.get("p_value"),
            "Interpretation": test.get("conclusion"),
        }
    else:
        entry = {"AD Statistic": 0.0, "Critical Values": [], "Significance Level": [], "p-value": None,
                 "Interpretation": _not_computable(test, "Anderson-Darling")}
    entry.update(error_charts(source.errors))
    return entry


def error_charts(errors: list[float]) -> dict[str, Any]:
    """Return the QQ plot and the density histogram of ``errors`` (empty when fewer than 3 or constant).

    The QQ plot pairs the sorted standardised errors with the normal
    quantiles at Hazen plotting positions (i - 0.5) / n, and its reference
    line is y = x. The histogram uses NumPy's "auto" bins and density scale,
    under the normal density with the errors' mean and sample standard deviation.
    """
    values = np.asarray(errors, dtype=float)
    if values.size < 3 or float(np.std(values)) == 0.0:
        return {}
    mean = float(values.mean())
    std = float(values.std(ddof=1))
    positions = (np.arange(1, values.size + 1) - 0.5) / values.size
    theoretical = stats.norm.ppf(positions)
    standardised = np.sort((values - mean) / std)
    low, high = float(theoretical[0]), float(theoretical[-1])
    density, edges = np.histogram(values, bins="auto", density=True)
    grid = np.linspace(float(values.min()), float(values.max()), NORMAL_CURVE_POINTS)
    return {
        "qq_plot": {
            "theoretical_quantiles": theoretical.tolist(),
            "sample_quantiles": standardised.tolist(),
            "line": {"x": [low, high], "y": [low, high]},
        },
        "normality_visualization": {
            "histogram": {"x": ((edges[:-1] + edges[1:]) / 2).tolist(), "y": density.tolist()},
            "normal_curve": {"x": grid.tolist(), "y": stats.norm.pdf(grid, loc=mean, scale=std).tolist()},
            "distribution_params": {"mean": mean, "std": std},
        },
    }


def _correlogram(entry: Any, values_key: str) -> dict[str, Any] | None:
    if not isinstance(entry, dict) or not entry.get("values"):
        return None
    return {
        "lags": list(entry["lags"]),
        values_key: list(entry["values"]),
        # Bands around zero: a bar outside them is significant at the stored alpha.
        "confidence_interval": {"upper": list(entry["band_upper"]), "lower": list(entry["band_lower"])},
        "alpha": entry.get("alpha"),
    }


def autocorrelation(source: ErrorSource) -> dict[str, Any]:
    """Build the Durbin-Watson entry of the model error with its reading, and the ACF and PACF."""
    test = source.tests.get("durbin_watson")
    statistic = test.get("statistic") if isinstance(test, dict) else None
    if _finite(statistic):
        interpretation = ((test.get("details") or {}).get("interpretation")) or test.get("conclusion") or ""
        entry: dict[str, Any] = {"DW Statistic": statistic, "Interpretation": interpretation}
    else:
        entry = {"DW Statistic": 0.0, "Interpretation": _not_computable(test, "Durbin-Watson")}
    acf = _correlogram(source.acf, "acf_values")
    pacf = _correlogram(source.pacf, "pacf_values")
    if acf is not None and pacf is not None:
        entry["acf"] = acf
        entry["pacf"] = pacf
    return entry


def heteroscedasticity(source: ErrorSource) -> dict[str, Any]:
    """Build the Breusch-Pagan entry of the model error, with the prediction and error series."""
    test = source.tests.get("breusch_pagan")
    statistic = test.get("statistic") if isinstance(test, dict) else None
    pvalue = test.get("p_value") if isinstance(test, dict) else None
    entry: dict[str, Any] = {"predicted_pd": source.predicted, "model_error": source.errors}
    if _finite(statistic) and _finite(pvalue):
        entry.update({"LM Statistic": statistic, "p-value": pvalue, "Interpretation": test.get("conclusion")})
    else:
        entry.update({"LM Statistic": 0.0, "p-value": 0.0, "Interpretation": _not_computable(test, "Breusch-Pagan")})
    return entry


def comparison(source: ErrorSource) -> dict[str, Any]:
    """Build the adjusted R-squared and RMSE of the prediction, its scatter and its trend line."""
    entry: dict[str, Any] = {
        "actual_default_rate": source.actual,
        "predicted_pd": source.predicted,
        "R-squared": source.r_squared,
    }
    missing = []
    for key, value in (("Adjusted R-squared", source.adjusted_r_squared), ("RMSE", source.rmse)):
        entry[key] = value if _finite(value) else 0.0
        if not _finite(value):
            missing.append(key)
    if missing:
        entry["Interpretation"] = f"{' and '.join(missing)} not computable; the page shows 0 because it needs a number."
    if source.trend is not None:
        entry["trend_line"] = {
            "x": list(source.trend["x"]),
            "y": list(source.trend["y"]),
            "equation": {"slope": source.trend["slope"], "intercept": source.trend["intercept"]},
        }
    return entry


STATIONARITY_FIELDS = (
    ("adf", "ADF Statistic", "ADF p-value"),
    ("kpss", "KPSS Statistic", "KPSS p-value"),
    ("zivot_andrews", "Zivot-Andrews Statistic", "ZA p-value"),
    ("phillips_perron", "Phillips-Perron Statistic", "PP p-value"),
)


def stationarity(tests_by_series: dict[str, Any]) -> dict[str, Any]:
    """Collect the four unit-root tests of every series in levels.

    ``null`` marks a test that could not run (the page prints it as 0), and
    ``KPSS Note`` gives KPSS's look-up-table bound and the reason of any
    missing test.
    """
    table: dict[str, Any] = {}
    for name, entry in tests_by_series.items():
        level = (((entry or {}).get("transformations") or {}).get("level") or {})
        tests = level.get("tests") or {}
        row: dict[str, Any] = {}
        notes = []
        for key, statistic_name, pvalue_name in STATIONARITY_FIELDS:
            test = tests.get(key) if isinstance(tests.get(key), dict) else {}
            statistic, pvalue = test.get("statistic"), test.get("p_value")
            row[statistic_name] = statistic if _finite(statistic) else None
            row[pvalue_name] = pvalue if _finite(pvalue) else None
            if row[statistic_name] is None:
                notes.append(f"{test.get('test') or key} not computable: {test.get('reason') or level.get('reason') or 'no result'}")
        kpss = tests.get("kpss") if isinstance(tests.get("kpss"), dict) else {}
        if kpss.get("p_value_text"):
            notes.insert(0, f"KPSS p-value {kpss['p_value_text']}")
        notes.extend(str(warning) for warning in kpss.get("warnings") or [])
        row["KPSS Note"] = "; ".join(notes)
        table[name] = row
    return table


def time_series_records(series: dict[str, Any]) -> list[dict[str, Any]]:
    """Build one record per date, in time order: date label, actual, prediction and regressors.

    Keys keep the file's column names. The page's Summary chart reads the
    keys ``Defaultrate`` and ``pred_dr``, so the actual and the predicted
    default rate are also sent under those names when the file names them
    otherwise.
    """
    labels = list(series.get("date_labels") or series.get("dates") or [])
    columns: dict[str, list[Any]] = {}
    target = series.get("target") or PAGE_ACTUAL_KEY
    columns[target] = list(series.get("actual") or [])
    predicted_name = series.get("fitted_column")
    predicted = series.get("fitted") if predicted_name else series.get("model_fitted")
    if predicted is not None:
        columns[predicted_name or PAGE_PREDICTED_KEY] = list(predicted)
    for name, values in (series.get("regressors") or {}).items():
        columns.setdefault(name, list(values))
    if PAGE_ACTUAL_KEY not in columns:
        columns[PAGE_ACTUAL_KEY] = columns[target]
    if PAGE_PREDICTED_KEY not in columns and predicted is not None:
        columns[PAGE_PREDICTED_KEY] = list(predicted)
    records = []
    for index, label in enumerate(labels):
        record: dict[str, Any] = {DATE_KEY: label}
        for name, values in columns.items():
            value = values[index] if index < len(values) else None
            record[name] = value if _finite(value) else None
        records.append(record)
    return records
