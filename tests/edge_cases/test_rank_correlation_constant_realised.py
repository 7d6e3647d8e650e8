"""Rank correlations of LGD and CCF back-tests when a segment's realised values are constant.

The fault: a segment whose defaulted facilities all cured has realised LGD 0
everywhere, and Spearman's rho is undefined (a zero variance of ranks).
SciPy returns NaN, a 2-D call can turn every pair into NaN (scipy issue
22816), and tools show the NaN as 0 or drop it. MMT computes each pair on its
own 1-D inputs, reports the constant segment as ``null`` with status
``constant_realised`` and its reason, and still reports the other LGD figures
of that segment. Realised LGDs outside [0, 1] are counted, never clipped.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mmt.stats import NotComputable
from mmt.stats.backtest import generalised_auc, lgd_t_test, rank_correlations
from tests.edge_cases.product import analyze, csv_bytes, raw_non_finite, upload_bytes

REL = 1e-9
PREDICTED = [0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55]
REALISED = [0.00, 0.05, 0.00, 0.30, 0.10, 0.45, 0.35, 0.60, 0.40, 0.80]
HEADER = ["facility_id", "segment", "pred_lgd", "realised_lgd"]


def lgd_rows() -> list[list]:
    rows = [[f"F{index}", "Mixed", predicted, realised]
            for index, (predicted, realised) in enumerate(zip(PREDICTED, REALISED))]
    rows += [[f"C{index}", "Cured", predicted, 0.0] for index, predicted in enumerate(PREDICTED)]
    return rows


def segments_of(client, rows) -> dict[str, dict]:
    dataset_id = upload_bytes(client, "lgd", "lgd.csv", csv_bytes(HEADER, rows))["dataset_id"]
    results = analyze(client, "lgd", dataset_id=dataset_id)["results"]
    return {entry["segment"]: entry for entry in results["segments"]}


def test_all_cured_segment_has_null_correlations_and_keeps_its_other_figures(client):
    segments = segments_of(client, lgd_rows())

    cured = segments["Cured"]
    for name in ("spearman", "kendall", "pearson"):
        assert cured["metrics"][name] is None
        assert cured["tests"][name]["status"] == "constant_realised"
        assert "all cured" in cured["tests"][name]["reason"]
    assert cured["tests"]["gauc"]["status"] == "constant_realised"
    assert cured["metrics"]["mean_realised"] == 0.0
    assert cured["metrics"]["mean_predicted"] == pytest.approx(np.mean(PREDICTED), rel=REL)
    assert cured["metrics"]["mean_predicted"] == pytest.approx(0.325, rel=REL)
    reference = stats.ttest_1samp(np.subtract(0.0, PREDICTED), 0.0, alternative="greater")
    assert cured["tests"]["t_test"]["statistic"] == pytest.approx(reference.statistic, rel=REL)
    assert cured["tests"]["t_test"]["pvalue"] == pytest.approx(reference.pvalue, rel=REL)


def test_defined_segment_matches_scipy_whatever_the_constant_segment(client):
    segments = segments_of(client, lgd_rows())

    mixed = segments["Mixed"]["metrics"]
    spearman = stats.spearmanr(PREDICTED, REALISED)
    kendall = stats.kendalltau(PREDICTED, REALISED)
    pearson = stats.pearsonr(PREDICTED, REALISED)
    assert mixed["spearman"] == pytest.approx(spearman.statistic, rel=REL)
    assert mixed["spearman"] == pytest.approx(0.905779, abs=5e-7)
    assert mixed["spearman_pvalue"] == pytest.approx(spearman.pvalue, rel=REL)
    assert mixed["spearman_pvalue"] == pytest.approx(0.000307, abs=5e-7)
    assert mixed["kendall"] == pytest.approx(kendall.statistic, rel=REL)
    assert mixed["pearson"] == pytest.approx(pearson.statistic, rel=REL)


def test_correlation_of_a_segment_does_not_depend_on_row_or_segment_order(client):
    rows = lgd_rows()
    shuffled = rows[10:] + rows[:10]
    random.Random(7).shuffle(shuffled)

    first, second = segments_of(client, rows), segments_of(client, shuffled)

    for name in ("spearman", "spearman_pvalue", "kendall", "pearson", "mean_realised"):
        assert second["Mixed"]["metrics"][name] == pytest.approx(first["Mixed"]["metrics"][name], rel=1e-12)
    assert second["Cured"]["metrics"]["spearman"] is None


def test_realised_lgd_outside_unit_interval_is_counted_not_clipped(client):
    realised = [-0.05, 0.05, 0.00, 0.30, 0.10, 0.45, 0.35, 0.60, 0.40, 1.20]
    rows = [[f"F{index}", "Mixed", predicted, value] for index, (predicted, value) in enumerate(zip(PREDICTED, realised))]

    dataset_id = upload_bytes(client, "lgd", "lgd.csv", csv_bytes(HEADER, rows))["dataset_id"]
    results = analyze(client, "lgd", dataset_id=dataset_id)["results"]

    assert results["counts"]["realised_below_zero"] == 1
    assert results["counts"]["realised_above_one"] == 1
    assert results["metrics"]["mean_realised"] == pytest.approx(np.mean(realised), rel=REL)
    assert results["metrics"]["spearman"] == pytest.approx(stats.spearmanr(PREDICTED, realised).statistic, rel=REL)


def test_ccf_segment_with_constant_realised_ccf_is_null_not_zero(client):
    header = ["facility_id", "segment", "limit", "drawn", "ead_realised", "ccf_predicted", "ccf_realised"]
    predicted = [0.1 * index for index in range(10)]
    realised = [0.1 * index + 0.05 * (index % 3) for index in range(10)]
    rows = [[f"M{index}", "Mixed", 1000, 500, 500 + 500 * value, estimate, value]
            for index, (estimate, value) in enumerate(zip(predicted, realised))]
    rows += [[f"F{index}", "Full", 1000, 500, 1000, estimate, 1.0] for index, estimate in enumerate(predicted)]
    dataset_id = upload_bytes(client, "ead", "ead.csv", csv_bytes(header, rows))["dataset_id"]

    segments = {entry["segment"]: entry for entry in analyze(client, "ead", dataset_id=dataset_id)["results"]["segments"]}

    full = segments["Full"]
    assert full["metrics"]["ccf_spearman"] is None
    assert full["tests"]["ccf"]["spearman"]["status"] == "constant_realised"
    assert "constant realised CCF" in full["tests"]["ccf"]["spearman"]["reason"]
    assert segments["Mixed"]["metrics"]["ccf_spearman"] == pytest.approx(
        stats.spearmanr(predicted, realised).statistic, rel=REL)


# --- the whole kind: every rank or product-moment correlation and the tests beside it ---

lgd_values = st.sampled_from([0.0, 0.0, 0.05, 0.1, 0.3, 0.45, 1.0, 1.2, -0.1])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(lgd_values, lgd_values), min_size=3, max_size=25))
def test_rank_correlations_are_exact_or_not_computable_for_any_pair(pairs):
    predicted = [estimate for estimate, _ in pairs]
    realised = [value for _, value in pairs]

    if len(set(realised)) == 1 or len(set(predicted)) == 1:
        with pytest.raises(NotComputable) as raised:
            rank_correlations(predicted, realised)
        expected = "constant_realised" if len(set(realised)) == 1 else "constant_predicted"
        assert raised.value.status == expected
        return
    result = rank_correlations(predicted, realised)

    assert not raw_non_finite(result)
    assert result.spearman == pytest.approx(stats.spearmanr(predicted, realised).statistic, rel=REL, abs=1e-12)
    assert result.kendall == pytest.approx(stats.kendalltau(predicted, realised).statistic, rel=REL, abs=1e-12)
    assert -1.0 <= result.spearman <= 1.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(lgd_values, lgd_values), min_size=1, max_size=25))
def test_lgd_back_tests_beside_the_correlations_never_return_nan(pairs):
    predicted = [estimate for estimate, _ in pairs]
    realised = [value for _, value in pairs]

    for compute in (lambda: lgd_t_test(predicted, realised), lambda: generalised_auc(predicted, realised)):
        try:
            result = compute()
        except NotComputable as error:
            assert error.reason
            assert error.status
            continue
        assert not raw_non_finite(result)
