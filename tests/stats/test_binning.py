"""Tests of cut points, bin codes, labels, category levels and optimal binning."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from optbinning import OptimalBinning

from mmt.errors import ValidationError
from mmt.stats import NotComputable
from mmt.stats.binning import (
    MISSING_LABEL,
    BinningSpec,
    assign_categorical_bins,
    assign_numeric_bins,
    bin_labels,
    categorical_levels,
    check_binary_target,
    check_counts,
    equal_width_edges,
    numeric_binning,
    optimal_binning,
    quantile_edges,
    user_edges,
)

DATA = Path(__file__).parents[2] / "data"
REL = 1e-9


@pytest.fixture(scope="module")
def german_credit() -> pd.DataFrame:
    return pd.read_csv(DATA / "pd_germancredit.csv")


# --- cut points ---


@pytest.mark.parametrize("column", ["credit_amount", "score", "age_in_years", "pd"])
def test_quantile_edges_match_duckdb(german_credit, column):
    reference = german_credit.loc[german_credit["period"] == "reference", [column]]
    probabilities = [index / 10 for index in range(1, 10)]

    edges = quantile_edges(reference[column], 10)

    connection = duckdb.connect()
    connection.register("reference", reference)
    row = connection.execute(
        f"SELECT quantile_cont({column}, {probabilities}) FROM reference"
    ).fetchone()
    connection.close()
    expected = np.unique(np.asarray(row[0], dtype=float))
    np.testing.assert_allclose(edges, expected, rtol=REL)


def test_quantile_edges_skip_missing_and_specials():
    values = [np.nan, -999.0, 1.0, 2.0, 3.0, 4.0, None, -999.0]

    edges = quantile_edges(values, 2, special_values=[-999])

    # Median of 1..4 with linear interpolation.
    assert edges.tolist() == [2.5]


def test_quantile_edges_merge_ties():
    values = [1.0] * 90 + list(range(2, 12))

    edges = quantile_edges(values, 10)

    # Deciles 1-8 sit at positions 9.9 .. 79.2 of the sorted values, all 1,
    # and one copy is kept. Decile 9 at position 89.1 is 1 + 0.1 * (2 - 1).
    assert edges.tolist() == pytest.approx([1.0, 1.1], rel=REL)
    assert edges.size == 2


@pytest.mark.parametrize("values", [[], [np.nan, None], [np.inf, -np.inf]])
def test_quantile_edges_without_finite_values(values):
    assert quantile_edges(values, 10).size == 0


def test_quantile_edges_single_bin():
    assert quantile_edges([1.0, 2.0, 3.0], 1).size == 0


@pytest.mark.parametrize("n_bins", [0, -3, 2.5, True, "10"])
def test_quantile_edges_invalid_n_bins(n_bins):
    with pytest.raises(ValidationError):
        quantile_edges([1.0, 2.0], n_bins)


def test_equal_width_edges():
    assert equal_width_edges(np.arange(0.0, 11.0), 5).tolist() == [2.0, 4.0, 6.0, 8.0]
    assert equal_width_edges([3.0, 3.0, np.nan], 4).size == 0
    assert equal_width_edges([np.nan], 4).size == 0
    assert equal_width_edges([0.0, 1.0, -999.0], 2, special_values=[-999]).tolist() == [0.5]


def test_user_edges_sorted_unique():
    assert user_edges([17, 5, 5.0, 10]).tolist() == [5.0, 10.0, 17.0]


@pytest.mark.parametrize("cut_points", [[1.0, np.nan], [np.inf], ["low"], [[1, 2], [3]]])
def test_user_edges_invalid(cut_points):
    with pytest.raises(ValidationError):
        user_edges(cut_points)


def test_numeric_binning_invalid_method():
    with pytest.raises(ValidationError):
        numeric_binning([1.0, 2.0], method="optimal")


# --- labels and codes ---


def test_bin_labels_right_closed():
    labels = bin_labels([0.25, 10.0], special_values=[-999])

    assert labels == ("[-inf, 0.25]", "(0.25, 10]", "(10, inf]", "Special: -999", MISSING_LABEL)


def test_bin_labels_left_closed():
    assert bin_labels([5, 17], closed="left") == ("[-inf, 5)", "[5, 17)", "[17, inf]", "Missing")


def test_bin_labels_without_edges():
    assert bin_labels([]) == ("[-inf, inf]", "Missing")


def test_bin_labels_round_but_stay_distinct():
    labels = bin_labels([0.1234561, 0.1234564, 367.94000000000005, 1234567.891])

    # Both small cut points round to 0.123456 at 6 digits, so 7 are used.
    assert labels[0] == "[-inf, 0.1234561]"
    assert labels[1] == "(0.1234561, 0.1234564]"
    assert labels[2] == "(0.1234564, 367.94]"
    assert labels[3] == "(367.94, 1234568]"
    assert labels[4] == "(1234568, inf]"


@pytest.mark.parametrize("edges", [[2.0, 1.0], [1.0, 1.0], [np.nan, 1.0]])
def test_unsorted_edges_rejected(edges):
    with pytest.raises(ValidationError):
        assign_numeric_bins([1.0], edges)
    with pytest.raises(ValidationError):
        bin_labels(edges)


def test_assign_numeric_bins_right_closed_matches_pandas():
    rng = np.random.default_rng(7)
    values = np.round(rng.normal(size=500), 1)
    edges = [-1.0, -0.2, 0.0, 0.3, 1.0]

    codes = assign_numeric_bins(values, edges)

    intervals = [-np.inf, *edges, np.inf]
    expected = pd.cut(values, intervals, right=True, labels=False)
    np.testing.assert_array_equal(codes, expected)
    # Values equal to a cut point go to the bin below it.
    assert assign_numeric_bins([0.0, 0.3], edges).tolist() == [2, 3]


def test_assign_numeric_bins_left_closed_matches_digitize():
    values = np.array([-2.0, 5.0, 6.0, 17.0, 20.0])

    codes = assign_numeric_bins(values, [5, 17], closed="left")

    np.testing.assert_array_equal(codes, np.digitize(values, [5, 17], right=False))


def test_assign_numeric_bins_missing_special_and_infinite():
    values = pd.array([1.0, None, -999.0, np.inf, -np.inf, 7.0], dtype="Float64")

    codes = assign_numeric_bins(values, [2.0, 5.0], special_values=[-999])

    # Three intervals (0..2), the special value (3), then Missing (4).
    assert codes.tolist() == [0, 4, 3, 2, 0, 2]


def test_assign_numeric_bins_object_input():
    codes = assign_numeric_bins(np.array([None, 3, "4.5"], dtype=object), [4.0])

    assert codes.tolist() == [2, 0, 1]


def test_assign_numeric_bins_rejects_text():
    with pytest.raises(ValidationError):
        assign_numeric_bins(["low", "high"], [1.0])


# --- categorical levels ---


def test_categorical_levels_order_and_unseen():
    reference = ["b", "a", "a", None, "c", "b", "a", np.nan]
    current = ["z", "a", "y", "z", pd.NA]

    levels = categorical_levels(reference, current)

    # Reference by frequency (a 3, b 2, c 1), then current-only by frequency (z 2, y 1).
    assert levels.levels == ("a", "b", "c", "z", "y")
    assert levels.labels == ("a", "b", "c", "z", "y", "Missing")
    assert levels.unseen == (False, False, False, True, True, False)
    assert levels.reference_counts == (3, 2, 1, 0, 0, 2)
    assert levels.current_counts == (1, 0, 0, 2, 1, 1)


def test_categorical_levels_ties_by_text():
    levels = categorical_levels(["b", "a", "c", "a", "c"])

    assert levels.levels == ("a", "c", "b")
    assert levels.current_counts == (0, 0, 0, 0)


def test_categorical_levels_spec_assigns_codes():
    levels = categorical_levels([3, 1, 1, 2], [4, None])
    spec = levels.to_spec()

    codes = spec.assign([1, 2, 3, 4, None])

    assert spec.labels == ("1", "2", "3", "4", "Missing")
    assert codes.tolist() == [0, 1, 2, 3, 4]


def test_assign_categorical_bins_groups():
    groups = [("car (new)",), ("car (used)", "retraining")]

    codes = assign_categorical_bins(pd.Series(["retraining", None, "car (new)"]), groups)

    assert codes.tolist() == [1, 2, 0]


def test_assign_categorical_bins_unknown_level():
    with pytest.raises(ValidationError) as raised:
        assign_categorical_bins(["a", "b", "q"], [("a",), ("b",)])

    assert raised.value.details["levels"] == ["q"]


# --- specification object ---


def test_binning_spec_dict_is_json():
    spec = BinningSpec(kind="numeric", method="user", edges=(5.0, 17.0), special_values=(-999.0,))

    payload = spec.to_dict()

    assert payload["labels"] == ["[-inf, 5]", "(5, 17]", "(17, inf]", "Special: -999", "Missing"]
    assert spec.n_bins == 5
    json.dumps(payload, allow_nan=False)


def test_categorical_spec_labels():
    spec = BinningSpec(kind="categorical", method="optimal", groups=(("a", "b"), ("c",)))

    assert spec.labels == ("[a, b]", "c", "Missing")


# --- optimal binning ---


def test_optimal_binning_numeric_matches_optbinning(german_credit):
    values = german_credit["credit_amount"].to_numpy(dtype=float)
    target = german_credit["default_flag"].to_numpy()

    spec = optimal_binning(values, target, monotonic_trend="auto_asc_desc", max_n_bins=5)

    reference = OptimalBinning(monotonic_trend="auto_asc_desc", max_n_bins=5)
    reference.fit(values, target)
    assert spec.edges == tuple(reference.splits)
    assert spec.closed == "left"
    assert spec.method == "optimal"
    assert len(spec.edges) + 1 <= 5
    counts = np.bincount(spec.assign(values), minlength=spec.n_bins)
    table = reference.binning_table.build(add_totals=False)
    # optbinning always lists a Special row; this binning has no special values.
    assert table["Bin"].tolist()[-2] == "Special"
    assert table["Count"].tolist()[-2] == 0
    assert counts.tolist() == table["Count"].tolist()[:-2] + table["Count"].tolist()[-1:]


def test_optimal_binning_categorical_groups(german_credit):
    values = german_credit["rating_grade"].to_numpy()
    target = german_credit["default_flag"].to_numpy()

    spec = optimal_binning(values, target, dtype="categorical")

    reference = OptimalBinning(dtype="categorical")
    reference.fit(values, target)
    expected = [sorted(np.asarray(group).tolist()) for group in reference.splits]
    assert [sorted(group) for group in spec.groups] == expected
    assert sorted(level for group in spec.groups for level in group) == sorted(set(values))
    assert spec.labels[-1] == "Missing"


def test_optimal_binning_single_class():
    with pytest.raises(NotComputable) as raised:
        optimal_binning([1.0, 2.0, 3.0], [0, 0, 0])

    assert raised.value.status == "insufficient_classes"


def test_optimal_binning_invalid_dtype():
    with pytest.raises(ValidationError):
        optimal_binning([1.0, 2.0], [0, 1], dtype="ordinal")


def test_optimal_binning_length_mismatch():
    with pytest.raises(ValidationError):
        optimal_binning([1.0, 2.0, 3.0], [0, 1])


# --- input checks ---


def test_check_counts_returns_floats():
    assert check_counts([1, 2, 0], "counts").tolist() == [1.0, 2.0, 0.0]


def test_check_binary_target_accepts_booleans_and_floats():
    assert check_binary_target([True, False, 1.0, 0]).tolist() == [1, 0, 1, 0]


def test_bin_labels_extreme_magnitudes_compact():
    labels = bin_labels([-1e-300, 0.0, 1e-300, 0.25, 1e300, 1.0000001e300, 1.7e308], special_values=[1e300, 5e-7])

    assert labels[:8] == (
        "[-inf, -1e-300]", "(-1e-300, 0]", "(0, 1e-300]", "(1e-300, 0.25]", "(0.25, 1e+300]",
        "(1e+300, 1.0000001e+300]", "(1.0000001e+300, 1.7e+308]", "(1.7e+308, inf]",
    )
    assert labels[8:] == ("Special: 1e+300", "Special: 5e-07", MISSING_LABEL)


def test_bin_labels_scientific_rounding_keeps_bins_apart():
    edges = [1.234561e300, 1.234564e300, 9.87654321e-20]

    labels = bin_labels(sorted(edges))

    # The two large cut points need 7 digits to differ, so every cut point gets 7.
    assert labels[1] == "(9.876543e-20, 1.234561e+300]"
    assert labels[2] == "(1.234561e+300, 1.234564e+300]"
    for label in labels:
        assert len(label) < 40, label
