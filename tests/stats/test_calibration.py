"""Calibration from per-grade aggregates against SciPy, scikit-learn and obligor-level formulas."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from sklearn.metrics import brier_score_loss

from mmt.errors import ValidationError
from mmt.stats import NotComputable
from mmt.stats.calibration import (
    binomial_critical_defaults,
    binomial_test,
    brier_score,
    calculate_calibration,
    calibration_from_arrays,
    herfindahl,
    herfindahl_cv_test,
    hosmer_lemeshow,
    jeffreys_test,
    spiegelhalter,
)

DATA = Path(__file__).parents[2] / "data"
FILES = ("pd_germancredit.csv", "pd_default_islp.csv", "pd_lendingclub.csv")
PERIODS = (None, "reference", "current")
SAMPLES = [(file, period) for file in FILES for period in PERIODS]


def load_sample(file: str, period: str | None) -> pd.DataFrame:
    frame = pd.read_csv(DATA / file)
    if period is not None:
        frame = frame[frame["period"] == period]
    return frame


def is_finite_or_none(value: object) -> bool:
    """Check every float inside a result, before JSON conversion turns inf into null."""
    if dataclasses.is_dataclass(value):
        return all(is_finite_or_none(getattr(value, field.name)) for field in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return all(is_finite_or_none(item) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def grade_table(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby("rating_grade").agg(
        obligors=("default_flag", "size"), defaults=("default_flag", "sum"), mean_pd=("pd", "mean")
    )


# --- real data ---------------------------------------------------------------------


@pytest.mark.parametrize(("file", "period"), SAMPLES)
def test_grade_tests_match_scipy(file: str, period: str | None) -> None:
    frame = load_sample(file, period)
    table = grade_table(frame)
    result = calibration_from_arrays(frame["pd"], frame["default_flag"], frame["rating_grade"])
    assert [row.grade for row in result.grades] == table.index.tolist()
    for row, (grade, expected) in zip(result.grades, table.iterrows()):
        obligors, defaults, mean_pd = int(expected.obligors), int(expected.defaults), expected.mean_pd
        assert row.obligors == obligors
        assert row.defaults == defaults
        assert row.mean_pd == pytest.approx(mean_pd, rel=1e-12)
        assert row.default_rate == pytest.approx(defaults / obligors, rel=1e-15)
        binomial = sps.binomtest(defaults, obligors, mean_pd, alternative="greater").pvalue
        assert row.binomial_pvalue == pytest.approx(binomial, rel=1e-9)
        jeffreys = sps.beta.cdf(mean_pd, defaults + 0.5, obligors - defaults + 0.5)
        assert row.jeffreys_pvalue == pytest.approx(jeffreys, rel=1e-9)
        z = (defaults - obligors * mean_pd) / math.sqrt(obligors * mean_pd * (1 - mean_pd))
        assert row.normal_z == pytest.approx(z, rel=1e-9)
        assert row.normal_pvalue == pytest.approx(1 - sps.norm.cdf(z), rel=1e-9, abs=1e-15)
        assert ("small_grade" in row.flags) == (obligors < 30)


@pytest.mark.parametrize(("file", "period"), SAMPLES)
def test_hosmer_lemeshow_by_hand(file: str, period: str | None) -> None:
    frame = load_sample(file, period)
    table = grade_table(frame)
    expected_defaults = table.obligors * table.mean_pd
    terms = (table.defaults - expected_defaults) ** 2 / (expected_defaults * (1 - table.mean_pd))
    statistic = terms.sum()
    result = calibration_from_arrays(frame["pd"], frame["default_flag"], frame["rating_grade"])
    hosmer = result.portfolio.hosmer_lemeshow
    assert hosmer.statistic == pytest.approx(statistic, rel=1e-9)
    assert hosmer.dof == len(table)
    assert hosmer.pvalue == pytest.approx(sps.chi2.sf(statistic, len(table)), rel=1e-9)
    for row, term in zip(result.grades, terms):
        assert row.hosmer_lemeshow_term == pytest.approx(term, rel=1e-9)


@pytest.mark.parametrize(("file", "period"), SAMPLES)
def test_brier_matches_sklearn(file: str, period: str | None) -> None:
    frame = load_sample(file, period)
    result = calibration_from_arrays(frame["pd"], frame["default_flag"], frame["rating_grade"])
    expected = brier_score_loss(frame["default_flag"], frame["pd"])
    assert result.portfolio.brier_score == pytest.approx(expected, rel=1e-9)
    default_rate = frame["default_flag"].mean()
    skill = 1 - expected / (default_rate * (1 - default_rate))
    assert result.portfolio.brier_skill_score == pytest.approx(skill, rel=1e-9)


@pytest.mark.parametrize(("file", "period"), SAMPLES)
def test_spiegelhalter_matches_obligor_formula(file: str, period: str | None) -> None:
    frame = load_sample(file, period)
    p = frame["pd"].to_numpy()
    y = frame["default_flag"].to_numpy()
    z = np.sum((y - p) * (1 - 2 * p)) / math.sqrt(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    # Same statistic in the mean-squared-error form of the Brier score.
    mse = np.mean((y - p) ** 2)
    z_from_mse = (mse - np.mean(p * (1 - p))) / math.sqrt(np.sum(p * (1 - p) * (1 - 2 * p) ** 2) / p.size**2)
    assert z == pytest.approx(z_from_mse, rel=1e-9)

    result = calibration_from_arrays(p, y, frame["rating_grade"])
    spiegel = result.portfolio.spiegelhalter
    assert spiegel.statistic == pytest.approx(z, rel=1e-9)
    assert spiegel.pvalue == pytest.approx(2 * (1 - sps.norm.cdf(abs(z))), rel=1e-9)
    assert spiegel.alternative == "two-sided"


@pytest.mark.parametrize(("file", "period"), SAMPLES)
def test_portfolio_tests_match_scipy(file: str, period: str | None) -> None:
    frame = load_sample(file, period)
    obligors = len(frame)
    defaults = int(frame["default_flag"].sum())
    mean_pd = frame["pd"].mean()
    portfolio = calibration_from_arrays(frame["pd"], frame["default_flag"], frame["rating_grade"]).portfolio
    assert portfolio.obligors == obligors
    assert portfolio.defaults == defaults
    assert portfolio.mean_pd == pytest.approx(mean_pd, rel=1e-12)
    assert portfolio.expected_defaults == pytest.approx(frame["pd"].sum(), rel=1e-12)
    assert portfolio.jeffreys.pvalue == pytest.approx(
        sps.beta.cdf(mean_pd, defaults + 0.5, obligors - defaults + 0.5), rel=1e-9
    )
    assert portfolio.binomial.pvalue == pytest.approx(
        sps.binomtest(defaults, obligors, mean_pd, alternative="greater").pvalue, rel=1e-9
    )
    assert portfolio.excluded_grades == ()
    assert portfolio.not_computed == ()


@pytest.mark.parametrize(("file", "period"), SAMPLES)
def test_herfindahl_by_hand(file: str, period: str | None) -> None:
    frame = load_sample(file, period)
    shares = frame["rating_grade"].value_counts(normalize=True).to_numpy()
    k = shares.size
    cv = math.sqrt(k * np.sum((shares - 1 / k) ** 2))
    result = calibration_from_arrays(frame["pd"], frame["default_flag"], frame["rating_grade"])
    concentration = result.portfolio.herfindahl
    assert concentration.grades == k
    assert concentration.coefficient_of_variation == pytest.approx(cv, rel=1e-12)
    assert concentration.hhi == pytest.approx(np.sum(shares**2), rel=1e-12)
    normalised = 1 + math.log(np.sum(shares**2)) / math.log(k)
    assert concentration.normalised_index == pytest.approx(normalised, rel=1e-9)


def test_real_result_is_strict_json() -> None:
    frame = load_sample("pd_default_islp.csv", "current")
    result = calibration_from_arrays(frame["pd"], frame["default_flag"], frame["rating_grade"])
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert len(payload["grades"]) == frame["rating_grade"].nunique()
    assert payload["portfolio"]["hosmer_lemeshow"]["dof"] == frame["rating_grade"].nunique()


# --- golden values -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pd_value", "obligors", "defaults", "expected"),
    [(0.10, 401, 36, 0.7487392259), (0.15, 489, 73, 0.5117810558), (0.20, 110, 23, 0.3971581812)],
)
def test_jeffreys_golden_p1(pd_value: float, obligors: int, defaults: int, expected: float) -> None:
    assert jeffreys_test(pd_value, obligors, defaults).pvalue == pytest.approx(expected, abs=5e-11)


P2_GRADES = [
    # grade, obligors, defaults, mean PD, Jeffreys p, binomial p, HL term
    ("A", 406, 55, 0.10342906086898278, 0.01995857, 0.02389227, 4.494222),
    ("B", 480, 41, 0.09952395992070007, 0.84955196, 0.86744061, 1.065930),
    ("C", 114, 10, 0.09571932442140331, 0.59864873, 0.66055279, 0.084292),
]


def test_grade_aggregates_golden_p2() -> None:
    labels = [row[0] for row in P2_GRADES]
    obligors = np.array([row[1] for row in P2_GRADES])
    defaults = np.array([row[2] for row in P2_GRADES])
    mean_pd = np.array([row[3] for row in P2_GRADES])
    # Only grade means are published, so every obligor gets the grade mean PD.
    result = calculate_calibration(
        labels, obligors, defaults, obligors * mean_pd, obligors * mean_pd**2, obligors * mean_pd**3,
        obligors * mean_pd**4, defaults * mean_pd,
    )
    for row, (_, _, _, _, jeffreys, binomial, term) in zip(result.grades, P2_GRADES):
        assert row.jeffreys_pvalue == pytest.approx(jeffreys, abs=5e-9)
        assert row.binomial_pvalue == pytest.approx(binomial, abs=5e-9)
        assert row.hosmer_lemeshow_term == pytest.approx(term, abs=5e-7)
    hosmer = result.portfolio.hosmer_lemeshow
    assert hosmer.statistic == pytest.approx(5.644444, abs=5e-7)
    assert hosmer.dof == 3
    assert hosmer.pvalue == pytest.approx(0.13025, abs=5e-6)
    concentration = result.portfolio.herfindahl
    assert concentration.hhi == pytest.approx(0.408232, abs=5e-7)
    assert concentration.normalised_index == pytest.approx(0.184499, abs=5e-7)
    assert concentration.coefficient_of_variation == pytest.approx(0.474021, abs=5e-7)


def test_herfindahl_golden_c2() -> None:
    concentration = herfindahl([302, 254, 206, 160, 118])
    assert concentration.coefficient_of_variation == pytest.approx(0.3142333584, abs=5e-11)
    assert concentration.normalised_index == pytest.approx(0.0585088978, abs=5e-11)
    test = herfindahl_cv_test(concentration.coefficient_of_variation, 0.30, 5)
    assert test.statistic == pytest.approx(0.1170752, abs=5e-8)
    assert test.pvalue == pytest.approx(0.4534002, abs=5e-8)


def test_hosmer_lemeshow_golden_c8() -> None:
    test = hosmer_lemeshow([0.01, 0.02, 0.05], [1000, 500, 200], [15, 12, 9])
    assert test.statistic == pytest.approx(3.0386789, abs=5e-8)
    assert test.dof == 3
    assert test.pvalue == pytest.approx(0.3857000, abs=5e-8)
    in_sample = hosmer_lemeshow([0.01, 0.02, 0.05], [1000, 500, 200], [15, 12, 9], dof=1)
    assert in_sample.pvalue == pytest.approx(sps.chi2.sf(test.statistic, 1), rel=1e-12)


@pytest.mark.parametrize(
    ("pd_value", "obligors", "expected"),
    [(0.01, 100, 5), (0.005, 1000, 12), (0.01, 1000, 19), (0.05, 1000, 68), (0.01, 10_000, 125)],
)
def test_binomial_critical_golden_p3(pd_value: float, obligors: int, expected: int) -> None:
    critical = binomial_critical_defaults(pd_value, obligors, 0.99)
    assert critical == expected
    assert sps.binom.sf(critical - 1, obligors, pd_value) <= 0.01
    assert sps.binom.sf(critical - 2, obligors, pd_value) > 0.01


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-4, 0.999), st.integers(1, 400), st.sampled_from([0.9, 0.95, 0.99, 0.999]))
def test_binomial_critical_matches_search(pd_value: float, obligors: int, confidence: float) -> None:
    tails = sps.binom.sf(np.arange(obligors + 1) - 1, obligors, pd_value)
    rejected = np.flatnonzero(tails <= 1 - confidence)
    expected = int(rejected[0]) if rejected.size else obligors + 1
    assert binomial_critical_defaults(pd_value, obligors, confidence) == expected


def test_binomial_critical_never_rejects() -> None:
    assert binomial_critical_defaults(0.9, 3, 0.99) == 4


# --- boundary PDs --------------------------------------------------------------------

CASE_14 = {
    "grades": ["G0", "G0b", "G5", "G5b", "D"],
    "pd": np.array([0.0, 0.0, 0.005, 0.005, 1.0]),
    "n": np.array([200, 200, 200, 200, 200]),
    "d": np.array([0, 1, 3, 0, 200]),
}


def case_14_result():  # type: ignore[no-untyped-def]
    pd_values, obligors, defaults = CASE_14["pd"], CASE_14["n"], CASE_14["d"]
    return calculate_calibration(
        CASE_14["grades"], obligors, defaults, obligors * pd_values, obligors * pd_values**2,
        obligors * pd_values**3, obligors * pd_values**4, defaults * pd_values,
    )


def test_pd_zero_without_defaults_consistent() -> None:
    row = case_14_result().grades[0]
    assert "pd_zero" in row.flags
    assert row.binomial_pvalue == 1.0
    assert row.jeffreys_pvalue == 1.0
    assert row.normal_z is None
    assert row.hosmer_lemeshow_term is None


def test_pd_zero_with_default_rejected() -> None:
    row = case_14_result().grades[1]
    assert "pd_zero" in row.flags
    assert row.binomial_pvalue == 0.0
    assert row.jeffreys_pvalue == 0.0
    assert row.binomial_pvalue == sps.binomtest(1, 200, 0.0, alternative="greater").pvalue
    assert "impossible" in row.message


def test_regular_grades_case_14() -> None:
    g5, g5b = case_14_result().grades[2:4]
    assert g5.binomial_pvalue == pytest.approx(0.07983943195297731, rel=1e-12)
    assert g5.jeffreys_pvalue == pytest.approx(0.039743297245463514, rel=1e-12)
    assert g5b.binomial_pvalue == 1.0
    assert g5b.jeffreys_pvalue == pytest.approx(0.8434795784447833, rel=1e-12)


def test_default_grade_excluded() -> None:
    result = case_14_result()
    default_grade = result.grades[4]
    assert "pd_one" in default_grade.flags
    assert default_grade.binomial_pvalue is None
    assert default_grade.jeffreys_pvalue is None
    portfolio = result.portfolio
    assert portfolio.excluded_grades == ("D",)
    assert portfolio.obligors == 800
    assert portfolio.defaults == 4
    assert portfolio.mean_pd == pytest.approx(2 / 800, rel=1e-15)
    assert portfolio.hosmer_lemeshow.dof == 2
    assert portfolio.hosmer_lemeshow.message == "Grades with PD = 0 left out: G0, G0b."
    g5, g5b = result.grades[2:4]
    assert portfolio.hosmer_lemeshow.statistic == pytest.approx(
        g5.hosmer_lemeshow_term + g5b.hosmer_lemeshow_term, rel=1e-14
    )
    assert portfolio.herfindahl.grades == 4
    assert portfolio.jeffreys.pvalue == pytest.approx(sps.beta.cdf(2 / 800, 4.5, 796.5), rel=1e-12)


def test_case_14_is_strict_json() -> None:
    payload = case_14_result().to_dict()
    assert json.dumps(payload, allow_nan=False)
    assert payload["grades"][1]["normal_z"] is None


def test_pd_near_zero_overflow() -> None:
    with pytest.raises(NotComputable) as raised:
        hosmer_lemeshow([1e-320, 0.1], [10, 10], [1, 1])
    assert raised.value.status == "overflow"
    result = calculate_calibration(
        ["A", "B"], [10, 10], [1, 1], [1e-319, 1.0], [0, 0.1], [0, 0.01], [0, 0.001], [1e-320, 0.1]
    )
    assert result.grades[0].hosmer_lemeshow_term is None
    assert result.portfolio.hosmer_lemeshow is None
    statuses = {entry.name: entry.status for entry in result.portfolio.not_computed}
    assert statuses["hosmer_lemeshow"] == "overflow"
    assert is_finite_or_none(result)


def test_single_tests_at_pd_one() -> None:
    assert jeffreys_test(1.0, 10, 10).pvalue == 1.0
    binomial = binomial_test(1.0, 10, 7)
    assert binomial.pvalue == 1.0
    assert binomial.statistic is None


def test_portfolio_of_pd_zero_grades() -> None:
    result = calculate_calibration(["A", "B"], [10, 20], [0, 1], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0])
    portfolio = result.portfolio
    assert portfolio.mean_pd == 0.0
    assert portfolio.binomial.pvalue == 0.0
    assert portfolio.hosmer_lemeshow is None
    assert portfolio.spiegelhalter is None
    names = {entry.name: entry.status for entry in portfolio.not_computed}
    assert names == {"hosmer_lemeshow": "no_grades", "spiegelhalter": "zero_variance"}


def test_empty_grade_kept() -> None:
    result = calculate_calibration(
        [1, 2, 3], [100, 0, 50], [2, 0, 3], [1.5, 0, 2.0], [0.03, 0, 0.1], [0.001, 0, 0.006],
        [0.00002, 0, 0.0004], [0.03, 0, 0.12],
    )
    empty = result.grades[1]
    assert empty.flags == ("empty",)
    assert empty.default_rate is None
    assert empty.mean_pd is None
    assert empty.jeffreys_pvalue is None
    assert result.portfolio.obligors == 150
    assert result.portfolio.hosmer_lemeshow.dof == 2
    assert result.portfolio.herfindahl.grades == 3
    assert json.dumps(result.to_dict(), allow_nan=False)


def test_all_grades_empty_or_default() -> None:
    result = calculate_calibration(["A", "D"], [0, 5], [0, 5], [0, 5], [0, 5], [0, 5], [0, 5], [0, 5])
    portfolio = result.portfolio
    assert portfolio.obligors == 0
    assert portfolio.default_rate is None
    assert portfolio.jeffreys is None
    assert portfolio.brier_score is None
    names = {entry.name for entry in portfolio.not_computed}
    assert {"jeffreys", "binomial", "hosmer_lemeshow", "spiegelhalter", "brier_score", "herfindahl"} <= names
    assert json.dumps(result.to_dict(), allow_nan=False)


def test_brier_skill_needs_defaults() -> None:
    result = calibration_from_arrays([0.01, 0.02, 0.03, 0.04], [0, 0, 0, 0], [1, 1, 2, 2])
    assert result.portfolio.brier_skill_score is None
    expected = np.mean(np.square([0.01, 0.02, 0.03, 0.04]))
    assert result.portfolio.brier_score == pytest.approx(expected, rel=1e-12)
    assert "brier_skill_score" in {entry.name for entry in result.portfolio.not_computed}


# --- single functions and errors -------------------------------------------------------


def test_spiegelhalter_half_pd_not_computable() -> None:
    p = np.full(4, 0.5)
    with pytest.raises(NotComputable) as raised:
        spiegelhalter(2, p.sum(), (p**2).sum(), (p**3).sum(), (p**4).sum(), 1.0)
    assert raised.value.status == "zero_variance"


def test_brier_score_from_sums() -> None:
    p = np.array([0.1, 0.4, 0.7])
    y = np.array([0, 1, 1])
    assert brier_score(3, 2, (p**2).sum(), (y * p).sum()) == pytest.approx(np.mean((y - p) ** 2), rel=1e-14)
    with pytest.raises(NotComputable):
        brier_score(0, 0, 0.0, 0.0)


def test_herfindahl_extremes() -> None:
    assert herfindahl([10, 10, 10, 10]).normalised_index == 0.0
    assert herfindahl([0, 40, 0, 0]).normalised_index == pytest.approx(1.0, abs=1e-15)
    with pytest.raises(NotComputable):
        herfindahl([10])
    with pytest.raises(NotComputable):
        herfindahl([0, 0])
    with pytest.raises(NotComputable):
        herfindahl_cv_test(0.0, 0.3, 5)
    with pytest.raises(NotComputable):
        herfindahl_cv_test(0.3, 0.3, 1)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: jeffreys_test(0.01, 0, 0), NotComputable),
        (lambda: jeffreys_test(1.5, 10, 1), ValidationError),
        (lambda: binomial_test(0.01, 10, 11), ValidationError),
        (lambda: binomial_test(0.01, 10.5, 1), ValidationError),
        (lambda: binomial_critical_defaults(0.01, 100, 1.0), ValidationError),
        (lambda: hosmer_lemeshow([], [], []), NotComputable),
        (lambda: hosmer_lemeshow([0.1, 0.2], [10], [1]), ValidationError),
        (lambda: hosmer_lemeshow([0.1, 0.2], [10, 0], [1, 0]), NotComputable),
        (lambda: hosmer_lemeshow([0.1, 0.0], [10, 10], [1, 0]), NotComputable),
        (lambda: hosmer_lemeshow([0.1], [10], [11]), ValidationError),
        (lambda: hosmer_lemeshow([0.1], [10], [1], dof=0), ValidationError),
        (lambda: herfindahl([1, -1]), ValidationError),
        (lambda: herfindahl_cv_test(np.nan, 0.3, 5), ValidationError),
        (lambda: calculate_calibration(["A"], [10, 2], [1], [1], [1], [1], [1], [1]), ValidationError),
        (lambda: calculate_calibration(["A"], [10], [1], [1, 2], [1], [1], [1], [1]), ValidationError),
        (lambda: calculate_calibration(["A"], [10], [1], [np.nan], [1], [1], [1], [1]), ValidationError),
        (lambda: calculate_calibration(["A"], [10], [1], [11], [1], [1], [1], [1]), ValidationError),
        (lambda: calculate_calibration(["A"], [10], [1], [1], [1], [1], [1], [2]), ValidationError),
        (lambda: calculate_calibration(["A"], [10], [11], [1], [1], [1], [1], [1]), ValidationError),
        (lambda: calibration_from_arrays([0.1, 0.2], [0], [1, 1]), ValidationError),
        (lambda: calibration_from_arrays([0.1, 1.2], [0, 1], [1, 1]), ValidationError),
        (lambda: calibration_from_arrays([0.1, 0.2], [0, 2], [1, 1]), ValidationError),
    ],
)
def test_invalid_input_rejected(call, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        call()


# --- properties ----------------------------------------------------------------------

obligor_rows = st.lists(
    st.tuples(
        st.sampled_from([0.0, 1.0, 1e-6, 0.5]) | st.floats(0, 1, allow_nan=False),
        st.booleans(),
        st.integers(1, 6),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(obligor_rows)
def test_output_always_finite_or_null(rows: list[tuple[float, bool, int]]) -> None:
    p = np.array([row[0] for row in rows])
    y = np.array([row[1] for row in rows], dtype=int)
    grade = np.array([row[2] for row in rows])
    result = calibration_from_arrays(p, y, grade)
    assert is_finite_or_none(result)
    assert json.dumps(result.to_dict(), allow_nan=False)
    for row in result.grades:
        for value in (row.binomial_pvalue, row.jeffreys_pvalue, row.normal_pvalue):
            assert value is None or 0.0 <= value <= 1.0


@settings(max_examples=300, deadline=None)
@given(obligor_rows)
def test_sums_match_obligor_formulas(rows: list[tuple[float, bool, int]]) -> None:
    p = np.array([row[0] for row in rows])
    y = np.array([row[1] for row in rows], dtype=int)
    grade = np.array([row[2] for row in rows])
    result = calibration_from_arrays(p, y, grade)
    portfolio = result.portfolio
    outside_default_grades = ~np.isin(grade, portfolio.excluded_grades)
    p = p[outside_default_grades]
    y = y[outside_default_grades]
    if portfolio.brier_score is not None:
        assert portfolio.brier_score == pytest.approx(np.mean((y - p) ** 2), abs=1e-12)
    variance = np.sum((1 - 2 * p) ** 2 * p * (1 - p))
    if portfolio.spiegelhalter is not None and variance > 1e-6:
        z = np.sum((y - p) * (1 - 2 * p)) / math.sqrt(variance)
        assert portfolio.spiegelhalter.statistic == pytest.approx(z, rel=1e-6, abs=1e-9)
