"""OLS fit and residual diagnostics checked against statsmodels and SciPy called directly."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import (
    acorr_breusch_godfrey,
    acorr_ljungbox,
    het_breuschpagan,
    het_white,
    linear_reset,
)
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.stattools import durbin_watson, jarque_bera
from statsmodels.tsa.stattools import acf, pacf

from mmt.stats import NotComputable
from mmt.stats.regression import (
    anderson_darling_test,
    breusch_godfrey_test,
    breusch_pagan_test,
    collinear_groups,
    correlogram,
    durbin_watson_test,
    fit_regression,
    jarque_bera_test,
    ljung_box_test,
    newey_west_lags,
    reset_test,
    run_error_diagnostics,
    run_regression_diagnostics,
    shapiro_wilk_test,
    white_test,
)

DATA = Path(__file__).resolve().parents[2] / "data"
REL = 1e-9

MACRO_REGRESSORS = [
    "unemployment_rate_pct",
    "gdp_growth_yoy_pct",
    "interest_rate_pct",
    "inflation_pct",
]
MMT_REGRESSORS = [
    "Unemploymentrateatpitlag2quarters",
    "YoYpercentagechangeinSPCSHPIatpitlag1quarter",
    "Unemploymentrateatpitlag1quarter",
    "SPCS_US_HPI",
    "MORTGAGE_30Y",
    "YoYpercentagechangeinSPCSHPIatpitlag2quarters",
]


def macro_development() -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_csv(DATA / "macro_quarterly.csv")
    frame = frame[frame["sample"] == "development"]
    rate = frame["default_rate"].to_numpy()
    return np.log(rate / (1 - rate)), frame[MACRO_REGRESSORS].to_numpy()


def mmt_sample() -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_excel(
        DATA / "mmt_original" / "MacroData_predicted_defaultrate.xlsx",
        engine="openpyxl",
    )
    return frame["lor"].to_numpy(), frame[MMT_REGRESSORS].to_numpy()


DATASETS = {
    "macro_quarterly": (macro_development, MACRO_REGRESSORS),
    "mmt_original": (mmt_sample, MMT_REGRESSORS),
}


@pytest.fixture(params=sorted(DATASETS))
def dataset(request):
    loader, names = DATASETS[request.param]
    y, x = loader()
    reference = sm.OLS(y, sm.add_constant(x)).fit()
    return y, x, names, reference


def test_fit_matches_statsmodels(dataset):
    y, x, names, reference = dataset

    fit = fit_regression(y, x, names, significance_level=0.05)

    confidence = reference.conf_int(alpha=0.05)
    for j, coefficient in enumerate(fit.coefficients):
        assert coefficient.estimate == pytest.approx(reference.params[j], rel=REL)
        assert coefficient.std_error == pytest.approx(reference.bse[j], rel=REL)
        assert coefficient.t_value == pytest.approx(reference.tvalues[j], rel=REL)
        assert coefficient.p_value == pytest.approx(reference.pvalues[j], rel=REL)
        assert coefficient.ci_lower == pytest.approx(confidence[j, 0], rel=REL)
        assert coefficient.ci_upper == pytest.approx(confidence[j, 1], rel=REL)
    assert [c.name for c in fit.coefficients] == ["const", *names]
    assert fit.r_squared == pytest.approx(reference.rsquared, rel=REL)
    assert fit.adj_r_squared == pytest.approx(reference.rsquared_adj, rel=REL)
    assert fit.f_statistic == pytest.approx(reference.fvalue, rel=REL)
    assert fit.f_p_value == pytest.approx(reference.f_pvalue, rel=REL)
    assert fit.log_likelihood == pytest.approx(reference.llf, rel=REL)
    assert fit.aic == pytest.approx(reference.aic, rel=REL)
    assert fit.bic == pytest.approx(reference.bic, rel=REL)
    assert fit.residual_std_error == pytest.approx(math.sqrt(reference.scale), rel=REL)
    assert fit.condition_number == pytest.approx(
        np.linalg.cond(sm.add_constant(x)), rel=1e-6
    )
    design = sm.add_constant(x)
    assert fit.condition_number_scaled == pytest.approx(
        np.linalg.cond(design / np.linalg.norm(design, axis=0)), rel=REL
    )
    assert fit.nobs == y.size
    json.dumps(fit.to_dict(), allow_nan=False)


def test_macro_fit_reproduces_published_coefficients():
    y, x = macro_development()

    fit = fit_regression(y, x, MACRO_REGRESSORS)

    published = [-5.854, 0.265, -0.061, 0.041, -0.003]
    assert [round(c.estimate, 3) for c in fit.coefficients] == published
    assert round(fit.r_squared, 3) == 0.949


def test_hac_standard_errors_match_statsmodels(dataset):
    y, x, names, _ = dataset
    lags = int(math.floor(4 * (y.size / 100) ** (2 / 9)))
    reference = sm.OLS(y, sm.add_constant(x)).fit(
        cov_type="HAC",
        cov_kwds={"maxlags": lags, "kernel": "bartlett", "use_correction": False},
    )

    fit = fit_regression(y, x, names, cov_type="HAC")

    assert fit.hac_lags == lags == newey_west_lags(y.size)
    assert fit.cov_type == "HAC"
    for j, coefficient in enumerate(fit.coefficients):
        assert coefficient.std_error == pytest.approx(reference.bse[j], rel=REL)
        assert coefficient.p_value == pytest.approx(reference.pvalues[j], rel=REL)


def test_expected_signs_are_checked():
    y, x = macro_development()

    fit = fit_regression(
        y,
        x,
        MACRO_REGRESSORS,
        expected_signs={"unemployment_rate_pct": "+", "gdp_growth_yoy_pct": "+"},
    )

    by_name = {c.name: c for c in fit.coefficients}
    assert by_name["unemployment_rate_pct"].sign_matches is True
    assert by_name["gdp_growth_yoy_pct"].sign_matches is False
    assert by_name["interest_rate_pct"].sign_matches is None


def test_collinear_regressors_are_named():
    y, x = macro_development()
    combined = np.column_stack([x, 2 * x[:, 0] - x[:, 1]])

    with pytest.raises(NotComputable) as raised:
        fit_regression(y, combined, [*MACRO_REGRESSORS, "combined"])

    assert raised.value.status == "collinear_regressors"
    assert (
        "unemployment_rate_pct + gdp_growth_yoy_pct + combined" in raised.value.reason
    )


def test_constant_regressor_groups_with_constant():
    x = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    design = np.column_stack([np.ones(10), x])

    groups = collinear_groups(design, ["const", "trend", "flat"])

    assert groups == [["const", "flat"]]


def test_zero_column_is_its_own_group():
    design = np.column_stack([np.ones(6), np.arange(6.0), np.zeros(6)])

    assert collinear_groups(design, ["const", "trend", "zero"]) == [["zero"]]


def test_near_collinearity_is_not_exact():
    frame = pd.read_csv(DATA / "macro_quarterly.csv")
    # real rate = bill rate - inflation up to rounding at 2 decimals: nearly, not exactly collinear.
    x = frame[
        ["interest_rate_pct", "inflation_pct", "real_interest_rate_pct"]
    ].to_numpy()

    assert (
        collinear_groups(sm.add_constant(x), ["const", "bill", "inflation", "real"])
        == []
    )


@pytest.mark.parametrize(
    "target, regressors, status",
    [
        ([1.0, 2.0, np.nan, 4.0], [[1.0], [2.0], [3.0], [5.0]], "missing_values"),
        ([1.0, 2.0], [[1.0], [2.0]], "too_short"),
    ],
)
def test_fit_rejects_bad_input(target, regressors, status):
    with pytest.raises(NotComputable) as raised:
        fit_regression(target, np.array(regressors), ["x"])

    assert raised.value.status == status


def test_fit_rejects_name_mismatch():
    with pytest.raises(ValueError):
        fit_regression([1.0, 2.0, 3.0, 4.0], np.ones((4, 1)), ["a", "b"])


def test_fit_without_regressors_has_no_f_test():
    fit = fit_regression([1.0, 2.0, 4.0, 3.0], np.empty((4, 0)), [])

    assert fit.f_statistic is None
    assert fit.coefficients[0].estimate == pytest.approx(2.5, rel=REL)


def test_diagnostics_match_statsmodels(dataset):
    y, x, names, reference = dataset
    design = sm.add_constant(x)
    e = reference.resid
    fit = fit_regression(y, x, names)

    diagnostics = run_regression_diagnostics(
        fit, bg_lags=4, ljungbox_lags=8, reset_power=3
    )
    tests = diagnostics.tests

    assert tests["durbin_watson"].statistic == pytest.approx(durbin_watson(e), rel=REL)
    bg = acorr_breusch_godfrey(reference, nlags=4, result_object=True)
    assert tests["breusch_godfrey"].statistic == pytest.approx(bg.lm, rel=REL)
    assert tests["breusch_godfrey"].p_value == pytest.approx(bg.lmpval, rel=REL)
    assert tests["breusch_godfrey"].details["f_statistic"] == pytest.approx(
        bg.fval, rel=REL
    )
    lb = acorr_ljungbox(e, lags=8, model_df=0, return_df=True)
    assert tests["ljung_box"].statistic == pytest.approx(
        lb["lb_stat"].iloc[-1], rel=REL
    )
    assert tests["ljung_box"].p_value == pytest.approx(
        lb["lb_pvalue"].iloc[-1], rel=REL
    )
    assert [
        row["statistic"] for row in tests["ljung_box"].details["by_lag"]
    ] == pytest.approx(lb["lb_stat"].tolist(), rel=REL)
    bp = het_breuschpagan(e, design, robust=True)
    assert tests["breusch_pagan"].statistic == pytest.approx(bp[0], rel=REL)
    assert tests["breusch_pagan"].p_value == pytest.approx(bp[1], rel=REL)
    assert tests["breusch_pagan"].details["f_p_value"] == pytest.approx(bp[3], rel=REL)
    white = het_white(e, design)
    assert tests["white"].statistic == pytest.approx(white[0], rel=REL)
    assert tests["white"].p_value == pytest.approx(white[1], rel=REL)
    white_aux = sm.OLS(
        e**2,
        design[:, np.triu_indices(design.shape[1])[0]]
        * design[:, np.triu_indices(design.shape[1])[1]],
    ).fit()
    assert tests["white"].df == white_aux.df_model
    jb = jarque_bera(e)
    assert tests["jarque_bera"].statistic == pytest.approx(jb[0], rel=REL)
    assert tests["jarque_bera"].p_value == pytest.approx(jb[1], rel=REL)
    assert tests["jarque_bera"].details["skewness"] == pytest.approx(jb[2], rel=REL)
    sw = stats.shapiro(e)
    assert tests["shapiro_wilk"].statistic == pytest.approx(sw.statistic, rel=REL)
    assert tests["shapiro_wilk"].p_value == pytest.approx(sw.pvalue, rel=REL)
    reset = linear_reset(reference, power=3, test_type="fitted", use_f=False)
    assert tests["reset"].statistic == pytest.approx(reset.statistic, rel=REL)
    assert tests["reset"].p_value == pytest.approx(reset.pvalue, rel=REL)
    assert diagnostics.condition_number == pytest.approx(
        reference.condition_number, rel=REL
    )
    json.dumps(diagnostics.to_dict(), allow_nan=False)


def test_variance_inflation_factors_match_statsmodels_and_definition(dataset):
    y, x, names, _ = dataset
    design = sm.add_constant(x)
    fit = fit_regression(y, x, names)

    diagnostics = run_regression_diagnostics(fit)

    for j, name in enumerate(names, start=1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            library = variance_inflation_factor(design, j, standardize=True)
        others = np.delete(design, j, axis=1)
        r_squared = sm.OLS(design[:, j], others).fit().rsquared
        assert diagnostics.variance_inflation_factors[name] == pytest.approx(
            library, rel=REL
        )
        assert diagnostics.variance_inflation_factors[name] == pytest.approx(
            1 / (1 - r_squared), rel=1e-8
        )


def test_anderson_darling_matches_scipy():
    _, x = mmt_sample()
    y, _ = mmt_sample()
    e = sm.OLS(y, sm.add_constant(x)).fit().resid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        legacy = stats.anderson(e, dist="norm")
    current = stats.anderson(e, dist="norm", method="interpolate")

    result = anderson_darling_test(e, significance_level=0.05)

    assert result.statistic == pytest.approx(current.statistic, rel=REL)
    assert result.p_value == pytest.approx(current.pvalue, rel=REL)
    assert result.details["critical_values"] == pytest.approx(
        list(legacy.critical_values), rel=REL
    )
    assert result.details["significance_levels_percent"] == list(
        legacy.significance_level
    )


def test_anderson_darling_bounds():
    rng = np.random.default_rng(2)

    skewed = anderson_darling_test(rng.exponential(size=300), significance_level=0.05)
    normal = anderson_darling_test(
        np.sort(stats.norm.ppf((np.arange(1, 101) - 0.5) / 100)),
        significance_level=0.05,
    )

    assert skewed.p_value_bound == "upper"
    assert skewed.p_value_text == "< 0.01"
    assert skewed.reject_null is True
    assert normal.p_value_bound == "lower"
    assert normal.p_value_text == "> 0.15"
    assert normal.reject_null is False


@pytest.mark.parametrize("kind", ["acf", "pacf"])
def test_correlogram_matches_statsmodels(kind):
    y, x = macro_development()
    e = sm.OLS(y, sm.add_constant(x)).fit().resid
    if kind == "acf":
        reference = acf(
            e,
            nlags=20,
            alpha=0.05,
            fft=True,
            adjusted=False,
            bartlett_confint=True,
            result_object=True,
        )
        values = reference.acf
    else:
        reference = pacf(
            e, nlags=20, alpha=0.05, method="ywadjusted", result_object=True
        )
        values = reference.pacf

    result = correlogram(e, kind=kind, lags=20, alpha=0.05)

    assert result.lags == tuple(range(21))
    assert list(result.values) == pytest.approx(list(values), rel=REL, abs=1e-15)
    assert list(result.confint_lower) == pytest.approx(
        list(reference.confint[:, 0]), rel=REL, abs=1e-15
    )
    assert list(result.band_upper) == pytest.approx(
        list(reference.confint[:, 1] - values), rel=REL, abs=1e-15
    )


def test_pacf_band_is_normal_quantile_over_root_n():
    y, x = macro_development()
    e = sm.OLS(y, sm.add_constant(x)).fit().resid

    result = correlogram(e, kind="pacf", lags=10, alpha=0.05)

    half_width = stats.norm.ppf(0.975) / math.sqrt(e.size)
    assert list(result.band_upper[1:]) == pytest.approx([half_width] * 10, rel=1e-9)


@pytest.mark.parametrize(
    "values, kind, lags, status",
    [
        ([1.0, 1.0, 1.0, 1.0, 1.0], "acf", 2, "constant_series"),
        ([1.0, 2.0, 0.5], "acf", 1, "too_short"),
        ([1.0, 2.0, 0.5, 3.0, 2.0, 1.0], "pacf", 4, "too_short"),
    ],
)
def test_correlogram_not_computable(values, kind, lags, status):
    with pytest.raises(NotComputable) as raised:
        correlogram(values, kind=kind, lags=lags)

    assert raised.value.status == status


def test_five_point_fit_reports_each_unavailable_test():
    y = np.array([0.01, 0.03, 0.02, 0.05, 0.04])
    x = np.array([[5.0], [6.5], [6.0], [7.5], [7.2]])
    fit = fit_regression(y, x, ["unemployment"])

    diagnostics = run_regression_diagnostics(fit, bg_lags=4, reset_power=3)

    tests = diagnostics.tests
    assert tests["breusch_godfrey"].not_computable_status == "too_short"
    assert tests["white"].not_computable_status is None
    assert tests["reset"].not_computable_status is None
    assert (
        run_regression_diagnostics(fit, reset_power=4)
        .tests["reset"]
        .not_computable_status
        == "too_short"
    )
    assert tests["durbin_watson"].statistic == pytest.approx(
        durbin_watson(fit.residuals), rel=REL
    )
    assert tests["ljung_box"].not_computable_status is None
    json.dumps(diagnostics.to_dict(), allow_nan=False)


def test_exact_fit_is_not_computable():
    x = np.arange(12.0).reshape(-1, 1)
    y = 2.0 + 3.0 * x[:, 0]

    with pytest.raises(NotComputable) as raised:
        fit_regression(y, x, ["trend"])

    assert raised.value.status == "exact_fit"


def test_constant_target_is_not_computable():
    with pytest.raises(NotComputable) as raised:
        fit_regression(np.zeros(6), np.arange(6.0).reshape(-1, 1), ["trend"])

    assert raised.value.status == "constant_target"


def test_zero_residuals_are_not_computable():
    x = np.arange(12.0).reshape(-1, 1)
    zero = np.zeros(12)

    with pytest.raises(NotComputable):
        durbin_watson_test(zero)
    with pytest.raises(NotComputable):
        ljung_box_test(zero, lags=2, significance_level=0.05)
    with pytest.raises(NotComputable):
        white_test(zero, sm.add_constant(x), significance_level=0.05)
    with pytest.raises(NotComputable):
        breusch_pagan_test(zero, sm.add_constant(x), significance_level=0.05)
    with pytest.raises(NotComputable):
        jarque_bera_test(zero, significance_level=0.05)


def test_white_with_dummy_regressor_keeps_warning():
    rng = np.random.default_rng(8)
    dummy = (rng.standard_normal(40) > 0).astype(float)
    x = np.column_stack([dummy, rng.standard_normal(40)])
    y = x @ [1.0, 2.0] + rng.standard_normal(40)
    fit = fit_regression(y, x, ["dummy", "level"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = het_white(fit.residuals, fit.design)

    result = white_test(fit.residuals, fit.design, significance_level=0.05)

    assert result.statistic == pytest.approx(reference[0], rel=REL)
    assert result.df == 4.0
    assert any("rank-deficient" in message for message in result.details["warnings"])


def test_invalid_lag_and_power_arguments():
    y, x = macro_development()
    fit = fit_regression(y, x, MACRO_REGRESSORS)

    with pytest.raises(NotComputable):
        breusch_godfrey_test(fit, lags=0, significance_level=0.05)
    with pytest.raises(NotComputable):
        reset_test(fit, power=1, significance_level=0.05)
    with pytest.raises(NotComputable):
        ljung_box_test(fit.residuals, lags=fit.nobs, significance_level=0.05)
    with pytest.raises(NotComputable):
        jarque_bera_test([1.0, np.nan, 2.0], significance_level=0.05)
    with pytest.raises(NotComputable):
        shapiro_wilk_test([1.0, 2.0], significance_level=0.05)


def test_durbin_watson_band_reading():
    positive = durbin_watson_test(
        np.repeat([1.0, -1.0], 10).cumsum() + np.linspace(0, 1, 20)
    )
    alternating = durbin_watson_test(np.array([1.0, -1.0] * 10))

    assert positive.statistic < 1.5
    assert "positive" in positive.details["interpretation"]
    assert alternating.statistic > 2.5
    assert "negative" in alternating.details["interpretation"]


def test_error_diagnostics_match_statsmodels():
    frame = pd.read_excel(
        DATA / "mmt_original" / "MacroData_predicted_defaultrate.xlsx",
        engine="openpyxl",
    )
    actual = frame["Defaultrate"].to_numpy()
    errors = frame["pred_dr"].to_numpy() - actual
    exog = sm.add_constant(actual)

    tests = run_error_diagnostics(errors, actual, ljungbox_lags=6)

    bp = het_breuschpagan(errors, exog, robust=True)
    assert tests["breusch_pagan"].statistic == pytest.approx(bp[0], rel=REL)
    assert tests["breusch_pagan"].p_value == pytest.approx(bp[1], rel=REL)
    assert tests["durbin_watson"].statistic == pytest.approx(
        durbin_watson(errors), rel=REL
    )
    lb = acorr_ljungbox(errors, lags=6, return_df=True)
    assert tests["ljung_box"].p_value == pytest.approx(
        lb["lb_pvalue"].iloc[-1], rel=REL
    )
    assert tests["anderson_darling"].statistic == pytest.approx(
        stats.anderson(errors, dist="norm", method="interpolate").statistic, rel=REL
    )
    assert tests["ljung_box"].parameters["lags"] == 6
    assert run_error_diagnostics(errors, actual)["ljung_box"].parameters["lags"] == min(
        10, actual.size // 5
    )
