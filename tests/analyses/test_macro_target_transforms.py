"""Stationarity of the columns that the macro analysis recognises as transforms of the target.

``lor`` in the original MMT macro file is the log-odds of ``Defaultrate``. It
stays out of the regression, and its unit-root tests are recomputed here with
statsmodels on the same rows and options.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.stattools import adfuller, kpss

from mmt.analyses.macro import analyze_macro
from tests.analyses.test_macro import macro_frame, mmt_frame, strict_json, synthetic_frame

REL = 1e-12
DETERMINISTIC_TERMS = {"n": 0, "c": 1, "ct": 2}


def adf_reference(values: np.ndarray, regression: str = "c", autolag: str = "AIC"):
    """Call adfuller with the analysis's lag cap: the Schwert bound, at most n // 2 - k - 1."""
    schwert = int(math.ceil(12 * (values.size / 100) ** 0.25))
    max_lags = min(schwert, values.size // 2 - DETERMINISTIC_TERMS[regression] - 1)
    return adfuller(values, maxlag=max_lags, regression=regression, autolag=autolag, result_object=True)


def kpss_reference(values: np.ndarray, regression: str = "c"):
    with warnings.catch_warnings():
        # Outside its table statsmodels clips the p-value and warns, and the analysis reports the clipped value.
        warnings.simplefilter("ignore", InterpolationWarning)
        return kpss(values, regression=regression, nlags="auto", result_object=True)


def unit_root_tests(result: dict, column: str, transformation: str) -> dict:
    return result["stationarity_tests"][column]["transformations"][transformation]["tests"]


def test_lor_stationarity_matches_statsmodels():
    frame = mmt_frame()

    result = strict_json(analyze_macro(frame, {}, {}))

    entry = result["stationarity_tests"]["lor"]
    assert entry["role"] == "target_transform"
    assert result["stationarity_tests"]["Defaultrate"]["role"] == "target"
    parameters = result["parameters"]
    assert parameters["target_transforms"] == ["lor"]
    assert "lor" not in parameters["regressors"]
    assert parameters["excluded_columns"]["lor"] == "equals the logit of the target 'Defaultrate'"
    assert set(entry["transformations"]) == {"level", "diff"}

    lor = frame["lor"].to_numpy(dtype=float)
    for transformation, values in (("level", lor), ("diff", np.diff(lor))):
        tests = unit_root_tests(result, "lor", transformation)
        adf = adf_reference(values)
        assert tests["adf"]["statistic"] == pytest.approx(adf.statistic, rel=REL), transformation
        assert tests["adf"]["p_value"] == pytest.approx(adf.pvalue, rel=REL), transformation
        assert tests["adf"]["lags"] == adf.lags, transformation
        reference_kpss = kpss_reference(values)
        assert tests["kpss"]["statistic"] == pytest.approx(reference_kpss.statistic, rel=REL), transformation
        assert tests["kpss"]["p_value"] == pytest.approx(reference_kpss.pvalue, rel=REL), transformation
        assert tests["kpss"]["lags"] == reference_kpss.lags, transformation


def test_lor_has_verdict_statuses():
    result = strict_json(analyze_macro(mmt_frame(), {}, {}))

    by_metric = {entry["metric"]: entry for entry in result["summary_statuses"]}
    for transformation in ("level", "diff"):
        outcome = result["stationarity_tests"]["lor"]["transformations"][transformation]
        status = by_metric[f"stationarity.lor.{transformation}.verdict"]
        assert status["value"] == outcome["verdict"]
        assert status["status"] == outcome["verdict_status"]


def test_lor_follows_target_window_and_options():
    frame = mmt_frame()
    # Missing target values at both ends: the analysis drops these rows for every series.
    frame.loc[[0, 1, len(frame) - 1], "Defaultrate"] = np.nan
    options = {
        "split": "2012Q4",
        "stationarity_sample": "development",
        "adf_regression": "ct",
        "adf_autolag": "BIC",
        "kpss_regression": "ct",
    }

    result = strict_json(analyze_macro(frame, options, {}))

    window = frame.iloc[2:-1]
    rows = window["date"] <= pd.Timestamp("2012-12-31")
    lor = window.loc[rows, "lor"].to_numpy(dtype=float)
    entry = result["stationarity_tests"]["lor"]
    assert entry["nobs"] == lor.size
    assert entry["nobs"] == result["stationarity_tests"]["Defaultrate"]["nobs"]
    tests = unit_root_tests(result, "lor", "level")
    adf = adf_reference(lor, regression="ct", autolag="BIC")
    assert tests["adf"]["statistic"] == pytest.approx(adf.statistic, rel=REL)
    assert tests["adf"]["p_value"] == pytest.approx(adf.pvalue, rel=REL)
    assert tests["adf"]["regression"] == "ct"
    reference_kpss = kpss_reference(lor, regression="ct")
    assert tests["kpss"]["statistic"] == pytest.approx(reference_kpss.statistic, rel=REL)
    assert tests["kpss"]["p_value"] == pytest.approx(reference_kpss.pvalue, rel=REL)


def test_target_transformation_not_applied_to_lor():
    result = strict_json(analyze_macro(mmt_frame(), {"target_transformation": "logit"}, {}))

    assert set(result["stationarity_tests"]["Defaultrate"]["transformations"]) == {
        "level",
        "diff",
        "logit",
        "logit_diff",
    }
    assert set(result["stationarity_tests"]["lor"]["transformations"]) == {"level", "diff"}
    assert "lor" not in result["parameters"]["regressors"]


def test_transform_found_by_values_gets_entry():
    frame = synthetic_frame()
    frame["series_b"] = logit(frame["default_rate"])

    result = strict_json(analyze_macro(frame, {}, {}))

    assert result["parameters"]["target_transforms"] == ["series_b"]
    assert result["stationarity_tests"]["series_b"]["role"] == "target_transform"
    assert "series_b" not in result["parameters"]["regressors"]
    adf = adf_reference(frame["series_b"].to_numpy(dtype=float))
    assert unit_root_tests(result, "series_b", "level")["adf"]["statistic"] == pytest.approx(adf.statistic, rel=REL)


def test_file_without_target_transform_has_no_entry():
    result = strict_json(analyze_macro(macro_frame(), {}, {}))

    roles = {entry["role"] for entry in result["stationarity_tests"].values()}
    assert "target_transform" not in roles
    assert result["parameters"]["target_transforms"] == []


def test_explicit_regressors_exclude_no_transform():
    result = strict_json(analyze_macro(mmt_frame(), {"regressors": ["MORTGAGE_30Y", "SPCS_US_HPI"]}, {}))

    assert "lor" not in result["stationarity_tests"]
    assert result["parameters"]["target_transforms"] == []


def test_lor_kept_out_by_name_for_another_target():
    frame = mmt_frame()
    result = strict_json(analyze_macro(frame, {"target": "pred_dr"}, {}))
    reason = result["parameters"]["excluded_columns"]["lor"]
    # lor is the logit of Defaultrate, not of pred_dr, so only its name keeps it out.
    assert not np.allclose(frame["lor"], np.log(frame["pred_dr"] / (1 - frame["pred_dr"])), rtol=1e-6)
    assert reason == "named like a log-odds, logit or probit column, so taken for a transform of the target 'pred_dr'"
