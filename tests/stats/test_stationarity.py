"""Unit-root tests checked against statsmodels and arch called directly on the same series."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from arch.unitroot import KPSS as ArchKPSS
from arch.unitroot import PhillipsPerron
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.tsa.stattools import adfuller, kpss, zivot_andrews

from mmt.stats import NotComputable
from mmt.stats import stationarity
from mmt.stats.stationarity import (
    StationarityOptions,
    check_series,
    decide_rejection,
    describe_p_value,
    run_adf_test,
    run_kpss_test,
    run_pp_test,
    run_stationarity_tests,
    run_zivot_andrews_test,
    transform_series,
)

DATA = Path(__file__).resolve().parents[2] / "data"
REL = 1e-9

# Series of the KPSS look-up-table case: a trend and stationary noise, 40 points each.
TREND_40 = [i + 0.5 * (i % 3) for i in range(40)]
NOISE_40 = [
    0.35,
    0.82,
    0.33,
    -1.3,
    0.91,
    0.45,
    -0.54,
    0.58,
    0.36,
    0.29,
    0.03,
    0.55,
    -0.74,
    -0.16,
    -0.48,
    0.6,
    0.04,
    -0.29,
    -0.78,
    -0.26,
    0.01,
    -0.28,
    1.29,
    1.01,
    -2.71,
    -1.89,
    -0.17,
    -0.42,
    0.21,
    0.22,
    2.12,
    -1.11,
    -0.38,
    2.04,
    0.65,
    0.66,
    -0.51,
    -1.65,
    0.17,
    0.11,
]


def macro_series(column: str) -> np.ndarray:
    return pd.read_csv(DATA / "macro_quarterly.csv")[column].to_numpy(dtype=float)


def mmt_default_rate() -> np.ndarray:
    frame = pd.read_excel(
        DATA / "mmt_original" / "MacroData_predicted_defaultrate.xlsx",
        engine="openpyxl",
    )
    return frame["Defaultrate"].to_numpy(dtype=float)


def schwert(nobs: int) -> int:
    return int(math.ceil(12.0 * (nobs / 100.0) ** 0.25))


REAL_SERIES = {
    "default_rate": lambda: macro_series("default_rate"),
    "unemployment": lambda: macro_series("unemployment_rate_pct"),
    "real_gdp": lambda: macro_series("real_gdp"),
    "inflation_diff": lambda: np.diff(macro_series("inflation_pct")),
    "mmt_default_rate": mmt_default_rate,
}


def assert_dict_close(ours: dict[str, float], reference: dict[str, float]) -> None:
    assert set(ours) == set(reference)
    for key, value in reference.items():
        assert ours[key] == pytest.approx(float(value), rel=REL)


@pytest.mark.parametrize("name", sorted(REAL_SERIES))
@pytest.mark.parametrize("regression", ["c", "ct", "n"])
@pytest.mark.parametrize("autolag", ["AIC", "BIC"])
def test_adf_matches_adfuller(name, regression, autolag):
    x = REAL_SERIES[name]()
    ntrend = {"n": 0, "c": 1, "ct": 2}[regression]
    max_lags = min(schwert(x.size), x.size // 2 - ntrend - 1)
    reference = adfuller(
        x, maxlag=max_lags, regression=regression, autolag=autolag, result_object=True
    )

    result = run_adf_test(x, regression=regression, autolag=autolag)

    assert result.statistic == pytest.approx(reference.statistic, rel=REL)
    assert result.p_value == pytest.approx(reference.pvalue, rel=REL)
    assert result.lags == reference.lags
    assert result.nobs == reference.nobs
    assert result.max_lags == max_lags
    assert_dict_close(result.critical_values, reference.critical_values)
    assert result.details["information_criterion"] == pytest.approx(
        reference.icbest, rel=REL
    )
    assert result.reject_null == (reference.pvalue < 0.05)


@pytest.mark.parametrize("name", sorted(REAL_SERIES))
def test_adf_default_lags_equal_statsmodels_default(name):
    x = REAL_SERIES[name]()
    reference = adfuller(x, regression="c", autolag="AIC", result_object=True)

    result = run_adf_test(x)

    assert result.statistic == pytest.approx(reference.statistic, rel=REL)
    assert result.lags == reference.lags


@pytest.mark.parametrize("name", sorted(REAL_SERIES))
@pytest.mark.parametrize("regression", ["c", "ct"])
def test_kpss_matches_statsmodels_and_arch(name, regression):
    x = REAL_SERIES[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = kpss(x, regression=regression, nlags="auto", result_object=True)
        arch_reference = ArchKPSS(x, lags=reference.lags, trend=regression)
        arch_p = arch_reference.pvalue
        arch_stat = arch_reference.stat

    result = run_kpss_test(x, regression=regression)

    assert result.statistic == pytest.approx(reference.statistic, rel=REL)
    assert result.p_value == pytest.approx(reference.pvalue, rel=REL)
    assert result.lags == reference.lags
    assert result.nobs == x.size
    assert_dict_close(result.critical_values, reference.critical_values)
    assert arch_stat == pytest.approx(result.statistic, rel=1e-9)
    assert result.details["simulated_p_value"] == pytest.approx(arch_p, rel=REL)


@pytest.mark.parametrize("name", sorted(REAL_SERIES))
@pytest.mark.parametrize("trend", ["n", "c", "ct"])
def test_pp_matches_arch(name, trend):
    x = REAL_SERIES[name]()
    reference = PhillipsPerron(x, lags=schwert(x.size), trend=trend, test_type="tau")
    arch_default = PhillipsPerron(x, trend=trend)

    result = run_pp_test(x, trend=trend)

    assert result.statistic == pytest.approx(reference.stat, rel=REL)
    assert result.p_value == pytest.approx(reference.pvalue, rel=REL)
    assert result.lags == reference.lags == arch_default.lags
    assert result.nobs == reference.nobs
    assert_dict_close(result.critical_values, reference.critical_values)
    assert result.statistic == pytest.approx(arch_default.stat, rel=REL)


@pytest.mark.parametrize("name", sorted(REAL_SERIES))
@pytest.mark.parametrize("regression", ["c", "t", "ct"])
def test_zivot_andrews_matches_statsmodels(name, regression):
    x = REAL_SERIES[name]()
    max_lags = min(schwert(x.size), x.size // 2 - 3, int(0.15 * x.size) - 3)
    statistic, p_value, critical, lags, break_index = zivot_andrews(
        x, trim=0.15, maxlag=max_lags, regression=regression, autolag="AIC"
    )

    result = run_zivot_andrews_test(x, regression=regression)

    assert result.statistic == pytest.approx(statistic, rel=REL)
    assert result.p_value == pytest.approx(p_value, rel=REL)
    assert result.lags == lags
    assert result.max_lags == max_lags
    assert result.details["break_index"] == break_index
    assert_dict_close(result.critical_values, critical)


def test_kpss_trend_series_reports_upper_bound():
    result = run_kpss_test(TREND_40)

    assert result.statistic == pytest.approx(0.909470, abs=5e-7)
    assert result.lags == 4
    assert result.p_value == 0.01
    assert result.p_value_bound == "upper"
    assert result.p_value_text == "< 0.01"
    assert result.reject_null is True
    assert result.details["simulated_p_value"] == pytest.approx(0.003991, abs=5e-7)
    assert any("smaller than the p-value returned" in w for w in result.warnings)


def test_kpss_noise_series_reports_lower_bound():
    result = run_kpss_test(NOISE_40)

    assert result.statistic == pytest.approx(0.108977, abs=5e-7)
    assert result.lags == 5
    assert result.p_value_bound == "lower"
    assert result.p_value_text == "> 0.1"
    assert result.reject_null is False
    assert result.status == "green"
    assert result.details["simulated_p_value"] == pytest.approx(0.543287, abs=5e-7)
    assert any("greater than the p-value returned" in w for w in result.warnings)


def test_kpss_bound_undecided_below_table():
    result = run_kpss_test(TREND_40, significance_level=0.005)

    assert result.reject_null is None
    assert result.status is None
    assert "only known" in result.conclusion


def test_adf_zero_p_value_is_bound():
    # Alternating values make the Dickey-Fuller t-ratio far below MacKinnon's table.
    rng = np.random.default_rng(3)
    x = np.array(
        [(-1) ** i for i in range(60)], dtype=float
    ) + 0.01 * rng.standard_normal(60)

    result = run_adf_test(x, max_lags=0)

    assert result.p_value == 0.0
    assert result.p_value_bound == "upper"
    assert result.p_value_text == "< 1e-20"
    assert result.reject_null is True


def test_adf_unit_p_value_is_bound():
    # An accelerating series has a t-ratio above MacKinnon's table without a constant.
    x = np.arange(1.0, 61.0) ** 2

    result = run_adf_test(x, max_lags=0, regression="n")

    assert result.p_value == 1.0
    assert result.p_value_bound == "lower"
    assert result.p_value_text == "> 0.99"
    assert result.reject_null is False


def test_mackinnon_table_edges_justify_limits():
    from arch.unitroot.critical_values.dickey_fuller import tau_max, tau_min
    from arch.unitroot.unitroot import mackinnonp as arch_mackinnonp
    from statsmodels.tsa.adfvalues import _tau_maxs, _tau_mins, mackinnonp

    for regression in ("c", "ct", "ctt", "n"):
        assert mackinnonp(_tau_mins[regression][0], regression) < 1e-20
        assert arch_mackinnonp(tau_min[regression][0], regression) < 1e-20
        if math.isfinite(_tau_maxs[regression][0]):
            assert mackinnonp(_tau_maxs[regression][0], regression) > 0.99
        if math.isfinite(tau_max[regression][0]):
            assert arch_mackinnonp(tau_max[regression][0], regression) > 0.99


def test_zivot_andrews_table_edges_match_statsmodels():
    table = zivot_andrews._za_critical_values
    for regression in ("c", "t", "ct"):
        assert table[regression][0, 0] / 100 == pytest.approx(
            stationarity._ZIVOT_ANDREWS_TABLE_LIMITS[0], rel=1e-12
        )
        assert table[regression][-1, 0] / 100 == pytest.approx(
            stationarity._ZIVOT_ANDREWS_TABLE_LIMITS[1], rel=1e-12
        )


@pytest.mark.parametrize(
    "values",
    [[5.0] * 8, [0.02] * 30],
    ids=["eight_fives", "thirty_constant"],
)
def test_constant_series_is_not_testable(values):
    result = run_stationarity_tests(values)

    level = result.transformations["level"]
    assert level.verdict == "not_testable"
    assert level.verdict_status == "constant_series"
    for test in level.tests.values():
        assert test.status == "constant_series"
        assert test.to_dict()["p_value"] is None
    with pytest.raises(NotComputable) as raised:
        run_kpss_test(values)
    assert raised.value.status == "constant_series"


def test_series_with_nan_reports_position():
    values = (
        list(np.linspace(0.01, 0.05, 20)) + [np.nan] + list(np.linspace(0.05, 0.02, 9))
    )

    result = run_stationarity_tests(values)

    for transformation in result.transformations.values():
        assert transformation.verdict == "not_testable"
        assert transformation.verdict_status == "missing_values"
        assert "position(s) 20" in transformation.verdict_reason


def test_near_constant_series_has_insufficient_variation():
    values = [0.02] * 29 + [0.021]

    with pytest.raises(NotComputable) as raised:
        run_adf_test(values)

    assert raised.value.status == "insufficient_variation"


def test_five_points_are_too_short():
    result = run_stationarity_tests([0.01, 0.03, 0.02, 0.05, 0.04])

    assert result.transformations["level"].verdict_status == "too_short"
    for test in result.transformations["level"].tests.values():
        assert test.status == "too_short"


def test_zivot_andrews_needs_twenty_points():
    rng = np.random.default_rng(0)

    with pytest.raises(NotComputable) as raised:
        run_zivot_andrews_test(rng.standard_normal(19))

    assert raised.value.status == "too_short"


def test_explicit_lags_beyond_cap_are_rejected():
    x = macro_series("unemployment_rate_pct")[:40]

    with pytest.raises(NotComputable):
        run_adf_test(x, max_lags=30)
    with pytest.raises(NotComputable):
        run_zivot_andrews_test(x, max_lags=30)
    with pytest.raises(NotComputable):
        run_pp_test(x, lags=40)


def test_zivot_andrews_library_failure_becomes_not_computable(monkeypatch):
    def failing(*args, **kwargs):
        raise ValueError(
            "ZA: auxiliary exog matrix is not full rank.\n  cols = 13  rank = 12"
        )

    monkeypatch.setattr(stationarity, "zivot_andrews", failing)

    with pytest.raises(NotComputable) as raised:
        run_zivot_andrews_test(macro_series("unemployment_rate_pct"))

    assert raised.value.status == "infeasible"
    assert "degenerate" in raised.value.reason
    assert "not full rank" in raised.value.reason


def test_verdict_stationary_for_white_noise():
    rng = np.random.default_rng(11)

    result = run_stationarity_tests(rng.standard_normal(150))

    assert result.transformations["level"].verdict == "stationary"
    assert result.transformations["level"].verdict_status == "green"


def test_verdict_unit_root_for_random_walk_levels():
    result = run_stationarity_tests(macro_series("real_gdp"))

    level = result.transformations["level"]
    assert level.verdict == "unit_root"
    assert level.verdict_status == "red"
    assert result.transformations["diff"].verdict == "stationary"


@pytest.mark.parametrize("name", sorted(REAL_SERIES))
def test_verdict_follows_combination_rule(name):
    result = run_stationarity_tests(REAL_SERIES[name]())

    for outcome in result.transformations.values():
        adf = outcome.tests["adf"].reject_null
        pp = outcome.tests["phillips_perron"].reject_null
        kpss_reject = outcome.tests["kpss"].reject_null
        if None in (adf, pp, kpss_reject):
            expected = "inconclusive"
        elif adf and pp and not kpss_reject:
            expected = "stationary"
        elif not adf and not pp and kpss_reject:
            expected = "unit_root"
        else:
            expected = "inconclusive"
        assert outcome.verdict == expected


def test_verdict_inconclusive_when_kpss_disagrees():
    # CPI inflation (first difference of CPI): ADF and PP reject a unit root, KPSS rejects stationarity.
    result = run_stationarity_tests(macro_series("cpi"))

    diff = result.transformations["diff"]
    assert diff.tests["adf"].reject_null is True
    assert diff.tests["phillips_perron"].reject_null is True
    assert diff.tests["kpss"].reject_null is True
    assert diff.verdict == "inconclusive"
    assert "KPSS points the other way" in diff.verdict_reason


def test_verdict_inconclusive_when_adf_and_pp_disagree():
    result = run_stationarity_tests(macro_series("unemployment_rate_pct"))

    level = result.transformations["level"]
    assert level.tests["adf"].reject_null is True
    assert level.tests["phillips_perron"].reject_null is False
    assert level.verdict == "inconclusive"
    assert "disagree" in level.verdict_reason


def test_verdict_inconclusive_when_a_test_is_undecided():
    result = run_stationarity_tests(
        TREND_40, options=StationarityOptions(significance_level=0.005)
    )

    level = result.transformations["level"]
    assert level.tests["kpss"].reject_null is None
    assert level.verdict == "inconclusive"
    assert "undecided" in level.verdict_reason


def test_verdict_ignores_missing_zivot_andrews():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(15)

    result = run_stationarity_tests(x)

    level = result.transformations["level"]
    assert level.tests["zivot_andrews"].status == "too_short"
    assert level.verdict in ("stationary", "unit_root", "inconclusive")
    assert "Zivot-Andrews" not in level.verdict_reason


def test_transformations_match_formulas():
    x = np.array([0.01, 0.02, 0.015, 0.03])

    assert np.allclose(transform_series(x, "level"), x)
    assert np.allclose(transform_series(x, "diff"), [0.01, -0.005, 0.015])
    assert np.allclose(transform_series(x, "log"), np.log(x))
    assert np.allclose(transform_series(x, "log_diff"), np.diff(np.log(x)))
    assert np.allclose(transform_series(x, "logit"), np.log(x / (1 - x)))
    assert np.allclose(transform_series(x, "logit_diff"), np.diff(np.log(x / (1 - x))))
    from scipy.stats import norm

    assert np.allclose(transform_series(x, "probit"), norm.ppf(x))
    assert np.allclose(transform_series(x, "probit_diff"), np.diff(norm.ppf(x)))
    assert np.allclose(transform_series(x, "growth"), 100 * (x[1:] / x[:-1] - 1))


@pytest.mark.parametrize(
    "transformation, values",
    [
        ("log", [1.0, -1.0, 2.0]),
        ("logit", [0.5, 1.0, 0.2]),
        ("pct_change", [0.0, 1.0, 2.0]),
    ],
)
def test_transformation_outside_domain(transformation, values):
    with pytest.raises(NotComputable) as raised:
        transform_series(values, transformation)

    assert raised.value.status == "not_applicable"


def test_requested_transformations_are_reported():
    x = macro_series("unemployment_rate_pct")
    options = StationarityOptions(transformations=("level", "log", "growth", "logit"))

    result = run_stationarity_tests(x, options=options, name="unemployment")

    assert list(result.transformations) == ["level", "log", "pct_change", "logit"]
    assert result.transformations["logit"].verdict == "not_testable"
    assert result.transformations["logit"].verdict_status == "not_applicable"
    log_adf = result.transformations["log"].tests["adf"]
    reference = adfuller(
        np.log(x),
        maxlag=min(schwert(x.size), x.size // 2 - 2),
        autolag="AIC",
        result_object=True,
    )
    assert log_adf.statistic == pytest.approx(reference.statistic, rel=REL)


def test_options_choices_reach_libraries():
    x = mmt_default_rate()
    options = StationarityOptions(
        adf_autolag="BIC",
        adf_regression="ct",
        kpss_regression="ct",
        pp_trend="n",
        za_regression="t",
    )

    result = run_stationarity_tests(x, options=options).transformations["level"]

    assert result.tests["adf"].regression == "ct"
    assert result.tests["adf"].lag_method == "BIC"
    assert result.tests["kpss"].regression == "ct"
    assert result.tests["phillips_perron"].regression == "n"
    assert result.tests["zivot_andrews"].regression == "t"
    assert options.to_dict()["pp_trend"] == "n"
    assert StationarityOptions(adf_regression="ct").to_dict()["pp_trend"] == "ct"


@pytest.mark.parametrize(
    "arguments",
    [
        {"adf_autolag": "t-stat"},
        {"adf_regression": "ctt"},
        {"kpss_regression": "n"},
        {"pp_trend": "t"},
        {"za_regression": "n"},
        {"za_trim": 0.5},
        {"significance_level": 1.5},
        {"transformations": ("cube",)},
    ],
)
def test_invalid_options_raise(arguments):
    with pytest.raises(ValueError):
        StationarityOptions(**arguments)


def test_check_series_rejects_two_dimensional_input():
    with pytest.raises(ValueError):
        check_series(np.ones((3, 3)))


def test_describe_and_decide_bounds():
    assert describe_p_value(0.0123456, 0.01, 0.1) == (None, None, "0.0123")
    assert describe_p_value(0.00001, None, None) == (None, None, "1.00e-05")
    assert describe_p_value(0.01, 0.01, 0.1) == ("upper", 0.01, "< 0.01")
    assert describe_p_value(0.1, 0.01, 0.1) == ("lower", 0.1, "> 0.1")
    assert decide_rejection(0.03, None, None, 0.05) is True
    assert decide_rejection(0.01, "upper", 0.01, 0.05) is True
    assert decide_rejection(0.01, "upper", 0.01, 0.005) is None
    assert decide_rejection(0.1, "lower", 0.1, 0.05) is False
    assert decide_rejection(0.1, "lower", 0.1, 0.2) is None


def test_result_is_strict_json():
    result = run_stationarity_tests(mmt_default_rate(), name="Defaultrate")

    text = json.dumps(result.to_dict(), allow_nan=False)

    assert '"name": "Defaultrate"' in text
    assert "Zivot-Andrews" in text


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False),
        min_size=0,
        max_size=60,
    )
)
def test_finite_series_give_valid_json(values):
    result = run_stationarity_tests(values).to_dict()

    json.dumps(result, allow_nan=False)
    for outcome in result["transformations"].values():
        assert outcome["verdict"] in (
            "stationary",
            "unit_root",
            "inconclusive",
            "not_testable",
        )
        for test in outcome["tests"].values():
            if test["p_value"] is not None:
                assert 0.0 <= test["p_value"] <= 1.0
