"""Every test statistic that divides by a variance, on inputs where that variance is zero.

The fault: a t-, z-, F- or chi-square statistic whose denominator is a
variance, a standard error or ``1 - R^2`` becomes NaN or infinite on
degenerate input (equal differences, one class, a rate of 0 or 1, an exact
fit), and the NaN reaches the report as ``NaN``, as a blank cell or, after
``to_jsonable``, as an unexplained ``null``. In MMT each such statistic is
either finite or raises ``NotComputable`` with a reason. The properties below
look at the result objects themselves, before any JSON conversion, so that a
NaN turned into ``None`` would still be caught.

Covered here: the LGD/ELBE/CCF/EAD t-tests, the ECB AUC and gAUC z-tests,
the unpaired AUC test, the Hanley-McNeil and Bamber standard errors, the
migration z-tests and rate-change test, the Herfindahl CV test, Spiegelhalter
and Hosmer-Lemeshow (on grades with PD 0, 1/2 and 1), the forecast accuracy
measures and every residual diagnostic. The binomial and Jeffreys tests, rank
correlations and unit-root tests have their own files.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mmt.errors import MMTError
from mmt.stats import NotComputable
from mmt.stats.backtest import ccf_t_test, ead_t_test, elbe_t_test, gauc_test, generalised_auc, lgd_t_test
from mmt.stats.calibration import calibration_from_arrays, herfindahl_cv_test
from mmt.stats.discrimination import (
    bamber_auc_se_bound,
    compare_auc_unpaired,
    discrimination_from_arrays,
    hanley_mcneil_se,
    test_auc_against_reference,
)
from mmt.stats.forecast import calculate_performance_metrics
from mmt.stats.regression import (
    breusch_pagan_test,
    fit_regression,
    run_error_diagnostics,
    run_regression_diagnostics,
    white_test,
)
from mmt.stats.transitions import migration_z_tests, rate_change_test
from tests.edge_cases.product import analyze, csv_bytes, raw_non_finite, upload_bytes

REL = 1e-9


def finite_or_not_computable(compute):
    """Run ``compute``; return its result when finite, or None when it raised NotComputable."""
    try:
        result = compute()
    except NotComputable as error:
        assert error.reason
        assert error.status
        return None
    assert not raw_non_finite(result), raw_non_finite(result)
    return result


# --- one-sample t-tests of realised against estimated values ---

values = st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.1 + 0.2, 0.45, 1.0, 1.2, -0.05])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=0, max_size=20), st.sampled_from([None, 0.1, 0.1 + 0.2]))
def test_back_testing_t_tests_are_finite_or_not_computable(pairs, shift):
    predicted = [estimate for estimate, _ in pairs]
    realised = [value for _, value in pairs] if shift is None else [estimate + shift for estimate in predicted]

    for test in (lgd_t_test, elbe_t_test, ccf_t_test, ead_t_test):
        result = finite_or_not_computable(lambda: test(predicted, realised))
        if result is None:
            continue
        reference = stats.ttest_1samp(np.subtract(realised, predicted), 0.0,
                                      alternative="greater" if test is not elbe_t_test else "two-sided")
        assert result.statistic == pytest.approx(reference.statistic, rel=1e-7)


def test_t_test_with_equal_differences_up_to_rounding_is_not_computable():
    # 0.3 - 0.2 and 0.2 - 0.1 differ in the last bit, so a naive T is about 1e16.
    with pytest.raises(NotComputable) as raised:
        lgd_t_test([0.1, 0.2], [0.2, 0.3])
    assert raised.value.status == "zero_variance"


# --- z-tests on AUCs, gAUCs and transition rates ---


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.01, 0.02, 0.05, 0.5, 0.9]), st.integers(0, 1)), min_size=2, max_size=25),
       st.floats(0.0, 1.0))
def test_auc_z_tests_are_finite_or_not_computable(pairs, reference_auc):
    scores = [score for score, _ in pairs]
    flags = [flag for _, flag in pairs]
    result = finite_or_not_computable(lambda: discrimination_from_arrays(scores, flags))
    if result is None:
        assert len(set(flags)) == 1
        return

    finite_or_not_computable(lambda: test_auc_against_reference(result.auc, result.auc_se, reference_auc))
    finite_or_not_computable(lambda: compare_auc_unpaired(result.auc, result.auc_se, reference_auc, 0.0))
    finite_or_not_computable(lambda: hanley_mcneil_se(result.auc, result.n_defaults, result.n_non_defaults))
    finite_or_not_computable(lambda: bamber_auc_se_bound(result.auc, result.n_defaults, result.n_non_defaults))


def test_auc_z_test_with_zero_standard_error_is_not_computable():
    perfect = discrimination_from_arrays([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])

    assert perfect.auc == 1.0
    with pytest.raises(NotComputable) as raised:
        test_auc_against_reference(perfect.auc, perfect.auc_se, 0.8)
    assert raised.value.status == "zero_variance"
    with pytest.raises(NotComputable):
        compare_auc_unpaired(perfect.auc, perfect.auc_se, 1.0, 0.0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=1, max_size=20), st.floats(0.0, 1.0))
def test_gauc_z_test_is_finite_or_not_computable(pairs, initial):
    predicted = [estimate for estimate, _ in pairs]
    realised = [value for _, value in pairs]
    for classes in ("grades", "segments"):
        result = finite_or_not_computable(lambda: generalised_auc(predicted, realised, classes=classes))
        if result is not None:
            finite_or_not_computable(lambda: gauc_test(result.gauc, result.standard_error, initial))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 6), min_size=3, max_size=3), min_size=3, max_size=3),
       st.lists(st.integers(0, 3), min_size=3, max_size=3), st.integers(0, 8), st.integers(0, 8), st.data())
def test_transition_z_tests_are_finite_or_not_computable(counts, exits, first_total, second_total, data):
    totals = [sum(row) + extra for row, extra in zip(counts, exits)]
    for test in migration_z_tests(counts, totals, ["1", "2", "3"]):
        assert not raw_non_finite(test)
        assert (test.z is None) == (test.p_value is None)
        if test.z is None:
            assert test.reason

    first_events = data.draw(st.integers(0, first_total))
    second_events = data.draw(st.integers(0, second_total))
    result = finite_or_not_computable(lambda: rate_change_test(first_events, first_total, second_events, second_total))
    if result is not None:
        table = [[first_events, first_total - first_events], [second_events, second_total - second_events]]
        chi_square = stats.chi2_contingency(table, correction=False).statistic
        assert result.z**2 == pytest.approx(chi_square, rel=1e-7)


# --- calibration tests whose variance is n p (1 - p) ---


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.5, 1.0, 0.02, 0.5 + 1e-9]), st.integers(0, 1)), min_size=1,
                max_size=40), st.integers(1, 4))
def test_hosmer_lemeshow_and_spiegelhalter_are_finite_or_not_computable(pairs, grades):
    pd_values = [value for value, _ in pairs]
    flags = [flag for _, flag in pairs]
    grade = [index % grades for index in range(len(pairs))]

    result = calibration_from_arrays(pd_values, flags, grade)

    assert not raw_non_finite(result)
    missing = {item.name: item for item in result.portfolio.not_computed}
    for name in ("hosmer_lemeshow", "spiegelhalter"):
        assert (getattr(result.portfolio, name) is None) == (name in missing)
    if all(value in (0.0, 0.5, 1.0) for value in pd_values):
        assert result.portfolio.spiegelhalter is None


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 5.0), st.floats(0.0, 5.0), st.integers(0, 12))
def test_herfindahl_cv_test_is_finite_or_not_computable(cv, cv_init, grades):
    result = finite_or_not_computable(lambda: herfindahl_cv_test(cv, cv_init, grades))

    if cv < 1e-12 or grades < 2:
        assert result is None
    else:
        statistic = math.sqrt(grades - 1) * (cv - cv_init) / math.sqrt(cv**2 * (0.5 + cv**2))
        assert result.statistic == pytest.approx(statistic, rel=REL)


@pytest.mark.parametrize("cv", [1e-17, 1e-160, 5e-324])
def test_herfindahl_cv_test_treats_rounding_noise_cv_as_zero(cv):
    # A CV of 1e-17 is what equal grade shares leave after rounding. It gave T = -7e15,
    # and smaller ones raised ZeroDivisionError or gave an infinite T.
    with pytest.raises(NotComputable) as raised:
        herfindahl_cv_test(cv, 0.5, 5)
    assert raised.value.status == "zero_variance"


# --- forecast accuracy and residual diagnostics ---

rates = st.sampled_from([0.0, 0.0, 0.01, 0.02, 0.1, 0.1 + 0.2, 0.3, 1.0])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(rates, rates, rates), min_size=1, max_size=30), st.booleans())
def test_accuracy_measures_and_residual_tests_are_finite_or_not_computable(rows, perfect):
    actual = np.array([row[0] for row in rows])
    predicted = actual.copy() if perfect else np.array([row[1] for row in rows])
    regressor = np.array([row[2] for row in rows])

    metrics = finite_or_not_computable(lambda: calculate_performance_metrics(actual, predicted, n_regressors=1))
    diagnostics = run_error_diagnostics(actual - predicted, actual)

    assert metrics is None or not raw_non_finite(metrics)
    assert not raw_non_finite(diagnostics)
    for test in diagnostics.values():
        assert (test.statistic is None) == (test.not_computable_status is not None)
    try:
        fit = fit_regression(actual, regressor[:, None], ["regressor"])
    except (NotComputable, MMTError):
        return
    assert not raw_non_finite(fit)
    assert not raw_non_finite(run_regression_diagnostics(fit))


def test_heteroscedasticity_f_form_of_an_exact_auxiliary_fit_is_null_with_reason():
    # Squared residuals 0, 0, 0.0784 are an exact linear function of [1, y], so F = 1 / 0.
    residuals = np.array([0.0, 0.0, 0.28])
    exog = np.column_stack([np.ones(3), [0.1, 0.1, 0.3]])

    for test in (breusch_pagan_test(residuals, exog, significance_level=0.05),
                 white_test(np.array([0.0, 0.0, 0.28, 0.0]),
                            np.column_stack([np.ones(4), [0.1, 0.1, 0.3, 0.1]]), significance_level=0.05)):
        assert not raw_non_finite(test)
        assert test.details["f_statistic"] is None
        assert test.details["f_p_value"] is None
        assert "R-squared 1" in test.details["f_reason"]
        assert math.isfinite(test.statistic)


def test_supplied_fitted_values_with_exact_auxiliary_fit_report_no_f_statistic(client):
    # Default rates of 1 % or 2 %, and fitted values off by 0.1 or 0.2 points within each level:
    # the squared errors depend on the level only, so the Breusch-Pagan regression fits them exactly.
    actual = [0.01, 0.02, 0.02, 0.01, 0.02, 0.01, 0.01, 0.02, 0.02, 0.01] * 2
    fitted = [value + (0.001 if value == 0.01 else -0.002) * (1 if index % 2 else -1) for index, value in enumerate(actual)]
    quarters = [str(period) for period in pd.period_range("2010Q1", periods=len(actual), freq="Q")]
    dataset_id = upload_bytes(client, "macro", "fitted.csv", csv_bytes(
        ["quarter", "default_rate", "fitted_dr"], zip(quarters, actual, fitted)))["dataset_id"]

    results = analyze(client, "macro", dataset_id=dataset_id, regressors=[])["results"]

    test = results["diagnostics"]["supplied_fitted"]["tests"]["breusch_pagan"]
    assert test["statistic"] == pytest.approx(len(actual), rel=REL)  # LM = n R^2 with R^2 = 1
    assert test["p_value"] == pytest.approx(stats.chi2.sf(len(actual), 1), rel=REL)
    assert test["details"]["f_statistic"] is None
    assert "R-squared 1" in test["details"]["f_reason"]
