"""LGD and EAD/CCF back-testing statistics against SciPy, scikit-learn and hand-written formulas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats as sps
from sklearn import metrics as skm

from mmt.stats import NotComputable
from mmt.stats import backtest

DATA = Path(__file__).parents[2] / "data"
RTOL = 1e-9

# Golden example: estimated / realised LGD of 8 facilities.
C5_PREDICTED = [0.20, 0.35, 0.40, 0.10, 0.55, 0.30, 0.25, 0.45]
C5_REALISED = [0.25, 0.30, 0.60, 0.05, 0.70, 0.35, 0.20, 0.50]
# Golden example: 3 x 3 table, rows estimated class, columns realised class.
C4_TABLE = [[20, 8, 2], [6, 15, 9], [2, 7, 21]]
# Binary check: rows non-defaults / defaults, columns grades 1 (best) .. 5 (worst).
BINARY_TABLE = [[300, 250, 200, 150, 100], [2, 4, 6, 10, 18]]

# Rank correlation with a constant (all cured) realised column.
CASE18_PREDICTED = [0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55]
CASE18_REALISED = [0.00, 0.05, 0.00, 0.30, 0.10, 0.45, 0.35, 0.60, 0.40, 0.80]
CASE18_CURED = [0.0] * 10


def ecb_gauc_reference(table) -> tuple[float, float, float]:
    """Somers' D, gAUC and s of ECB Annex 2, written out cell by cell."""
    a = np.asarray(table, dtype=float)
    n_rows, n_columns = a.shape
    total = a.sum()
    row_totals = a.sum(axis=1)
    concordant = np.zeros_like(a)
    discordant = np.zeros_like(a)
    for i in range(n_rows):
        for j in range(n_columns):
            concordant[i, j] = a[:i, :j].sum() + a[i + 1 :, j + 1 :].sum()
            discordant[i, j] = a[i + 1 :, :j].sum() + a[:i, j + 1 :].sum()
    p = (a * concordant).sum()
    q = (a * discordant).sum()
    w_r = total**2 - (row_totals**2).sum()
    somers_d = (p - q) / w_r
    inner = 0.0
    for i in range(n_rows):
        for j in range(n_columns):
            d_ij = concordant[i, j] - discordant[i, j]
            inner += a[i, j] * (w_r * d_ij - (p - q) * (total - row_totals[i])) ** 2
    return somers_d, (somers_d + 1) / 2, np.sqrt(inner) / w_r**2


def ecb_segment_table(predicted, realised) -> np.ndarray:
    """Cross table of the twelve ECB segments built with pandas."""
    edges = [-np.inf, 0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 1.00, np.inf]
    rows = pd.cut(predicted, edges, right=False, labels=False)
    columns = pd.cut(realised, edges, right=False, labels=False)
    table = pd.crosstab(rows, columns).reindex(index=range(12), columns=range(12), fill_value=0)
    return table.to_numpy()


@pytest.fixture(scope="module")
def lgd_closed() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "lgd_synthetic.csv")
    return frame[frame["workout_status"] == "closed"].reset_index(drop=True)


@pytest.fixture(scope="module")
def ccf_sample() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "ead_synthetic.csv")
    return frame[frame["undrawn_amount_ref"] > 0].reset_index(drop=True)


# --------------------------------------------------------------------------- t-tests


def test_lgd_t_test_golden_values():
    result = backtest.lgd_t_test(C5_PREDICTED, C5_REALISED)
    assert result.statistic == pytest.approx(1.3128664, abs=5e-8)
    assert result.pvalue == pytest.approx(0.1153144, abs=5e-8)
    assert result.mean_difference == pytest.approx(0.04375, rel=RTOL)
    assert result.variance == pytest.approx(0.00888392857, rel=1e-9)
    assert result.n == 8
    assert result.alternative == "greater"


def test_lgd_t_test_matches_scipy_paired():
    reference = sps.ttest_rel(C5_REALISED, C5_PREDICTED, alternative="greater")
    result = backtest.lgd_t_test(C5_PREDICTED, C5_REALISED)
    assert result.statistic == pytest.approx(reference.statistic, rel=RTOL)
    assert result.pvalue == pytest.approx(reference.pvalue, rel=RTOL)


def test_elbe_t_test_two_sided():
    reference = sps.ttest_rel(C5_REALISED, C5_PREDICTED, alternative="two-sided")
    result = backtest.elbe_t_test(C5_PREDICTED, C5_REALISED)
    assert result.pvalue == pytest.approx(0.2306288, abs=5e-8)
    assert result.pvalue == pytest.approx(reference.pvalue, rel=RTOL)
    assert result.alternative == "two-sided"


def test_elbe_t_test_negative_statistic_two_sided():
    result = backtest.elbe_t_test(C5_REALISED, C5_PREDICTED)
    reference = sps.ttest_1samp(np.subtract(C5_PREDICTED, C5_REALISED), 0.0)
    assert result.statistic < 0
    assert result.pvalue == pytest.approx(reference.pvalue, rel=RTOL)


def test_ccf_t_test_on_synthetic_data(ccf_sample):
    predicted = ccf_sample["predicted_ccf"].to_numpy()
    realised = ccf_sample["realised_ccf"].to_numpy()
    differences = realised - predicted
    statistic = np.sqrt(differences.size) * differences.mean() / differences.std(ddof=1)
    result = backtest.ccf_t_test(predicted, realised)
    assert result.statistic == pytest.approx(statistic, rel=RTOL)
    assert result.pvalue == pytest.approx(sps.t.sf(statistic, differences.size - 1), rel=RTOL)
    assert result.n == len(ccf_sample)


def test_ead_t_test_on_fully_drawn_lines():
    frame = pd.read_csv(DATA / "ead_synthetic.csv")
    fully_drawn = frame[frame["undrawn_amount_ref"] == 0]
    reference = sps.ttest_1samp(fully_drawn["ead_at_default"] - fully_drawn["predicted_ead"], 0.0, alternative="greater")
    result = backtest.ead_t_test(fully_drawn["predicted_ead"], fully_drawn["ead_at_default"])
    assert result.statistic == pytest.approx(reference.statistic, rel=RTOL)
    assert result.pvalue == pytest.approx(reference.pvalue, rel=RTOL)


def test_t_test_single_facility_not_computable():
    with pytest.raises(NotComputable) as error:
        backtest.lgd_t_test([0.3], [0.4])
    assert error.value.status == "insufficient_data"


def test_t_test_equal_differences_not_computable():
    with pytest.raises(NotComputable) as error:
        backtest.lgd_t_test([0.1, 0.2, 0.3], [0.2, 0.3, 0.4])
    assert error.value.status == "zero_variance"


def test_t_test_result_is_strict_json():
    payload = backtest.lgd_t_test(C5_PREDICTED, C5_REALISED).to_dict()
    assert json.loads(json.dumps(payload, allow_nan=False))["n"] == 8


@pytest.mark.parametrize(
    ("predicted", "realised"),
    [([0.1, np.nan], [0.1, 0.2]), ([0.1, 0.2], [0.1]), ([[0.1]], [[0.2]])],
)
def test_invalid_inputs_raise_value_error(predicted, realised):
    with pytest.raises(ValueError):
        backtest.lgd_t_test(predicted, realised)


# --------------------------------------------------------------------------- gAUC


def test_gauc_golden_table():
    result = backtest.generalised_auc_from_table(C4_TABLE)
    assert result.somers_d == pytest.approx(0.5659259, abs=5e-8)
    assert result.gauc == pytest.approx(0.7829630, abs=5e-8)
    assert result.standard_error == pytest.approx(0.0351461, abs=5e-8)
    assert result.n == 90


def test_gauc_golden_table_against_scipy_and_formula():
    somers_d, gauc, standard_error = ecb_gauc_reference(C4_TABLE)
    result = backtest.generalised_auc_from_table(C4_TABLE)
    assert result.somers_d == pytest.approx(sps.somersd(np.array(C4_TABLE)).statistic, rel=RTOL)
    assert result.somers_d == pytest.approx(somers_d, rel=RTOL)
    assert result.gauc == pytest.approx(gauc, rel=RTOL)
    assert result.standard_error == pytest.approx(standard_error, rel=RTOL)


def test_gauc_test_golden_values():
    gauc = backtest.generalised_auc_from_table(C4_TABLE)
    result = backtest.gauc_test(gauc.gauc, gauc.standard_error, 0.75)
    assert result.statistic == pytest.approx(-0.937884, abs=5e-7)
    assert result.pvalue == pytest.approx(0.825848, abs=5e-7)
    statistic = (0.75 - gauc.gauc) / gauc.standard_error
    assert result.statistic == pytest.approx(statistic, rel=RTOL)
    assert result.pvalue == pytest.approx(1 - sps.norm.cdf(statistic), rel=RTOL)


def test_gauc_binary_table_equals_auc():
    result = backtest.generalised_auc_from_table(BINARY_TABLE)
    grades = np.concatenate([np.repeat(np.arange(1, 6), row) for row in BINARY_TABLE])
    flags = np.concatenate([np.zeros(sum(BINARY_TABLE[0])), np.ones(sum(BINARY_TABLE[1]))])
    assert result.gauc == pytest.approx(0.78125, rel=RTOL)
    assert result.gauc == pytest.approx(skm.roc_auc_score(flags, grades), rel=RTOL)
    assert result.standard_error == pytest.approx(0.0355587, abs=5e-8)


def test_gauc_ecb_segments_on_synthetic_lgd(lgd_closed):
    predicted = lgd_closed["predicted_lgd"].to_numpy()
    realised = lgd_closed["realised_lgd"].to_numpy()
    table = ecb_segment_table(predicted, realised)
    somers_d, gauc, standard_error = ecb_gauc_reference(table)
    result = backtest.generalised_auc(predicted, realised)
    assert result.scheme == "ecb_segments"
    assert np.array_equal(np.array(result.table), table)
    assert result.somers_d == pytest.approx(sps.somersd(table).statistic, rel=RTOL)
    assert result.gauc == pytest.approx(gauc, rel=RTOL)
    assert result.standard_error == pytest.approx(standard_error, rel=RTOL)


def test_gauc_ecb_segments_on_synthetic_ccf(ccf_sample):
    predicted = ccf_sample["predicted_ccf"].to_numpy()
    realised = ccf_sample["realised_ccf"].to_numpy()
    table = ecb_segment_table(predicted, realised)
    _, gauc, standard_error = ecb_gauc_reference(table)
    result = backtest.generalised_auc(predicted, realised, classes="segments")
    assert result.gauc == pytest.approx(gauc, rel=RTOL)
    assert result.standard_error == pytest.approx(standard_error, rel=RTOL)


def test_gauc_grades_realised_classes():
    # Grades 0.2, 0.4, 0.6: realised <= 0.2 -> class 1, (0.2, 0.4] -> 2, (0.4, 0.6] -> 3, > 0.6 -> 4.
    predicted = [0.2, 0.2, 0.2, 0.4, 0.4, 0.4, 0.6, 0.6, 0.6, 0.6]
    realised = [0.1, 0.2, 0.5, 0.3, 0.4, 0.9, 0.55, 0.6, 0.61, -0.1]
    expected = np.array([[2, 0, 1, 0], [0, 2, 0, 1], [1, 0, 2, 1]])
    result = backtest.generalised_auc(predicted, realised)
    assert result.scheme == "grades"
    assert np.array_equal(np.array(result.table), expected)
    assert len(result.column_labels) == 4
    assert result.somers_d == pytest.approx(sps.somersd(expected).statistic, rel=RTOL)


def test_gauc_auto_picks_segments_above_twenty_grades():
    predicted = np.linspace(0.01, 0.99, 21)
    realised = predicted[::-1].copy()
    assert backtest.generalised_auc(predicted, realised).scheme == "ecb_segments"
    assert backtest.generalised_auc(predicted[:20], realised[:20]).scheme == "grades"


def test_gauc_explicit_bounds_binary_equals_auc():
    rng = np.random.default_rng(7)
    flags = rng.integers(0, 2, 300)
    grades = np.clip(rng.integers(1, 6, 300) + flags, 1, 6)
    result = backtest.generalised_auc(flags, grades, classes=[0.5, 1.5, 2.5, 3.5, 4.5, 5.5])
    assert result.scheme == "bounds"
    assert result.gauc == pytest.approx(skm.roc_auc_score(flags, grades), rel=RTOL)


@pytest.mark.parametrize("classes", ["deciles", [0.5, 0.2], [], [np.nan]])
def test_gauc_invalid_classes(classes):
    with pytest.raises(ValueError):
        backtest.generalised_auc([0.1, 0.2], [0.1, 0.3], classes=classes)


def test_gauc_single_estimated_class_not_computable():
    with pytest.raises(NotComputable) as error:
        backtest.generalised_auc([0.3] * 5, [0.1, 0.2, 0.3, 0.4, 0.5])
    assert error.value.status == "single_class"


def test_gauc_constant_realised_not_computable():
    with pytest.raises(NotComputable) as error:
        backtest.generalised_auc(CASE18_PREDICTED, CASE18_CURED)
    assert error.value.status == "constant_realised"


def test_gauc_empty_input_not_computable():
    with pytest.raises(NotComputable):
        backtest.generalised_auc([], [])
    with pytest.raises(NotComputable):
        backtest.generalised_auc_from_table([[0, 0], [0, 0]])


@pytest.mark.parametrize("table", [[1, 2, 3], [[1, -1], [2, 3]], [[np.inf, 1], [1, 1]]])
def test_gauc_invalid_table(table):
    with pytest.raises(ValueError):
        backtest.generalised_auc_from_table(table)


def test_gauc_test_zero_standard_error_not_computable():
    with pytest.raises(NotComputable):
        backtest.gauc_test(0.7, 0.0, 0.75)


@pytest.mark.parametrize(("gauc", "standard_error", "initial"), [(1.2, 0.1, 0.7), (0.7, -0.1, 0.7), (0.7, 0.1, np.nan)])
def test_gauc_test_invalid_arguments(gauc, standard_error, initial):
    with pytest.raises(ValueError):
        backtest.gauc_test(gauc, standard_error, initial)


def test_gauc_result_is_strict_json():
    payload = backtest.generalised_auc_from_table(C4_TABLE).to_dict()
    decoded = json.loads(json.dumps(payload, allow_nan=False))
    assert decoded["table"] == C4_TABLE
    assert decoded["variance"] == pytest.approx(payload["standard_error"] ** 2, rel=RTOL)


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=6), elements=st.integers(0, 40)))
def test_gauc_bounds_property(counts):
    assume(np.count_nonzero(counts.sum(axis=1)) >= 2 and np.count_nonzero(counts.sum(axis=0)) >= 2)
    result = backtest.generalised_auc_from_table(counts)
    assert 0.0 <= result.gauc <= 1.0
    assert np.isfinite(result.standard_error)
    assert result.somers_d == pytest.approx(sps.somersd(counts).statistic, rel=1e-9, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(1, 8)), min_size=2, max_size=200))
def test_gauc_binary_equals_sklearn_auc_property(pairs):
    flags = np.array([flag for flag, _ in pairs])
    grades = np.array([grade for _, grade in pairs])
    assume(0 < flags.sum() < flags.size and np.ptp(grades) > 0)
    table = np.zeros((2, 8))
    np.add.at(table, (flags, grades - 1), 1)
    assert backtest.generalised_auc_from_table(table).gauc == pytest.approx(
        skm.roc_auc_score(flags, grades), rel=1e-9, abs=1e-12
    )


# --------------------------------------------------------------------------- correlations


def test_rank_correlations_case_values():
    result = backtest.rank_correlations(CASE18_PREDICTED, CASE18_REALISED)
    assert result.spearman == pytest.approx(0.905779, abs=5e-7)
    assert result.spearman_pvalue == pytest.approx(0.000307, abs=5e-7)
    reference = sps.spearmanr(CASE18_PREDICTED, CASE18_REALISED)
    assert result.spearman == pytest.approx(reference.statistic, rel=RTOL)
    assert result.spearman_pvalue == pytest.approx(reference.pvalue, rel=RTOL)


def test_rank_correlations_constant_realised_all_cured():
    with pytest.raises(NotComputable) as error:
        backtest.rank_correlations(CASE18_PREDICTED, CASE18_CURED)
    assert error.value.status == "constant_realised"
    assert "constant realised LGD" in error.value.reason
    assert "all cured" in error.value.reason


def test_rank_correlations_constant_ccf_reason():
    with pytest.raises(NotComputable) as error:
        backtest.rank_correlations([0.1, 0.2, 0.3], [1.0, 1.0, 1.0], quantity="CCF")
    assert error.value.reason.startswith("constant realised CCF")
    assert "cured" not in error.value.reason


def test_rank_correlations_pair_independent_of_other_pairs():
    alone = backtest.rank_correlations(CASE18_PREDICTED, CASE18_REALISED)
    with pytest.raises(NotComputable):
        backtest.rank_correlations(CASE18_PREDICTED, CASE18_CURED)
    again = backtest.rank_correlations(CASE18_PREDICTED, CASE18_REALISED)
    assert again == alone


def test_rank_correlations_constant_predicted():
    with pytest.raises(NotComputable) as error:
        backtest.rank_correlations([0.4] * 4, [0.1, 0.2, 0.3, 0.5])
    assert error.value.status == "constant_predicted"


def test_rank_correlations_too_few_facilities():
    with pytest.raises(NotComputable) as error:
        backtest.rank_correlations([0.1, 0.2], [0.3, 0.1])
    assert error.value.status == "insufficient_data"


def test_rank_correlations_on_synthetic_lgd(lgd_closed):
    predicted = lgd_closed["predicted_lgd"].to_numpy()
    realised = lgd_closed["realised_lgd"].to_numpy()
    result = backtest.rank_correlations(predicted, realised)
    spearman = sps.spearmanr(predicted, realised)
    kendall = sps.kendalltau(predicted, realised)
    pearson = sps.pearsonr(predicted, realised)
    assert result.spearman == pytest.approx(spearman.statistic, rel=RTOL)
    assert result.kendall == pytest.approx(kendall.statistic, rel=RTOL)
    assert result.kendall_pvalue == pytest.approx(kendall.pvalue, rel=RTOL)
    assert result.pearson == pytest.approx(pearson.statistic, rel=RTOL)
    assert result.n == len(lgd_closed)
    assert json.dumps(result.to_dict(), allow_nan=False)


# --------------------------------------------------------------------------- error metrics


def test_error_metrics_match_sklearn(lgd_closed):
    predicted = lgd_closed["predicted_lgd"].to_numpy()
    realised = lgd_closed["realised_lgd"].to_numpy()
    exposure = lgd_closed["ead_at_default"].to_numpy()
    result = backtest.error_metrics(predicted, realised, exposure=exposure)
    non_zero = realised != 0

    assert result.mae == pytest.approx(skm.mean_absolute_error(realised, predicted), rel=RTOL)
    assert result.rmse == pytest.approx(skm.root_mean_squared_error(realised, predicted), rel=RTOL)
    assert result.r_squared == pytest.approx(skm.r2_score(realised, predicted), rel=RTOL)
    assert result.bias == pytest.approx(np.mean(realised - predicted), rel=RTOL)
    assert result.mape == pytest.approx(
        100 * skm.mean_absolute_percentage_error(realised[non_zero], predicted[non_zero]), rel=RTOL
    )
    assert result.mape_excluded_zero_realised == int((~non_zero).sum())
    assert result.loss_shortfall == pytest.approx(1 - (predicted * exposure).sum() / (realised * exposure).sum(), rel=RTOL)
    assert result.weighted_mae == pytest.approx(np.average(np.abs(realised - predicted), weights=exposure), rel=RTOL)
    assert result.loss_shortfall_weighting == "exposure"
    assert result.reasons == {}


def test_error_metrics_without_exposure():
    result = backtest.error_metrics(C5_PREDICTED, C5_REALISED)
    assert result.loss_shortfall == pytest.approx(1 - np.mean(C5_PREDICTED) / np.mean(C5_REALISED), rel=RTOL)
    assert result.loss_shortfall_weighting == "none"
    assert result.weighted_mae is None
    assert result.reasons["weighted_mae"]["status"] == "missing_exposure"


def test_error_metrics_constant_realised_zero():
    result = backtest.error_metrics(CASE18_PREDICTED, CASE18_CURED)
    assert result.r_squared is None
    assert result.mape is None
    assert result.loss_shortfall is None
    assert result.mae == pytest.approx(np.mean(CASE18_PREDICTED), rel=RTOL)
    assert set(result.reasons) == {"r_squared", "mape", "loss_shortfall", "weighted_mae"}
    assert json.dumps(result.to_dict(), allow_nan=False)


def test_error_metrics_zero_exposure():
    result = backtest.error_metrics([0.1, 0.2], [0.2, 0.3], exposure=[0.0, 0.0])
    assert result.weighted_mae is None
    assert result.reasons["weighted_mae"]["status"] == "zero_exposure"


def test_error_metrics_empty_input():
    result = backtest.error_metrics([], [])
    assert result.n == 0
    assert result.mae is None
    assert result.mape is None
    assert result.reasons["mape"]["status"] == "insufficient_data"


def test_r_squared_single_facility():
    with pytest.raises(NotComputable):
        backtest.r_squared([0.1], [0.2])


@pytest.mark.parametrize("exposure", [[1.0], [1.0, -1.0], [1.0, np.nan]])
def test_invalid_exposure(exposure):
    with pytest.raises(ValueError):
        backtest.loss_shortfall([0.1, 0.2], [0.2, 0.3], exposure)


# --------------------------------------------------------------------------- EAD ratio


def test_ead_ratio_and_exceedance_share():
    frame = pd.read_csv(DATA / "ead_synthetic.csv")
    predicted = frame["predicted_ead"].to_numpy()
    realised = frame["ead_at_default"].to_numpy()
    assert backtest.ead_ratio(predicted, realised) == pytest.approx(realised.sum() / predicted.sum(), rel=RTOL)
    assert backtest.exceedance_share(predicted, realised) == pytest.approx(np.mean(realised > predicted), rel=RTOL)


def test_ead_ratio_zero_prediction():
    with pytest.raises(NotComputable):
        backtest.ead_ratio([0.0, 0.0], [1.0, 2.0])
    with pytest.raises(NotComputable):
        backtest.ead_ratio([], [])
    with pytest.raises(NotComputable):
        backtest.exceedance_share([], [])


# --------------------------------------------------------------------------- deciles


def qcut_percent_grid(predicted, realised) -> np.ndarray:
    rows = pd.qcut(realised, 10, labels=False)
    columns = pd.qcut(predicted, 10, labels=False)
    grid = pd.crosstab(rows, columns, normalize="all") * 100
    return grid.reindex(index=range(10), columns=range(10), fill_value=0.0).to_numpy()


def test_decile_table_matches_qcut_on_original_lgd():
    frame = pd.read_csv(DATA / "mmt_original" / "lgd_mock_data.csv")
    predicted = frame["predicted_lgd"].to_numpy()
    realised = frame["actual_lgd"].to_numpy()
    result = backtest.decile_table(predicted, realised)
    np.testing.assert_allclose(np.array(result.percent), qcut_percent_grid(predicted, realised), rtol=RTOL, atol=1e-12)
    assert result.total_count == len(frame)


@pytest.mark.parametrize("size", [10, 11, 19, 21, 101, 1001])
def test_decile_index_matches_qcut(size):
    values = np.random.default_rng(size).normal(size=size)
    assert np.array_equal(backtest._decile_index(values), pd.qcut(values, 10, labels=False))


def test_decile_index_with_ties_matches_quantile_edges():
    values = np.array([0.0] * 30 + list(np.linspace(0.1, 1.0, 50)) + [1.0] * 20)
    edges = np.quantile(values, np.linspace(0, 1, 11))
    expected = np.clip(np.searchsorted(edges, values, side="left") - 1, 0, 9)
    assert np.array_equal(backtest._decile_index(values), expected)


def test_decile_table_constant_values_full_grid():
    result = backtest.decile_table(np.full(25, 0.4), np.zeros(25))
    grid = np.array(result.percent)
    assert grid.shape == (10, 10)
    assert grid[0, 0] == pytest.approx(100.0)
    assert grid.sum() == pytest.approx(100.0)


def test_decile_table_too_few_facilities():
    with pytest.raises(NotComputable) as error:
        backtest.decile_table(np.arange(9.0), np.arange(9.0))
    assert error.value.status == "insufficient_data"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-1, 2, allow_nan=False), st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0, 1)),
        min_size=10,
        max_size=300,
    )
)
def test_decile_table_sums_to_100_property(pairs):
    predicted = np.array([pair[0] for pair in pairs])
    realised = np.array([pair[1] for pair in pairs])
    result = backtest.decile_table(predicted, realised)
    grid = np.array(result.percent)
    assert grid.shape == (10, 10)
    assert grid.sum() == pytest.approx(100.0, rel=1e-12)
    assert (grid >= 0).all()
    assert np.array(result.counts).sum() == len(pairs)


# --------------------------------------------------------------------------- scatter sample


def test_sample_points_deterministic_subset():
    predicted = np.arange(5000.0)
    realised = -np.arange(5000.0)
    first = backtest.sample_points(predicted, realised, max_points=2000)
    second = backtest.sample_points(predicted, realised, max_points=2000)
    assert first[0].size == 2000
    assert np.array_equal(first[0], second[0])
    assert np.array_equal(first[1], -first[0])
    assert (np.diff(first[0]) > 0).all()


def test_sample_points_keeps_small_inputs():
    values = np.array([3.0, 1.0, 2.0])
    (kept,) = backtest.sample_points(values, max_points=2000)
    assert np.array_equal(kept, values)


def test_sample_points_invalid_arguments():
    with pytest.raises(ValueError):
        backtest.sample_points([1.0], max_points=0)
    with pytest.raises(ValueError):
        backtest.sample_points([1.0, 2.0], [1.0])


def test_r_squared_constant_realised_with_rounding_is_not_computable():
    # 12 x 0.4 has a floating-point mean that differs from 0.4 in the last bit.
    from mmt.stats.backtest import r_squared

    realised = np.full(12, 0.4)
    assert float(((realised - realised.mean()) ** 2).sum()) > 0
    with pytest.raises(NotComputable):
        r_squared(np.linspace(0.1, 0.9, 12), realised)
