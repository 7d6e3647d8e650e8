"""Discrimination from grouped counts against scikit-learn, SciPy and hand-written references."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from sklearn.metrics import roc_auc_score, roc_curve

from mmt.errors import ValidationError
from mmt.stats import NotComputable
from mmt.stats.discrimination import (
    bamber_auc_se_bound,
    binning_error_bounds,
    calculate_discrimination,
    compare_auc_unpaired,
    discrimination_from_arrays,
    discrimination_from_grade_table,
    hanley_mcneil_se,
    test_auc_against_reference,
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


def direct_delong(score: np.ndarray, flag: np.ndarray) -> tuple[float, float]:
    """Return AUC and DeLong variance from all (defaulter, non-defaulter) pairs."""
    defaulter_scores = score[flag == 1]
    non_defaulter_scores = score[flag == 0]
    pair_kernel = (defaulter_scores[:, None] > non_defaulter_scores[None, :]).astype(float)
    pair_kernel += 0.5 * (defaulter_scores[:, None] == non_defaulter_scores[None, :])
    placement_defaulters = pair_kernel.mean(axis=1)
    placement_non_defaulters = pair_kernel.mean(axis=0)
    auc = pair_kernel.mean()
    variance = (
        placement_defaulters.var(ddof=1) / defaulter_scores.size
        + placement_non_defaulters.var(ddof=1) / non_defaulter_scores.size
    )
    return float(auc), float(variance)


# --- real data ---------------------------------------------------------------------


@pytest.mark.parametrize(("file", "period"), SAMPLES)
@pytest.mark.parametrize("column", ["pd", "rating_grade"])
def test_auc_matches_sklearn(file: str, period: str | None, column: str) -> None:
    frame = load_sample(file, period)
    result = discrimination_from_arrays(frame[column], frame["default_flag"])
    expected = roc_auc_score(frame["default_flag"], frame[column])
    assert result.auc == pytest.approx(expected, rel=1e-12)
    assert result.gini == pytest.approx(2 * expected - 1, rel=1e-12)
    assert result.accuracy_ratio == pytest.approx(2 * expected - 1, rel=1e-12)


@pytest.mark.parametrize(("file", "period"), SAMPLES)
@pytest.mark.parametrize("column", ["pd", "rating_grade"])
def test_ks_matches_scipy(file: str, period: str | None, column: str) -> None:
    frame = load_sample(file, period)
    score = frame[column].to_numpy(dtype=float)
    flag = frame["default_flag"].to_numpy()
    result = discrimination_from_arrays(score, flag)
    expected = sps.ks_2samp(score[flag == 1], score[flag == 0]).statistic
    assert result.ks_statistic == pytest.approx(expected, rel=1e-12)

    risky_side = score >= result.ks_score
    separation = abs(risky_side[flag == 1].mean() - risky_side[flag == 0].mean())
    assert separation == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("file", "period"), SAMPLES)
@pytest.mark.parametrize("column", ["pd", "rating_grade"])
def test_delong_matches_pairwise(file: str, period: str | None, column: str) -> None:
    frame = load_sample(file, period)
    score = frame[column].to_numpy(dtype=float)
    flag = frame["default_flag"].to_numpy()
    result = discrimination_from_arrays(score, flag)
    auc, variance = direct_delong(score, flag)
    assert result.auc == pytest.approx(auc, rel=1e-12)
    assert result.auc_variance == pytest.approx(variance, rel=1e-10)
    assert result.auc_se == pytest.approx(math.sqrt(variance), rel=1e-10)
    assert result.gini_se == pytest.approx(2 * math.sqrt(variance), rel=1e-10)


@pytest.mark.parametrize("file", FILES)
def test_gini_matches_somers_d(file: str) -> None:
    frame = load_sample(file, None)
    result = discrimination_from_arrays(frame["rating_grade"], frame["default_flag"])
    expected = sps.somersd(frame["default_flag"], frame["rating_grade"]).statistic
    assert result.gini == pytest.approx(expected, rel=1e-12)


def test_counts_match_data() -> None:
    frame = load_sample("pd_germancredit.csv", None)
    result = discrimination_from_arrays(frame["pd"], frame["default_flag"])
    assert result.n_defaults == frame["default_flag"].sum()
    assert result.n_non_defaults == (frame["default_flag"] == 0).sum()
    assert result.n_scores == frame["pd"].nunique()


def test_confidence_interval_is_normal() -> None:
    frame = load_sample("pd_lendingclub.csv", "current")
    result = discrimination_from_arrays(frame["pd"], frame["default_flag"], confidence=0.9)
    half_width = sps.norm.ppf(0.95) * result.auc_se
    assert result.confidence == 0.9
    assert result.auc_ci_lower == pytest.approx(result.auc - half_width, rel=1e-12)
    assert result.auc_ci_upper == pytest.approx(result.auc + half_width, rel=1e-12)


def test_confidence_interval_clipped() -> None:
    result = calculate_discrimination([1, 2, 3], [0, 1, 5], [5, 1, 0], confidence=0.999)
    assert result.auc_ci_upper == 1.0
    assert result.auc_ci_lower < result.auc


def test_roc_points_match_sklearn() -> None:
    frame = load_sample("pd_default_islp.csv", "reference")
    result = discrimination_from_arrays(frame["rating_grade"], frame["default_flag"])
    fpr, tpr, thresholds = roc_curve(frame["default_flag"], frame["rating_grade"], drop_intermediate=False)
    np.testing.assert_allclose(result.roc_curve.x, fpr, rtol=0, atol=1e-15)
    np.testing.assert_allclose(result.roc_curve.y, tpr, rtol=0, atol=1e-15)
    assert result.roc_curve.score[0] is None
    np.testing.assert_array_equal(result.roc_curve.score[1:], thresholds[1:])


def test_cap_curve_shares() -> None:
    frame = load_sample("pd_germancredit.csv", None)
    result = discrimination_from_arrays(frame["rating_grade"], frame["default_flag"])
    grade = frame["rating_grade"].to_numpy()
    for x, y, cut in zip(result.cap_curve.x[1:], result.cap_curve.y[1:], result.cap_curve.score[1:]):
        selected = grade >= cut
        assert x == pytest.approx(selected.mean(), rel=1e-12)
        default_share = frame["default_flag"][selected].sum() / frame["default_flag"].sum()
        assert y == pytest.approx(default_share, rel=1e-12)


def test_lower_score_riskier() -> None:
    frame = load_sample("pd_lendingclub.csv", None)
    result = discrimination_from_arrays(frame["score"], frame["default_flag"], higher_is_riskier=False)
    expected = roc_auc_score(frame["default_flag"], -frame["score"])
    assert result.auc == pytest.approx(expected, rel=1e-12)
    assert result.higher_is_riskier is False
    score = frame["score"].to_numpy()
    flag = frame["default_flag"].to_numpy()
    risky_side = score <= result.ks_score
    separation = abs(risky_side[flag == 1].mean() - risky_side[flag == 0].mean())
    assert result.ks_statistic == pytest.approx(separation, rel=1e-12)


def test_curves_thinned_keep_ks_point() -> None:
    frame = load_sample("pd_default_islp.csv", None)
    result = discrimination_from_arrays(frame["pd"], frame["default_flag"], max_curve_points=10)
    for curve in (result.roc_curve, result.cap_curve):
        assert len(curve.x) <= 10
        assert len(curve.x) == len(curve.y) == len(curve.score)
        assert (curve.x[0], curve.y[0]) == (0.0, 0.0)
        assert (curve.x[-1], curve.y[-1]) == (1.0, 1.0)
        assert curve.score[1] is not None
    separation = np.abs(np.array(result.roc_curve.y) - np.array(result.roc_curve.x))
    assert separation.max() == pytest.approx(result.ks_statistic, rel=1e-12)
    assert result.ks_score in result.roc_curve.score


def test_result_is_strict_json() -> None:
    frame = load_sample("pd_germancredit.csv", "current")
    result = discrimination_from_arrays(frame["pd"], frame["default_flag"])
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert payload["auc"] == result.auc
    assert payload["roc_curve"]["score"][0] is None
    assert len(payload["roc_curve"]["x"]) <= 200


# --- golden values -------------------------------------------------------------------

C1_DEFAULTS = [2, 4, 6, 10, 18]
C1_NON_DEFAULTS = [300, 250, 200, 150, 100]


def test_grade_table_golden_c1() -> None:
    result = discrimination_from_grade_table(C1_DEFAULTS, C1_NON_DEFAULTS)
    assert result.auc == pytest.approx(0.78125, abs=1e-15)
    assert result.auc_variance == pytest.approx(0.00129555878, abs=5e-12)
    assert result.auc_se == pytest.approx(0.0359938714, abs=5e-11)
    assert result.ks_statistic == pytest.approx(0.45, abs=1e-15)
    assert result.n_defaults == 40
    assert result.n_non_defaults == 1000

    comparison = test_auc_against_reference(result.auc, result.auc_se, 0.80)
    assert comparison.statistic == pytest.approx(0.5209220, abs=5e-8)
    assert comparison.pvalue == pytest.approx(0.3012105, abs=5e-8)
    assert hanley_mcneil_se(result.auc, 40, 1000) == pytest.approx(0.0436600, abs=5e-8)


def test_grade_table_matches_mann_whitney() -> None:
    grade = np.repeat(np.arange(1, 6), np.add(C1_DEFAULTS, C1_NON_DEFAULTS))
    flag = np.concatenate([np.r_[np.ones(d), np.zeros(n)] for d, n in zip(C1_DEFAULTS, C1_NON_DEFAULTS)])
    u_statistic = sps.mannwhitneyu(grade[flag == 1], grade[flag == 0]).statistic
    result = discrimination_from_grade_table(C1_DEFAULTS, C1_NON_DEFAULTS)
    assert result.auc == pytest.approx(u_statistic / (40 * 1000), rel=1e-15)
    _, variance = direct_delong(grade.astype(float), flag)
    assert result.auc_variance == pytest.approx(variance, rel=1e-12)
    worst_first = discrimination_from_grade_table(C1_DEFAULTS[::-1], C1_NON_DEFAULTS[::-1], best_first=False)
    assert worst_first.auc == pytest.approx(result.auc, rel=1e-15)


@pytest.mark.parametrize(
    ("n_defaults", "widths"),
    [
        (10, (0.4505, 0.5368, 0.7054, 0.7687)),
        (50, (0.2015, 0.2400, 0.3155, 0.3438)),
        (100, (0.1424, 0.1697, 0.2231, 0.2431)),
        (500, (0.0637, 0.0759, 0.0998, 0.1087)),
        (1000, (0.0450, 0.0537, 0.0705, 0.0769)),
    ],
)
def test_bamber_width_golden_p4(n_defaults: int, widths: tuple[float, ...]) -> None:
    bound = bamber_auc_se_bound(0.75, n_defaults, 100_000)
    for level, width in zip((0.90, 0.95, 0.99, 0.995), widths):
        assert 2 * sps.norm.ppf((1 + level) / 2) * bound == pytest.approx(width, abs=5e-5)


def test_hanley_mcneil_formula() -> None:
    area, defaults, non_defaults = 0.83, 57, 910
    q1 = area / (2 - area)
    q2 = 2 * area**2 / (1 + area)
    variance = (area * (1 - area) + 56 * (q1 - area**2) + 909 * (q2 - area**2)) / (defaults * non_defaults)
    assert hanley_mcneil_se(area, defaults, non_defaults) == pytest.approx(math.sqrt(variance), rel=1e-14)
    assert hanley_mcneil_se(1.0, 5, 5) == 0.0


# --- edge cases ----------------------------------------------------------------------


def test_single_class_no_defaults() -> None:
    with pytest.raises(NotComputable) as raised:
        discrimination_from_arrays([0.01, 0.02, 0.05, 0.10, 0.20], [0, 0, 0, 0, 0])
    assert raised.value.reason == "0 defaults out of 5 observations"
    assert raised.value.status == "insufficient_classes"


def test_single_class_all_defaults() -> None:
    with pytest.raises(NotComputable) as raised:
        discrimination_from_arrays([0.01, 0.02, 0.05, 0.10, 0.20], [1, 1, 1, 1, 1])
    assert raised.value.reason == "5 defaults out of 5 observations"
    assert raised.value.status == "insufficient_classes"


def test_one_defaulter_has_no_variance() -> None:
    result = discrimination_from_arrays([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 0])
    assert result.auc == pytest.approx(roc_auc_score([0, 0, 1, 0], [0.1, 0.2, 0.3, 0.4]), rel=1e-15)
    assert result.auc_variance is None
    assert result.auc_se is None
    assert result.auc_ci_lower is None
    assert result.gini_se is None
    assert "at least 2 defaulters" in result.messages[0]
    assert json.dumps(result.to_dict(), allow_nan=False)


def test_single_score_value() -> None:
    result = calculate_discrimination([0.3, 0.3], [2, 1], [4, 3])
    assert result.auc == 0.5
    assert result.ks_statistic == 0.0
    assert result.ks_score == 0.3
    assert result.n_scores == 1


def test_perfect_separation_zero_variance() -> None:
    result = calculate_discrimination([1, 2], [0, 3], [4, 0])
    assert result.auc == 1.0
    assert result.auc_variance == 0.0
    with pytest.raises(NotComputable) as raised:
        test_auc_against_reference(result.auc, result.auc_se, 0.9)
    assert raised.value.status == "zero_variance"


def test_empty_score_rows_dropped() -> None:
    with_empty = calculate_discrimination([1, 2, 3, 4], [1, 0, 2, 0], [3, 0, 1, 2])
    without = calculate_discrimination([1, 3, 4], [1, 2, 0], [3, 1, 2])
    assert with_empty == without


def test_reference_test_formula() -> None:
    comparison = test_auc_against_reference(0.71, 0.02, 0.75)
    assert json.loads(json.dumps(comparison.to_dict()))["auc_reference"] == 0.75
    assert comparison.statistic == pytest.approx((0.75 - 0.71) / 0.02, rel=1e-14)
    assert comparison.pvalue == pytest.approx(1 - sps.norm.cdf(2.0), rel=1e-12)
    assert comparison.alternative == "less"
    with pytest.raises(NotComputable):
        test_auc_against_reference(0.71, None, 0.75)


def test_unpaired_comparison_on_periods() -> None:
    frame = load_sample("pd_lendingclub.csv", None)
    current = frame[frame["period"] == "current"]
    reference = frame[frame["period"] == "reference"]
    first = discrimination_from_arrays(current["pd"], current["default_flag"])
    second = discrimination_from_arrays(reference["pd"], reference["default_flag"])
    z = (first.auc - second.auc) / math.sqrt(first.auc_se**2 + second.auc_se**2)

    two_sided = compare_auc_unpaired(first.auc, first.auc_se, second.auc, second.auc_se)
    assert two_sided.statistic == pytest.approx(z, rel=1e-12)
    assert two_sided.pvalue == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-12)
    greater = compare_auc_unpaired(first.auc, first.auc_se, second.auc, second.auc_se, alternative="greater")
    assert greater.pvalue == pytest.approx(sps.norm.sf(z), rel=1e-12)
    less = compare_auc_unpaired(first.auc, first.auc_se, second.auc, second.auc_se, alternative="less")
    assert less.pvalue == pytest.approx(sps.norm.cdf(z), rel=1e-12)


def test_unpaired_comparison_errors() -> None:
    with pytest.raises(NotComputable):
        compare_auc_unpaired(0.7, 0.0, 0.8, 0.0)
    with pytest.raises(ValidationError):
        compare_auc_unpaired(0.7, 0.01, 0.8, 0.01, alternative="sideways")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        compare_auc_unpaired(1.2, 0.01, 0.8, 0.01)
    with pytest.raises(ValidationError):
        compare_auc_unpaired(0.7, -0.01, 0.8, 0.01)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: calculate_discrimination([1, 2], [1, 1], [1]), ValidationError),
        (lambda: calculate_discrimination([1, 2], [1, -1], [1, 1]), ValidationError),
        (lambda: calculate_discrimination([1, 2], [1, np.nan], [1, 1]), ValidationError),
        (lambda: calculate_discrimination([1, np.inf], [1, 1], [1, 1]), ValidationError),
        (lambda: calculate_discrimination([1, 2], [1, 1], [1, 1], max_curve_points=2), ValidationError),
        (lambda: calculate_discrimination([1, 2], [1, 1], [1, 1], confidence=1.0), ValidationError),
        (lambda: discrimination_from_arrays([1, 2], [1]), ValidationError),
        (lambda: discrimination_from_arrays([1, 2], [1, 2]), ValidationError),
        (lambda: discrimination_from_arrays([1, np.nan], [1, 0]), ValidationError),
        (lambda: hanley_mcneil_se(0.7, 0, 10), NotComputable),
        (lambda: bamber_auc_se_bound(0.7, 10, 0), NotComputable),
        (lambda: binning_error_bounds([1, 2], [0, 0]), NotComputable),
        (lambda: binning_error_bounds([1, 2], [1]), ValidationError),
    ],
)
def test_invalid_input_rejected(call, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        call()


# --- properties ----------------------------------------------------------------------

score_table = st.lists(
    st.tuples(st.integers(-5, 20), st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=25
)


def has_both_classes(rows: list[tuple[int, int, int]]) -> bool:
    return sum(row[1] for row in rows) > 0 and sum(row[2] for row in rows) > 0


def unpack(rows: list[tuple[int, int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = np.array(rows, dtype=float)
    return table[:, 0], table[:, 1], table[:, 2]


@settings(max_examples=200, deadline=None)
@given(score_table)
def test_auc_within_unit_interval(rows: list[tuple[int, int, int]]) -> None:
    assume(has_both_classes(rows))
    result = calculate_discrimination(*unpack(rows))
    assert 0.0 <= result.auc <= 1.0
    assert 0.0 <= result.ks_statistic <= 1.0
    assert result.accuracy_ratio == pytest.approx(result.gini, abs=1e-12)
    assert is_finite_or_none(result)
    assert json.dumps(result.to_dict(), allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(score_table)
def test_reversed_scores_give_complement(rows: list[tuple[int, int, int]]) -> None:
    assume(has_both_classes(rows))
    scores, defaults, non_defaults = unpack(rows)
    forward = calculate_discrimination(scores, defaults, non_defaults)
    negated = calculate_discrimination(-scores, defaults, non_defaults)
    flipped = calculate_discrimination(scores, defaults, non_defaults, higher_is_riskier=False)
    for reversed_result in (negated, flipped):
        assert reversed_result.auc == pytest.approx(1.0 - forward.auc, abs=1e-12)
        assert reversed_result.ks_statistic == pytest.approx(forward.ks_statistic, abs=1e-12)
        if forward.auc_variance is not None:
            assert reversed_result.auc_variance == pytest.approx(forward.auc_variance, rel=1e-9, abs=1e-15)


@settings(max_examples=200, deadline=None)
@given(score_table, st.data())
def test_split_group_changes_nothing(rows: list[tuple[int, int, int]], data: st.DataObject) -> None:
    assume(has_both_classes(rows))
    index = data.draw(st.integers(0, len(rows) - 1))
    score, defaults, non_defaults = rows[index]
    split_defaults = data.draw(st.integers(0, defaults))
    split_non_defaults = data.draw(st.integers(0, non_defaults))
    split_rows = [
        *rows[:index],
        (score, split_defaults, split_non_defaults),
        *rows[index + 1 :],
        (score, defaults - split_defaults, non_defaults - split_non_defaults),
    ]
    assert calculate_discrimination(*unpack(split_rows)) == calculate_discrimination(*unpack(rows))


@settings(max_examples=100, deadline=None)
@given(score_table)
def test_delong_matches_pairwise_property(rows: list[tuple[int, int, int]]) -> None:
    assume(has_both_classes(rows))
    scores, defaults, non_defaults = unpack(rows)
    assume(defaults.sum() >= 2 and non_defaults.sum() >= 2)
    score = np.concatenate(
        [np.repeat(scores, defaults.astype(int)), np.repeat(scores, non_defaults.astype(int))]
    )
    flag = np.concatenate([np.ones(int(defaults.sum())), np.zeros(int(non_defaults.sum()))])
    auc, variance = direct_delong(score, flag)
    result = calculate_discrimination(scores, defaults, non_defaults)
    assert result.auc == pytest.approx(auc, abs=1e-12)
    assert result.auc_variance == pytest.approx(variance, rel=1e-9, abs=1e-15)


raw_sample = st.lists(st.tuples(st.floats(0, 1, allow_nan=False), st.booleans()), min_size=2, max_size=80)


@settings(max_examples=300, deadline=None)
@given(raw_sample, st.lists(st.floats(0, 1, allow_nan=False), min_size=0, max_size=8))
def test_binning_bound_holds(rows: list[tuple[float, bool]], edges: list[float]) -> None:
    score = np.array([row[0] for row in rows])
    flag = np.array([row[1] for row in rows], dtype=int)
    assume(0 < flag.sum() < flag.size)
    bin_index = np.searchsorted(np.sort(edges), score, side="right")
    defaults_per_bin = np.bincount(bin_index, weights=flag, minlength=len(edges) + 1)
    obligors_per_bin = np.bincount(bin_index, minlength=len(edges) + 1)

    exact = discrimination_from_arrays(score, flag)
    binned = discrimination_from_arrays(bin_index, flag)
    bound = binning_error_bounds(defaults_per_bin, obligors_per_bin - defaults_per_bin)
    assert abs(binned.auc - exact.auc) <= bound.auc + 1e-12
    assert binned.ks_statistic <= exact.ks_statistic + 1e-12
    assert exact.ks_statistic - binned.ks_statistic <= bound.ks + 1e-12


def test_binning_bound_is_attained() -> None:
    # Within each bin every defaulter is riskier than every non-defaulter.
    score = np.array([0.10, 0.15, 0.20, 0.25, 0.60, 0.70, 0.80])
    flag = np.array([0, 1, 0, 1, 0, 0, 1])
    bin_index = np.array([0, 0, 1, 1, 2, 2, 2])
    exact = discrimination_from_arrays(score, flag)
    binned = discrimination_from_arrays(bin_index, flag)
    bound = binning_error_bounds([1, 1, 1], [1, 1, 2])
    assert bound.to_dict() == {"auc": bound.auc, "ks": bound.ks}
    assert exact.auc - binned.auc == pytest.approx(bound.auc, abs=1e-15)
    assert bound.auc == pytest.approx((1 + 1 + 2) / (2 * 3 * 4), abs=1e-15)
