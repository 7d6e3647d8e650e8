"""Tests of the PSI and CSI against hand computations and independent binning."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from mmt.errors import ValidationError
from mmt.stats import NotComputable
from mmt.stats.stability import (
    FLAG_EMPTY_BOTH,
    FLAG_EMPTY_CURRENT,
    FLAG_EMPTY_REFERENCE,
    FLAG_UNSEEN,
    calculate_csi,
    calculate_psi,
    calculate_stability_metrics,
    psi_band,
)

DATA = Path(__file__).parents[2] / "data"
REL = 1e-9


def hand_psi(reference: list[float], current: list[float], floor: float = 1e-4) -> float:
    """PSI written out with the math module: empty shares floored, both-empty bins skipped."""
    reference_total, current_total = sum(reference), sum(current)
    total = 0.0
    for expected_count, actual_count in zip(reference, current, strict=True):
        expected = expected_count / reference_total
        actual = actual_count / current_total
        if expected == 0 and actual == 0:
            continue
        expected = expected or floor
        actual = actual or floor
        total += (actual - expected) * math.log(actual / expected)
    return total


@pytest.fixture(scope="module")
def german_credit() -> pd.DataFrame:
    return pd.read_csv(DATA / "pd_germancredit.csv")


@pytest.fixture(scope="module")
def default_islp() -> pd.DataFrame:
    return pd.read_csv(DATA / "pd_default_islp.csv")


# --- empty bins (a bin that empties must never be dropped or give inf) ---


def test_psi_empty_current_bin_floored():
    reference = [100, 200, 400, 200, 100]
    current = [0, 150, 450, 250, 150]

    result = calculate_psi(reference, current, ["B1", "B2", "B3", "B4", "B5"])

    # B1: (1e-4 - 0.1) * ln(1e-4 / 0.1); B2..B5 exact.
    b1 = (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    rest = (
        (0.15 - 0.2) * math.log(0.15 / 0.2)
        + (0.45 - 0.4) * math.log(0.45 / 0.4)
        + (0.25 - 0.2) * math.log(0.25 / 0.2)
        + (0.15 - 0.1) * math.log(0.15 / 0.1)
    )
    assert rest == pytest.approx(0.051704, abs=5e-7)
    assert result.statistic == pytest.approx(b1 + rest, rel=REL)
    assert result.statistic == pytest.approx(0.741788, abs=5e-7)
    assert result.band == "significant shift"
    assert result.bins[0].contribution == pytest.approx(b1, rel=REL)
    assert result.bins[0].flags == (FLAG_EMPTY_CURRENT,)
    assert result.bins[0].current_proportion == 0.0
    assert len(result.warnings) == 1
    assert "'B1'" in result.warnings[0]
    assert all(row.flags == () for row in result.bins[1:])


def test_psi_floor_changes_value():
    result = calculate_psi([100, 200, 400, 200, 100], [0, 150, 450, 250, 150], floor=1e-6)

    assert result.statistic == pytest.approx(1.202985, abs=5e-7)
    assert result.floor == 1e-6
    assert "1e-06" in result.empty_bin_rule


def test_psi_empty_reference_bin_symmetric():
    forward = calculate_psi([100, 200, 400, 200, 100], [0, 150, 450, 250, 150], list("ABCDE"))
    backward = calculate_psi([0, 150, 450, 250, 150], [100, 200, 400, 200, 100], list("ABCDE"))

    assert backward.statistic == pytest.approx(forward.statistic, rel=REL)
    assert backward.bins[0].flags == (FLAG_EMPTY_REFERENCE,)
    assert "'A'" in backward.warnings[0]
    assert "reference" in backward.warnings[0]


def test_psi_bin_empty_in_both_contributes_zero():
    result = calculate_psi([10, 0, 30], [20, 0, 20], ["grade 1", "grade 2", "grade 3"])

    assert result.bins[1].contribution == 0.0
    assert result.bins[1].flags == (FLAG_EMPTY_BOTH,)
    assert result.warnings == ()
    assert result.statistic == pytest.approx(hand_psi([10, 0, 30], [20, 0, 20]), rel=REL)
    assert len(result.bins) == 3
    # Two occupied bins leave one degree of freedom.
    assert result.degrees_of_freedom == 1


def test_psi_golden_proportions():
    reference = [0.10, 0.20, 0.30, 0.25, 0.15]
    current = [0.08, 0.18, 0.28, 0.28, 0.18]

    result = calculate_psi(reference, current)

    expected = sum((a - e) * math.log(a / e) for e, a in zip(reference, current, strict=True))
    assert result.statistic == pytest.approx(expected, rel=REL)
    assert result.statistic == pytest.approx(0.0168194, abs=5e-8)
    assert result.band == "stable"
    # Proportions carry no sample size, so no chi-square statistic.
    assert result.chi_square is None
    assert result.pvalue is None


def test_psi_chi_square_approximation():
    reference = [120, 260, 330, 190, 100]
    current = [90, 240, 350, 210, 110]

    result = calculate_psi(reference, current)

    psi = hand_psi(reference, current)
    scale = 1 / 1000 + 1 / 1000
    assert result.chi_square == pytest.approx(psi / scale, rel=REL)
    assert result.degrees_of_freedom == 4
    assert result.pvalue == pytest.approx(scipy_stats.chi2.sf(psi / scale, 4), rel=REL)


def test_psi_identical_distribution_zero():
    result = calculate_psi([5, 10, 85], [50, 100, 850])

    assert result.statistic == 0.0
    assert result.pvalue == 1.0


def test_psi_default_labels_and_dict_is_strict_json():
    result = calculate_psi([1, 0, 3], [0, 0, 4])

    payload = result.to_dict()
    text = json.dumps(payload, allow_nan=False)

    assert [row["label"] for row in payload["bins"]] == ["bin 1", "bin 2", "bin 3"]
    assert payload["chart"]["labels"] == ["bin 1", "bin 2", "bin 3"]
    assert payload["statistic"] == result.statistic
    assert "Infinity" not in text


@pytest.mark.parametrize(
    ("psi", "band"),
    [(0.0, "stable"), (0.10, "stable"), (0.1001, "moderate shift"), (0.25, "moderate shift"), (0.2501, "significant shift")],
)
def test_psi_band_boundaries(psi, band):
    assert psi_band(psi) == band


# --- input errors ---


@pytest.mark.parametrize(
    ("reference", "current"),
    [
        ([1, 2], [1, 2, 3]),
        ([1, -2], [1, 2]),
        ([1, float("nan")], [1, 2]),
        ([1, float("inf")], [1, 2]),
        ([], []),
        ([[1, 2]], [[1, 2]]),
        (["a", "b"], [1, 2]),
    ],
)
def test_psi_invalid_counts_rejected(reference, current):
    with pytest.raises(ValidationError):
        calculate_psi(reference, current)


@pytest.mark.parametrize("floor", [0, 1, -1e-4, "0.1"])
def test_psi_invalid_floor_rejected(floor):
    with pytest.raises(ValidationError):
        calculate_psi([1, 2], [2, 1], floor=floor)


def test_psi_labels_length_checked():
    with pytest.raises(ValidationError):
        calculate_psi([1, 2], [2, 1], ["only one"])


@pytest.mark.parametrize(("reference", "current"), [([0, 0], [1, 2]), ([1, 2], [0, 0])])
def test_psi_empty_period_not_computable(reference, current):
    with pytest.raises(NotComputable) as raised:
        calculate_psi(reference, current)

    assert raised.value.status == "empty_sample"


# --- CSI ---


def test_csi_with_scorecard_points():
    reference = [200, 500, 300]
    current = [260, 480, 260]
    points = [-15.0, 5.0, 30.0]

    result = calculate_csi(reference, current, ["low", "mid", "high"], points=points)

    shift = (0.26 - 0.2) * -15.0 + (0.48 - 0.5) * 5.0 + (0.26 - 0.3) * 30.0
    assert result.name == "CSI"
    assert result.score_shift == pytest.approx(shift, rel=REL)
    assert result.statistic == pytest.approx(hand_psi(reference, current), rel=REL)


def test_csi_without_points_has_no_shift():
    result = calculate_csi([1, 2], [2, 1])

    assert result.score_shift is None
    assert result.name == "CSI"


@pytest.mark.parametrize("points", [[1.0], [1.0, float("nan")]])
def test_csi_invalid_points_rejected(points):
    with pytest.raises(ValidationError):
        calculate_csi([1, 2], [2, 1], points=points)


# --- raw values ---


def test_stability_metrics_score_matches_pandas_cut(german_credit):
    reference = german_credit.loc[german_credit["period"] == "reference", "score"]
    current = german_credit.loc[german_credit["period"] == "current", "score"]

    result = calculate_stability_metrics(reference, current, n_bins=10)

    # Independent path: reference deciles, pandas right-closed intervals, hand formula.
    cut_points = np.unique(np.quantile(reference.to_numpy(), np.arange(1, 10) / 10))
    intervals = np.concatenate([[-np.inf], cut_points, [np.inf]])
    reference_counts = pd.cut(reference, intervals, right=True).value_counts(sort=False).tolist()
    current_counts = pd.cut(current, intervals, right=True).value_counts(sort=False).tolist()
    expected = hand_psi(reference_counts + [0], current_counts + [0])

    assert result.statistic == pytest.approx(expected, rel=REL)
    assert [row.reference_count for row in result.bins[:-1]] == reference_counts
    assert [row.current_count for row in result.bins[:-1]] == current_counts
    assert result.bins[-1].label == "Missing"
    assert result.bins[-1].flags == (FLAG_EMPTY_BOTH,)
    assert result.binning is not None
    assert result.binning.edges == pytest.approx(tuple(cut_points), rel=REL)
    # A random development/holdout split shows sampling noise only.
    assert result.band == "stable"


def test_stability_metrics_drift_grows_by_quarter(default_islp):
    reference = default_islp.loc[default_islp["period"] == "reference", "balance"].to_numpy()
    cut_points = np.unique(np.quantile(reference, np.arange(1, 10) / 10))
    intervals = np.concatenate([[-np.inf], cut_points, [np.inf]])
    reference_counts = pd.Series(pd.cut(reference, intervals)).value_counts(sort=False).tolist()

    values = []
    for quarter in ["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"]:
        current = default_islp.loc[default_islp["snapshot_date"] == quarter, "balance"].to_numpy()
        result = calculate_stability_metrics(reference, current)
        current_counts = pd.Series(pd.cut(current, intervals)).value_counts(sort=False).tolist()
        assert result.statistic == pytest.approx(
            hand_psi(reference_counts + [0], current_counts + [0]), rel=REL
        )
        values.append(result.statistic)

    # Mean balance by quarter is 633, 767, 900 and 1016 against 841 in the
    # reference, so the first and last quarters shift and the middle two do not.
    assert psi_band(values[0]) == "moderate shift"
    assert psi_band(values[1]) == "stable"
    assert psi_band(values[2]) == "stable"
    assert psi_band(values[3]) == "moderate shift"


def test_stability_metrics_user_edges_and_specials():
    reference = [1.0, 2.0, 2.0, 3.0, -999.0, np.nan, 5.0]
    current = [1.0, 1.0, 4.0, -999.0, -999.0, 6.0]

    result = calculate_stability_metrics(
        reference, current, edges=[2, 4], special_values=[-999]
    )

    labels = [row.label for row in result.bins]
    assert labels == ["[-inf, 2]", "(2, 4]", "(4, inf]", "Special: -999", "Missing"]
    assert [row.reference_count for row in result.bins] == [3, 1, 1, 1, 1]
    assert [row.current_count for row in result.bins] == [2, 1, 1, 2, 0]
    assert result.statistic == pytest.approx(hand_psi([3, 1, 1, 1, 1], [2, 1, 1, 2, 0]), rel=REL)
    assert result.bins[-1].flags == (FLAG_EMPTY_CURRENT,)
    assert result.binning.method == "user"


def test_stability_metrics_equal_width():
    reference = np.arange(0.0, 11.0)
    current = np.array([0.0, 1.0, 9.0, 10.0, 10.0])

    result = calculate_stability_metrics(reference, current, n_bins=2, method="equal_width")

    # One cut point at 5: [-inf, 5] contains 0..5 (6 values) and (5, inf] contains 6..10.
    assert result.binning.edges == (5.0,)
    assert result.statistic == pytest.approx(hand_psi([6, 5, 0], [2, 3, 0]), rel=REL)


def test_stability_metrics_level_only_in_current(german_credit):
    reference = german_credit.loc[german_credit["period"] == "reference", "purpose"].tolist()
    current = german_credit.loc[german_credit["period"] == "current", "purpose"].tolist()
    current = current + ["crypto mining"] * 6

    result = calculate_stability_metrics(reference, current, kind="categorical")

    row = next(row for row in result.bins if row.label == "crypto mining")
    assert row.reference_count == 0
    assert row.current_count == 6
    assert FLAG_UNSEEN in row.flags
    assert FLAG_EMPTY_REFERENCE in row.flags
    assert any("'crypto mining'" in message for message in result.warnings)
    # The unseen level comes after every reference level and before Missing.
    assert [row.label for row in result.bins][-2:] == ["crypto mining", "Missing"]
    floored = (6 / len(current) - 1e-4) * math.log((6 / len(current)) / 1e-4)
    assert row.contribution == pytest.approx(floored, rel=REL)

    reference_counts = pd.Series(reference).value_counts()
    current_counts = pd.Series(current).value_counts()
    labels = [row.label for row in result.bins[:-1]]
    expected = hand_psi(
        [int(reference_counts.get(label, 0)) for label in labels],
        [int(current_counts.get(label, 0)) for label in labels],
    )
    assert result.statistic == pytest.approx(expected, rel=REL)


def test_stability_metrics_column_entirely_missing():
    result = calculate_stability_metrics([np.nan] * 5, [None] * 3)

    assert result.statistic == 0.0
    assert [row.label for row in result.bins] == ["[-inf, inf]", "Missing"]
    assert result.bins[0].flags == (FLAG_EMPTY_BOTH,)
    assert "Every reference value is missing." in result.warnings
    assert "Every current value is missing." in result.warnings
    json.dumps(result.to_dict(), allow_nan=False)


def test_stability_metrics_missing_only_in_reference():
    result = calculate_stability_metrics([np.nan] * 4, [1.0, 2.0])

    # Every value moved from Missing to the one interval bin: two floored bins.
    expected = 2 * (1 - 1e-4) * math.log(1 / 1e-4)
    assert math.isfinite(result.statistic)
    assert result.statistic == pytest.approx(expected, rel=REL)
    assert len(result.warnings) == 3


def test_stability_metrics_invalid_kind():
    with pytest.raises(ValidationError):
        calculate_stability_metrics([1, 2], [1, 2], kind="ordinal")


def test_stability_metrics_invalid_method():
    with pytest.raises(ValidationError):
        calculate_stability_metrics([1, 2], [1, 2], method="optimal")


# --- properties ---

counts = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=12)


@st.composite
def paired_counts(draw):
    reference = draw(counts)
    current = draw(
        st.lists(
            st.integers(min_value=0, max_value=10_000),
            min_size=len(reference),
            max_size=len(reference),
        )
    )
    reference[draw(st.integers(0, len(reference) - 1))] += 1
    current[draw(st.integers(0, len(current) - 1))] += 1
    return reference, current


@settings(max_examples=200, deadline=None)
@given(paired_counts())
def test_psi_property_finite_nonnegative(pair):
    reference, current = pair

    result = calculate_psi(reference, current)

    assert math.isfinite(result.statistic)
    assert result.statistic >= 0
    assert len(result.bins) == len(reference)
    assert all(math.isfinite(row.contribution) and row.contribution >= 0 for row in result.bins)
    json.dumps(result.to_dict(), allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(paired_counts())
def test_psi_property_swap_symmetric(pair):
    reference, current = pair

    forward = calculate_psi(reference, current)
    backward = calculate_psi(current, reference)

    assert backward.statistic == pytest.approx(forward.statistic, rel=1e-12, abs=1e-15)


@settings(max_examples=200, deadline=None)
@given(paired_counts(), st.integers(min_value=1, max_value=50))
def test_psi_property_same_distribution_zero(pair, factor):
    reference, _ = pair

    result = calculate_psi(reference, [count * factor for count in reference])

    assert result.statistic == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(paired_counts())
def test_psi_property_bins_sum_to_totals(pair):
    reference, current = pair

    result = calculate_psi(reference, current)

    assert sum(row.reference_count for row in result.bins) == result.reference_total == sum(reference)
    assert sum(row.current_count for row in result.bins) == result.current_total == sum(current)
    assert sum(row.reference_proportion for row in result.bins) == pytest.approx(1.0, rel=1e-12)
    assert sum(row.current_proportion for row in result.bins) == pytest.approx(1.0, rel=1e-12)
    assert result.statistic == pytest.approx(hand_psi(reference, current), rel=1e-9, abs=1e-15)
