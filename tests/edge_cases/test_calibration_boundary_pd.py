"""Binomial, Jeffreys and portfolio calibration tests for grades with PD = 0 or PD = 1.

The fault: the normal approximation divides by ``sqrt(n PD (1 - PD)) = 0``
(NaN or inf), the Jeffreys test at PD = 0 returns p = 0 ("PD underestimated")
for a grade with no default, and a default grade (PD = 1) fed into the
portfolio totals distorts them. MMT's rule (docs/edge_cases.md): PD = 0 with
no default is consistent (p = 1), PD = 0 with a default is impossible (p = 0
and a message), PD = 1 grades are left out of every calibration figure, and
PD = 0 grades are left out of Hosmer-Lemeshow, whose term divides by PD.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from mmt.stats.calibration import binomial_test, calibration_from_arrays, jeffreys_test
from tests.edge_cases.product import analyze, csv_bytes, finite_or_none, raw_non_finite, upload_bytes

REL = 1e-9
# grade, PD, obligors, defaults
GRADES = [("G0", 0.0, 200, 0), ("G0b", 0.0, 200, 1), ("G5", 0.005, 200, 3), ("G5b", 0.005, 200, 0),
          ("D", 1.0, 200, 200)]


def obligor_rows(grades) -> list[list]:
    rows = []
    for grade, pd_value, obligors, defaults in grades:
        rows += [[f"{grade}-{index}", pd_value, grade, 1 if index < defaults else 0] for index in range(obligors)]
    return rows


@pytest.fixture
def calibration(client) -> dict:
    upload = upload_bytes(client, "pd", "boundary.csv",
                          csv_bytes(["obligor_id", "pd", "rating", "default_flag"], obligor_rows(GRADES)))
    body = analyze(client, "pd", dataset_id=upload["dataset_id"], grade_order=[grade for grade, *_ in GRADES])
    return body["results"]["calibration"]


def grade_rows(calibration: dict) -> dict[str, dict]:
    return {row["grade"]: row for row in calibration["grades"]}


def test_ordinary_grades_match_scipy_binomial_and_jeffreys(calibration):
    rows = grade_rows(calibration)

    g5, g5b = rows["G5"], rows["G5b"]
    assert g5["binomial_pvalue"] == pytest.approx(stats.binomtest(3, 200, 0.005, alternative="greater").pvalue, rel=REL)
    assert g5["binomial_pvalue"] == pytest.approx(0.079839, abs=5e-7)
    assert g5["jeffreys_pvalue"] == pytest.approx(stats.beta.cdf(0.005, 3.5, 197.5), rel=REL)
    assert g5["jeffreys_pvalue"] == pytest.approx(0.039743, abs=5e-7)
    assert g5b["binomial_pvalue"] == pytest.approx(1.0, rel=REL)
    assert g5b["jeffreys_pvalue"] == pytest.approx(stats.beta.cdf(0.005, 0.5, 200.5), rel=REL)
    assert g5b["jeffreys_pvalue"] == pytest.approx(0.843480, abs=5e-7)
    z = (3 - 200 * 0.005) / math.sqrt(200 * 0.005 * 0.995)
    assert g5["normal_z"] == pytest.approx(z, rel=REL)
    assert g5["normal_pvalue"] == pytest.approx(stats.norm.sf(z), rel=REL)


def test_pd_zero_grade_without_default_is_consistent_not_rejected(calibration):
    g0 = grade_rows(calibration)["G0"]

    assert g0["binomial_pvalue"] == 1.0
    assert g0["jeffreys_pvalue"] == 1.0
    assert g0["normal_z"] is None
    assert g0["normal_pvalue"] is None
    assert g0["hosmer_lemeshow_term"] is None
    assert "pd_zero" in g0["flags"]
    assert g0["status"] == "green"
    assert "consistent" in g0["message"]


def test_pd_zero_grade_with_a_default_is_rejected_with_a_message(calibration):
    g0b = grade_rows(calibration)["G0b"]

    assert g0b["binomial_pvalue"] == 0.0
    assert g0b["jeffreys_pvalue"] == 0.0
    assert g0b["normal_z"] is None
    assert "pd_zero" in g0b["flags"]
    assert g0b["status"] == "red"
    assert "impossible" in g0b["message"]


def test_default_grade_is_left_out_of_every_calibration_figure(calibration):
    d = grade_rows(calibration)["D"]
    portfolio = calibration["portfolio"]

    assert d["flags"] == ["pd_one"]
    assert d["status"] is None
    assert d["binomial_pvalue"] is None
    assert d["jeffreys_pvalue"] is None
    assert portfolio["excluded_grades"] == ["D"]
    included = [grade for grade in GRADES if grade[0] != "D"]
    obligors = sum(grade[2] for grade in included)
    defaults = sum(grade[3] for grade in included)
    mean_pd = sum(grade[1] * grade[2] for grade in included) / obligors
    assert (portfolio["obligors"], portfolio["defaults"]) == (obligors, defaults)
    assert portfolio["mean_pd"] == pytest.approx(mean_pd, rel=REL)
    assert portfolio["jeffreys"]["pvalue"] == pytest.approx(
        stats.beta.cdf(mean_pd, defaults + 0.5, obligors - defaults + 0.5), rel=REL)
    assert portfolio["binomial"]["pvalue"] == pytest.approx(
        stats.binomtest(defaults, obligors, mean_pd, alternative="greater").pvalue, rel=REL)


def test_hosmer_lemeshow_and_spiegelhalter_leave_boundary_pds_out_of_their_divisions(calibration):
    portfolio = calibration["portfolio"]

    # Hosmer-Lemeshow over the grades with 0 < PD < 1 only, K degrees of freedom.
    terms = [(d - n * p) ** 2 / (n * p * (1 - p)) for _, p, n, d in GRADES if 0 < p < 1]
    hosmer = portfolio["hosmer_lemeshow"]
    assert hosmer["statistic"] == pytest.approx(sum(terms), rel=REL)
    assert hosmer["dof"] == 2
    assert hosmer["pvalue"] == pytest.approx(stats.chi2.sf(sum(terms), 2), rel=REL)
    assert "G0, G0b" in hosmer["message"]
    # Spiegelhalter on the obligors outside the default grade; PD = 0 obligors add no variance.
    rows = [row for row in obligor_rows(GRADES) if row[2] != "D"]
    p = np.array([row[1] for row in rows])
    y = np.array([row[3] for row in rows], dtype=float)
    z = np.sum((y - p) * (1 - 2 * p)) / np.sqrt(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    assert portfolio["spiegelhalter"]["statistic"] == pytest.approx(z, rel=REL)
    assert portfolio["spiegelhalter"]["pvalue"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=REL)
    assert portfolio["brier_score"] == pytest.approx(np.mean((y - p) ** 2), rel=REL)


# --- the whole kind: boundary PDs anywhere a calibration test divides by PD (1 - PD) ---


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([0.0, 1.0, 1e-12, 0.5, 1 - 1e-12, 0.003]), st.integers(1, 500), st.data())
def test_single_grade_tests_are_finite_for_any_pd(pd_value, obligors, data):
    defaults = data.draw(st.integers(0, obligors))

    binomial, jeffreys = binomial_test(pd_value, obligors, defaults), jeffreys_test(pd_value, obligors, defaults)

    assert not raw_non_finite(binomial)
    assert not raw_non_finite(jeffreys)
    assert 0.0 <= binomial.pvalue <= 1.0
    assert 0.0 <= jeffreys.pvalue <= 1.0
    if pd_value == 0.0:
        assert binomial.pvalue == jeffreys.pvalue == (1.0 if defaults == 0 else 0.0)
        assert binomial.statistic is None
    elif pd_value < 1.0:
        assert binomial.pvalue == pytest.approx(
            stats.binomtest(defaults, obligors, pd_value, alternative="greater").pvalue, rel=1e-7)
        assert jeffreys.pvalue == pytest.approx(stats.beta.cdf(pd_value, defaults + 0.5, obligors - defaults + 0.5),
                                                rel=1e-7, abs=1e-300)


grade_cells = st.tuples(st.sampled_from([0.0, 1.0, 0.001, 0.02, 0.3]), st.integers(0, 40), st.integers(0, 40))


@settings(max_examples=200, deadline=None)
@given(st.lists(grade_cells, min_size=1, max_size=6))
def test_calibration_table_with_boundary_grades_is_finite(cells):
    pd_values, flags, grades = [], [], []
    for grade, (pd_value, obligors, defaults) in enumerate(cells):
        defaults = min(defaults, obligors)
        pd_values += [pd_value] * obligors
        flags += [1] * defaults + [0] * (obligors - defaults)
        grades += [grade] * obligors
    if not pd_values:
        return

    result = calibration_from_arrays(pd_values, flags, grades)

    assert not raw_non_finite(result)
    for row in result.grades:
        if row.mean_pd == 1.0:
            assert row.binomial_pvalue is None
            assert "pd_one" in row.flags
            assert row.grade in result.portfolio.excluded_grades
        elif row.mean_pd == 0.0:
            assert row.binomial_pvalue == (1.0 if row.defaults == 0 else 0.0)
            assert row.hosmer_lemeshow_term is None
    included = [row for row in result.grades if row.mean_pd != 1.0]
    assert result.portfolio.obligors == sum(row.obligors for row in included)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(grade_cells, min_size=2, max_size=4))
def test_pd_analysis_with_boundary_grades_answers_strict_json(client, cells):
    grades = [(f"G{index}", pd_value, obligors, min(defaults, obligors))
              for index, (pd_value, obligors, defaults) in enumerate(cells)]
    rows = obligor_rows(grades)
    if not rows:
        return

    body = analyze(client, "pd", dataset_id=upload_bytes(
        client, "pd", "random.csv", csv_bytes(["obligor_id", "pd", "rating", "default_flag"], rows))["dataset_id"])

    assert finite_or_none(body)
    for row in body["results"]["calibration"]["grades"]:
        if row["mean_pd"] == 0.0 and row["defaults"] > 0:
            assert row["status"] == "red"
            assert row["binomial_pvalue"] == 0.0
        if row["mean_pd"] == 1.0:
            assert row["status"] is None
