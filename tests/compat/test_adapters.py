"""Adapters on results with undefined figures: page-mandatory numbers are 0 with a reason, others null."""

from __future__ import annotations

import math

from mmt.compat.backtest import adapt_backtest, full_decile_grid
from mmt.compat.macro import adapt_macro
from mmt.compat.pd import adapt_pd, pd_payload, population_stability
from tests.compat.conftest import is_number

NOT_COMPUTABLE = {"value": None, "status": "insufficient_classes", "reason": "0 defaults out of 10 observations"}


def test_pd_payload_falls_back_to_pd_sorting():
    payload, method = pd_payload({"sortingMethod": "Other", "request_id": "x", "async": True})
    assert method == "PD_1_YR"
    assert payload == {"sortingMethod": "PD_1_YR", "request_id": "x"}


def test_pd_undefined_discrimination_is_zero_with_reason():
    results = {"discrimination": {"gini": NOT_COMPUTABLE, "ks": NOT_COMPUTABLE, "auc": NOT_COMPUTABLE},
               "calibration": {"status": "not_computable", "reason": "no PD column"}, "stability": {"psi": None}}
    body = adapt_pd(results, sorting_method="PD_1_YR", analysis_result_id=None)
    power = body["discriminatory_power"]
    assert power["gini"]["gini_coefficient"] == 0.0
    assert power["ks_test"]["ks_statistic"] == 0.0
    assert "0 defaults out of 10 observations" in power["gini"]["interpretation"]
    assert "calibration" not in body  # the page then shows "No Calibration Data Available"
    assert body["stability"]["psi"] is None
    assert body["variable_assessment"] == {"numeric_variables": {}, "categorical_variables": {}}


def test_pd_rating_sorting_without_ratings_uses_pd():
    results = {"discrimination": {"gini": {"value": 0.5}, "ks": {"value": 0.4}, "auc": {"value": 0.75},
                                  "roc_curve": {"x": [0.0, 0.2, 1.0], "y": [0.0, 0.6, 1.0]},
                                  "cap_curve": {"x": [0.0, 0.3, 1.0], "y": [0.0, 0.6, 1.0]}},
               "calibration": {"grouping": {"by": "pd_quantile_bucket"}, "grades": [], "portfolio": {}}}
    power = adapt_pd(results, sorting_method="TTCReportingRating", analysis_result_id=1)["discriminatory_power"]
    assert power["binning"] == "PD"
    assert "no rating column" in power["gini"]["interpretation"]
    assert power["ks_test"]["ks_curve"]["ks_point"] == {"x": 0.3, "y_good": 0.2, "y_bad": 0.6}


def test_pd_hosmer_lemeshow_is_always_an_object():
    results = {"discrimination": {}, "calibration": {"portfolio": {"hosmer_lemeshow": NOT_COMPUTABLE}, "grades": []}}
    hosmer = adapt_pd(results, sorting_method="PD_1_YR", analysis_result_id=None)["calibration"]["hosmer_lemeshow"]
    assert hosmer["p_value"] is None
    assert "not computable" in hosmer["interpretation"]


def test_psi_without_value_is_null():
    assert population_stability({"psi": {"value": None, "bins": []}}) is None
    assert population_stability({}) is None


def test_backtest_undefined_metrics_are_null_with_reason():
    results = {"metrics": {"MAPE": None, "R-squared": None},
               "tests": {"errors": {"reasons": {"r_squared": {"reason": "constant realised values"}}}},
               "plot_data": {"actual_lgd": [0.5], "predicted_lgd": [0.4]},
               "additional_data": [{"Quarter": None, "Portfolio": "Retail", "ModelName": "M"}]}
    body = adapt_backtest(results, kind="lgd", analysis_result_id=3)
    assert body["metrics"]["MAPE"] is None
    assert body["metrics"]["R-squared"] is None
    assert "constant realised values" in body["interpretation"]
    assert body["additional_data"] == [{"Quarter": "", "Portfolio": "Retail", "ModelName": "M"}]
    assert "decile_data" not in body


def test_decile_grid_must_be_full():
    row = {"actual_decile": "D1", "values": [10.0] + [0.0] * 9}
    assert full_decile_grid({"data": [row] * 10, "total_count": 10}) is not None
    assert full_decile_grid({"data": [row] * 9, "total_count": 10}) is None
    assert full_decile_grid({"data": [{"actual_decile": "D1", "values": [None] * 10}] * 10, "total_count": 10}) is None
    assert full_decile_grid(None) is None


def test_macro_undefined_tests_are_zero_with_reason():
    results = {
        "time_series_data": {"date_labels": ["200312", "200403"], "target": "default_rate", "actual": [0.01, 0.02],
                             "fitted_column": "forecast", "fitted": [0.011, None], "regressors": {"gdp": [1.0, 2.0]},
                             "fitted_error_acf": {"value": None, "status": "too_short", "reason": "short"}},
        "diagnostics": {"supplied_fitted": {"tests": {
            "durbin_watson": {"statistic": None, "reason": "Every residual is zero"},
            "anderson_darling": {"statistic": None, "reason": "too few errors"},
            "breusch_pagan": {"statistic": None, "p_value": None, "reason": "too few errors"},
        }}},
        "performance_metrics": {"supplied_fitted": {"full_sample": {"original": {"rmse": None}}}},
        "stationarity_tests": {"gdp": {"transformations": {"level": {"tests": {
            "adf": {"statistic": -2.0, "p_value": 0.3}, "kpss": {"statistic": None, "reason": "constant"}}}}}},
    }

    body = adapt_macro(results, analysis_result_id=None)
    normality = body["normality_results"]["model_error"]
    assert normality["AD Statistic"] == 0.0
    assert normality["Critical Values"] == []
    assert "qq_plot" not in normality

    autocorrelation = body["autocorrelation_results"]["model_error"]
    assert autocorrelation["DW Statistic"] == 0.0
    assert "no autocorrelation" not in autocorrelation["Interpretation"].lower()
    assert "acf" not in autocorrelation

    hetero = body["heteroscedasticity_results"]
    assert (hetero["LM Statistic"], hetero["p-value"]) == (0.0, 0.0)
    assert hetero["model_error"] == [0.011 - 0.01]

    comparison = body["comparison_results"]
    assert (comparison["Adjusted R-squared"], comparison["RMSE"]) == (0.0, 0.0)
    assert "not computable" in comparison["Interpretation"]

    row = body["stationarity_results"]["gdp"]
    assert row["ADF Statistic"] == -2.0
    assert row["KPSS Statistic"] is None
    assert "constant" in row["KPSS Note"]

    records = body["time_series_data"]
    assert list(records[0]) == ["snapshot_ccyymm", "default_rate", "forecast", "gdp", "Defaultrate", "pred_dr"]
    assert records[1]["forecast"] is None
    assert records[1]["pred_dr"] is None
    for record in records:
        assert all(value is None or isinstance(value, str) or (is_number(value) and math.isfinite(value))
                   for value in record.values())
