"""Accuracy metrics checked against scikit-learn, statsmodels and hand computations."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    r2_score,
)

from mmt.stats import NotComputable
from mmt.stats.forecast import calculate_performance_metrics, count_interval_exceedances

DATA = Path(__file__).resolve().parents[2] / "data"
REL = 1e-9


def mmt_sample() -> pd.DataFrame:
    return pd.read_excel(
        DATA / "mmt_original" / "MacroData_predicted_defaultrate.xlsx",
        engine="openpyxl",
    )


def macro_sample() -> pd.DataFrame:
    return pd.read_csv(DATA / "macro_quarterly.csv")


@pytest.mark.parametrize(
    "actual, predicted",
    [
        (lambda: mmt_sample()["Defaultrate"], lambda: mmt_sample()["pred_dr"]),
        (
            lambda: macro_sample()["default_rate"],
            lambda: macro_sample()["fitted_default_rate"],
        ),
    ],
    ids=["mmt_original", "macro_quarterly"],
)
def test_metrics_match_scikit_learn(actual, predicted):
    y = actual().to_numpy(dtype=float)
    y_hat = predicted().to_numpy(dtype=float)

    metrics = calculate_performance_metrics(y, y_hat)

    assert metrics.nobs == y.size
    assert metrics.rmse == pytest.approx(
        math.sqrt(mean_squared_error(y, y_hat)), rel=REL
    )
    assert metrics.mae == pytest.approx(mean_absolute_error(y, y_hat), rel=REL)
    assert metrics.mape == pytest.approx(
        100 * mean_absolute_percentage_error(y, y_hat), rel=REL
    )
    assert metrics.r_squared == pytest.approx(r2_score(y, y_hat), rel=REL)
    assert metrics.bias == pytest.approx(np.mean(y_hat - y), rel=REL)
    assert metrics.mape_excluded_zeros == 0


def test_hand_computed_small_example():
    y = np.array([2.0, 4.0, 5.0, 8.0])
    y_hat = np.array([3.0, 3.0, 5.0, 10.0])
    errors = y_hat - y  # 1, -1, 0, 2

    metrics = calculate_performance_metrics(y, y_hat, n_regressors=1)

    assert metrics.rmse == pytest.approx(math.sqrt((1 + 1 + 0 + 4) / 4), rel=REL)
    assert metrics.mae == pytest.approx((1 + 1 + 0 + 2) / 4, rel=REL)
    assert metrics.bias == pytest.approx(errors.mean(), rel=REL)
    assert metrics.mape == pytest.approx(100 * (1 / 2 + 1 / 4 + 0 + 2 / 8) / 4, rel=REL)
    assert metrics.smape == pytest.approx(
        200 * (1 / 5 + 1 / 7 + 0 + 2 / 18) / 4, rel=REL
    )
    u1 = math.sqrt(6 / 4) / (
        math.sqrt((4 + 16 + 25 + 64) / 4) + math.sqrt((9 + 9 + 25 + 100) / 4)
    )
    assert metrics.theil_u1 == pytest.approx(u1, rel=REL)
    # U2: relative forecast errors over relative naive (no-change) errors, from the second period.
    forecast = ((3 - 4) / 2) ** 2 + ((5 - 5) / 4) ** 2 + ((10 - 8) / 5) ** 2
    naive = ((4 - 2) / 2) ** 2 + ((5 - 4) / 4) ** 2 + ((8 - 5) / 5) ** 2
    assert metrics.theil_u2 == pytest.approx(math.sqrt(forecast / naive), rel=REL)
    sst = np.sum((y - y.mean()) ** 2)
    r2 = 1 - 6 / sst
    assert metrics.r_squared == pytest.approx(r2, rel=REL)
    assert metrics.adj_r_squared == pytest.approx(1 - (1 - r2) * 3 / 2, rel=REL)


def test_adjusted_r_squared_equals_statsmodels_in_sample():
    frame = macro_sample()
    y = frame["default_rate"].to_numpy()
    x = frame[
        ["unemployment_rate_pct", "gdp_growth_yoy_pct", "interest_rate_pct"]
    ].to_numpy()
    results = sm.OLS(y, sm.add_constant(x)).fit()

    metrics = calculate_performance_metrics(y, results.fittedvalues, n_regressors=3)

    assert metrics.r_squared == pytest.approx(results.rsquared, rel=REL)
    assert metrics.adj_r_squared == pytest.approx(results.rsquared_adj, rel=REL)


def test_zero_targets_are_excluded_from_mape():
    y = np.array([0.0, 0.02, 0.0, 0.04, 0.01])
    y_hat = np.array([0.0, 0.01, 0.005, 0.05, 0.01])

    metrics = calculate_performance_metrics(y, y_hat)

    assert metrics.mape_excluded_zeros == 2
    assert metrics.mape_observations == 3
    assert metrics.mape == pytest.approx(100 * (0.5 + 0.25 + 0.0) / 3, rel=REL)
    # sMAPE terms: both zero counts as 0, actual zero with prediction 0.005 counts as 1 (i.e. 200 %).
    terms = [0.0, 0.01 / 0.03, 0.005 / 0.005, 0.01 / 0.09, 0.0]
    assert metrics.smape == pytest.approx(200 * np.mean(terms), rel=REL)
    assert metrics.theil_u2 is None
    assert "zero" in metrics.not_computable["theil_u2"]


def test_all_zero_targets_have_no_mape():
    metrics = calculate_performance_metrics([0.0, 0.0, 0.0], [0.0, 0.0, 0.0])

    assert metrics.mape is None
    assert metrics.smape == 0.0
    assert metrics.theil_u1 is None
    assert metrics.r_squared is None
    assert set(metrics.not_computable) >= {
        "mape",
        "theil_u1",
        "r_squared",
        "adj_r_squared",
    }
    json.dumps(metrics.to_dict(), allow_nan=False)


def test_constant_actual_values():
    metrics = calculate_performance_metrics(
        [1.0, 1.0, 1.0], [1.0, 2.0, 0.5], n_regressors=1
    )

    assert metrics.r_squared is None
    assert metrics.theil_u2 is None
    assert "never change" in metrics.not_computable["theil_u2"]


def test_single_observation():
    metrics = calculate_performance_metrics([2.0], [1.0], n_regressors=0)

    assert metrics.rmse == 1.0
    assert metrics.theil_u2 is None
    assert metrics.r_squared is None


def test_adjusted_r_squared_without_degrees_of_freedom():
    metrics = calculate_performance_metrics(
        [1.0, 2.0, 4.0], [1.5, 2.0, 3.0], n_regressors=2
    )

    assert metrics.r_squared is not None
    assert metrics.adj_r_squared is None
    assert "degrees of freedom" in metrics.not_computable["adj_r_squared"]


def test_unknown_regressor_count_leaves_adjusted_r_squared_out():
    metrics = calculate_performance_metrics([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])

    assert metrics.adj_r_squared is None
    assert "not known" in metrics.not_computable["adj_r_squared"]


@pytest.mark.parametrize(
    "actual, predicted, error",
    [
        ([1.0, 2.0], [1.0], ValueError),
        ([[1.0]], [[1.0]], ValueError),
        ([], [], NotComputable),
        ([1.0, np.nan], [1.0, 2.0], NotComputable),
        ([1.0, 2.0], [1.0, np.inf], NotComputable),
    ],
)
def test_invalid_input(actual, predicted, error):
    with pytest.raises(error):
        calculate_performance_metrics(actual, predicted)


def test_values_near_zero_do_not_overflow_silently():
    metrics = calculate_performance_metrics([1e-308, 1.0, 2.0], [1.0, 1.0, 2.0])

    assert metrics.mape is None
    assert "overflows" in metrics.not_computable["mape"]
    assert metrics.theil_u2 is None
    assert "overflow" in metrics.not_computable["theil_u2"]


def test_interval_exceedances():
    backtest = count_interval_exceedances(
        [1.0, 5.0, 3.0, -2.0], [0.0, 0.0, 0.0, 0.0], [2.0, 4.0, 3.0, 1.0], coverage=0.95
    )

    assert backtest.below == 1
    assert backtest.above == 1
    assert backtest.exceedances == 2
    assert backtest.exceedance_share == 0.5
    assert backtest.expected_share == pytest.approx(0.05)
    assert backtest.to_dict()["nobs"] == 4


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
            st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_metrics_are_finite_and_bounded(pairs):
    y, y_hat = (np.array(v) for v in zip(*pairs, strict=True))

    metrics = calculate_performance_metrics(y, y_hat, n_regressors=1)
    data = metrics.to_dict()

    json.dumps(data, allow_nan=False)
    assert metrics.rmse >= metrics.mae - 1e-9 * max(1.0, metrics.mae)
    assert 0.0 <= metrics.smape <= 200.0 + 1e-9
    if metrics.theil_u1 is not None:
        assert 0.0 <= metrics.theil_u1 <= 1.0 + 1e-12
