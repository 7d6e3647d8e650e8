"""Unit-root tests on series their libraries mishandle: table-edge p-values, constant and gappy series.

Faults guarded against:

* KPSS p-values are read from a table that stops at 1 % and 10 %;
  statsmodels then returns 0.01 or 0.10 with a warning, and a dashboard shows
  the clamp as an exact p-value. MMT reports the bound ("< 0.01", "> 0.1"),
  keeps the warning and adds arch's simulated p-value for the same lags;
* a constant series makes ADF/PP divide by a zero variance (errors or NaN)
  and makes KPSS report "reject stationarity" (arch: p = 0.0001). MMT reports
  ``constant_series`` with no statistic, and ``insufficient_variation`` for
  a near-constant series whose test regressions are rank-deficient;
* a missing value inside the series: MMT refuses with the date of the gap
  instead of dropping it silently.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from arch.unitroot import KPSS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.tsa.stattools import kpss

from mmt.stats.stationarity import StationarityOptions, run_stationarity_tests
from tests.edge_cases.product import analyze, csv_bytes, finite_or_none, raw_non_finite, strict_json, upload_bytes

REL = 1e-9
TREND = [index + 0.5 * (index % 3) for index in range(40)]
NOISE = [0.35, 0.82, 0.33, -1.3, 0.91, 0.45, -0.54, 0.58, 0.36, 0.29, 0.03, 0.55, -0.74, -0.16, -0.48, 0.6, 0.04,
         -0.29, -0.78, -0.26, 0.01, -0.28, 1.29, 1.01, -2.71, -1.89, -0.17, -0.42, 0.21, 0.22, 2.12, -1.11, -0.38,
         2.04, 0.65, 0.66, -0.51, -1.65, 0.17, 0.11]
UNAVAILABLE = {"constant_series", "insufficient_variation", "too_short", "missing_values", "infeasible",
               "numerically_undefined"}


def quarters(count: int) -> list[str]:
    return [str(period) for period in pd.period_range("2010Q1", periods=count, freq="Q")]


def upload_macro(client, columns: dict[str, list]) -> int:
    count = len(next(iter(columns.values())))
    rows = [[quarter] + [column[index] for column in columns.values()] for index, quarter in enumerate(quarters(count))]
    return upload_bytes(client, "macro", "macro.csv", csv_bytes(["quarter", *columns], rows))["dataset_id"]


def level_tests(results: dict, column: str) -> dict:
    return results["stationarity_tests"][column]["transformations"]["level"]


def library_kpss(series: list[float]) -> tuple[float, int, float]:
    """Statistic and lags of statsmodels' KPSS, and arch's simulated p-value for the same lags."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        statistic, _, lags, _ = kpss(np.asarray(series), regression="c", nlags="auto")
    return statistic, lags, KPSS(np.asarray(series), trend="c", lags=lags).pvalue


@pytest.fixture
def kpss_results(client) -> dict:
    default_rate = [0.02 + 0.001 * noise + 0.0001 * (trend % 7) for trend, noise in zip(TREND, NOISE)]
    dataset_id = upload_macro(client, {"default_rate": default_rate, "trend_index": TREND, "noise_index": NOISE})
    return analyze(client, "macro", dataset_id=dataset_id, target="default_rate",
                   regressors=["trend_index", "noise_index"])["results"]


def test_kpss_below_table_is_reported_as_upper_bound(kpss_results):
    test = level_tests(kpss_results, "trend_index")["tests"]["kpss"]

    statistic, lags, simulated = library_kpss(TREND)
    assert test["statistic"] == pytest.approx(statistic, rel=REL)
    assert test["statistic"] == pytest.approx(0.909470, abs=5e-7)
    assert test["lags"] == lags == 4
    assert (test["p_value_bound"], test["p_value_limit"], test["p_value_text"]) == ("upper", 0.01, "< 0.01")
    assert test["reject_null"] is True
    assert "p < 0.01" in test["conclusion"]
    assert any("InterpolationWarning" in message and "smaller" in message for message in test["warnings"])
    assert test["details"]["simulated_p_value"] == pytest.approx(simulated, rel=REL)
    assert test["details"]["simulated_p_value"] == pytest.approx(0.003991, abs=5e-7)


def test_kpss_above_table_is_reported_as_lower_bound(kpss_results):
    test = level_tests(kpss_results, "noise_index")["tests"]["kpss"]

    statistic, lags, simulated = library_kpss(NOISE)
    assert test["statistic"] == pytest.approx(statistic, rel=REL)
    assert test["statistic"] == pytest.approx(0.108977, abs=5e-7)
    assert test["lags"] == lags == 5
    assert (test["p_value_bound"], test["p_value_limit"], test["p_value_text"]) == ("lower", 0.1, "> 0.1")
    assert test["reject_null"] is False
    assert "p > 0.1" in test["conclusion"]
    assert "p = 0.1" not in test["conclusion"]
    assert any("InterpolationWarning" in message and "greater" in message for message in test["warnings"])
    assert test["details"]["simulated_p_value"] == pytest.approx(simulated, rel=REL)
    assert test["details"]["simulated_p_value"] == pytest.approx(0.543287, abs=5e-7)


@pytest.mark.parametrize("series", [[5] * 8, [0.02] * 30], ids=["eight_fives", "thirty_rates"])
def test_constant_series_gets_no_statistic_from_any_unit_root_test(client, series):
    dataset_id = upload_macro(client, {"default_rate": series})

    level = level_tests(analyze(client, "macro", dataset_id=dataset_id, regressors=[])["results"], "default_rate")

    assert level["verdict"] == "not_testable"
    assert level["verdict_status"] == "constant_series"
    for name in ("adf", "kpss", "phillips_perron", "zivot_andrews"):
        test = level["tests"][name]
        assert (test["status"], test["statistic"], test["p_value"]) == ("constant_series", None, None)
        assert "constant" in test["reason"]


def test_near_constant_series_is_flagged_insufficient_variation(client):
    dataset_id = upload_macro(client, {"default_rate": [0.02] * 29 + [0.021]})

    level = level_tests(analyze(client, "macro", dataset_id=dataset_id, regressors=[])["results"], "default_rate")

    assert level["verdict_status"] == "insufficient_variation"
    for test in level["tests"].values():
        assert test["p_value"] is None
        assert test["status"] == "insufficient_variation"


def test_missing_value_inside_series_is_refused_naming_the_period(client):
    rising = np.linspace(0.01, 0.05, 20).tolist()
    falling = np.linspace(0.05, 0.02, 9).tolist()
    dataset_id = upload_macro(client, {"default_rate": rising + [None] + falling})

    body = analyze(client, "macro", dataset_id=dataset_id, regressors=[], expect=422)

    assert body["code"] == "missing_values"
    assert body["details"] == {"column": "default_rate", "dates": ["2015-03-31"]}
    assert "2015-03-31" in body["error"]


def test_kpss_lag_rule_overflow_on_rounded_rates_is_not_computable_not_a_server_error(client):
    # Eleven quarters of default rates rounded to 1 % or 2 %: on the first differences the
    # automatic lag rule of KPSS divides by a zero autocovariance sum and overflows.
    rates = [0.01, 0.01, 0.02, 0.01, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01, 0.01]
    dataset_id = upload_macro(client, {"default_rate": rates})

    results = analyze(client, "macro", dataset_id=dataset_id, regressors=[])["results"]

    transformations = results["stationarity_tests"]["default_rate"]["transformations"]
    assert transformations["level"]["verdict_status"] == "insufficient_variation"
    kpss_diff = transformations["diff"]["tests"]["kpss"]
    assert (kpss_diff["status"], kpss_diff["statistic"], kpss_diff["p_value"]) == ("infeasible", None, None)
    assert "OverflowError" in kpss_diff["reason"]


def test_series_whose_squares_underflow_is_not_computable():
    # Values near 1e-300 square to 0, so the library regressions meet NaN (statsmodels raises MissingDataError).
    values = np.random.default_rng(0).choice([0.0, 1.0, 2.0], size=20) * 1e-300

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_stationarity_tests(values)

    tests = result.transformations["level"].tests
    assert not raw_non_finite(result)
    assert tests["zivot_andrews"].status == "infeasible"
    assert "MissingDataError" in tests["zivot_andrews"].reason


# --- the whole kind: degenerate series through every unit-root test ---


@st.composite
def degenerate_series(draw):
    size = draw(st.integers(2, 45))
    kind = draw(st.sampled_from(["constant", "two_values", "one_outlier", "walk", "step", "tiny_steps"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "constant":
        values = np.full(size, draw(st.sampled_from([0.0, 0.02, 5.0, -3.0])))
    elif kind == "two_values":
        values = rng.choice([0.01, 0.02], size=size)
    elif kind == "one_outlier":
        values = np.full(size, 0.02)
        values[draw(st.integers(0, size - 1))] = 0.021
    elif kind == "walk":
        values = np.cumsum(rng.normal(size=size))
    elif kind == "step":
        values = np.where(np.arange(size) < size // 2, 0.01, 0.03) + 1e-4 * rng.integers(0, 3, size=size)
    else:
        values = 0.02 + 1e-16 * rng.integers(0, 5, size=size)
    return values


@settings(max_examples=120, deadline=None)
@given(degenerate_series())
def test_unit_root_tests_on_degenerate_series_are_finite_or_not_computable(values):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_stationarity_tests(values, options=StationarityOptions(transformations=("level", "diff")))

    assert not raw_non_finite(result)
    body = result.to_dict()
    for transformation in body["transformations"].values():
        for test in transformation["tests"].values():
            if test["p_value"] is None:
                assert test["status"] in UNAVAILABLE
                assert test["reason"]
                continue
            assert math.isfinite(test["statistic"])
            assert 0.0 <= test["p_value"] <= 1.0
            bound = test["p_value_bound"]
            assert test["p_value_text"].startswith({"upper": "< ", "lower": "> ", None: ""}[bound])
        if np.ptp(values) == 0 and transformation["transformation"] == "level":
            assert transformation["verdict_status"] == "constant_series"


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(degenerate_series())
def test_macro_analysis_of_degenerate_series_answers_strict_json(client, values):
    if values.size < 2:
        return
    dataset_id = upload_macro(client, {"default_rate": [float(value) for value in values]})

    response = client.post("/api/analyze/macro", json={"dataset_id": dataset_id, "regressors": []})

    assert response.status_code in (200, 422)
    assert finite_or_none(strict_json(response))
