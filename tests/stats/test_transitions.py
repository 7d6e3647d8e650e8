"""Tests of transition counts, MWB, migration z-tests and rate-change tests."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import proportions_ztest

from mmt.stats import NotComputable
from mmt.stats.transitions import (
    EXIT,
    NEW,
    matrix_weighted_bandwidth,
    migration_summary,
    migration_z_test,
    migration_z_tests,
    rate_change_test,
    transition_counts,
)

REL = 1e-9

# Golden matrix of the MWB and migration z-test cross-check: rows = start grade.
GOLDEN_COUNTS = np.array([[80, 15, 4, 1], [10, 70, 15, 5], [3, 12, 75, 10], [1, 4, 15, 80]])
GOLDEN_Z = [
    [None, 8.949569, 2.607983, 1.353881],
    [9.045340, None, 7.433111, 2.294157],
    [2.389193, 9.159338, None, 9.941348],
    [1.353881, 2.607983, 8.949569, None],
]

# Minimal input of the "grade empty at the start" case: master scale 1, 2, 3, 4, D.
CASE_FROM = ["1", "1", "1", "1", "2", "2", "2", "2", "3", "3", "3", "D"]
CASE_TO = ["1", "1", "1", "2", "2", "2", "3", "D", "3", "D", "4", "D"]
CASE_ORDER = ["1", "2", "3", "4", "D"]


def literal_mwb(counts: list[list[int]], direction: str) -> float:
    """ECB MWB written out with loops over grades numbered 1..K."""
    size = len(counts)
    row_totals = [sum(row) for row in counts]
    numerator = 0.0
    normaliser = 0.0
    for i in range(1, size + 1):
        obligors = row_totals[i - 1]
        if obligors == 0:
            continue
        columns = range(i + 1, size + 1) if direction == "upper" else range(1, i)
        for j in columns:
            rate = counts[i - 1][j - 1] / obligors
            numerator += abs(i - j) * obligors * rate
            normaliser += max(abs(i - size), abs(i - 1)) * obligors * rate
    return numerator / normaliser


def literal_z(counts: list[list[int]], totals: list[int], i: int, j: int) -> float:
    """ECB migration z statistic of cell (i, j), zero-based, written out."""
    obligors = totals[i]
    rate = counts[i][j] / obligors
    neighbour = counts[i][j - 1 if j > i else j + 1] / obligors
    variance = (rate * (1 - rate) + neighbour * (1 - neighbour) + 2 * rate * neighbour) / obligors
    return (neighbour - rate) / math.sqrt(variance)


def test_golden_mwb_upper():
    assert matrix_weighted_bandwidth(GOLDEN_COUNTS, "upper") == pytest.approx(0.508333, abs=5e-7)


def test_golden_mwb_lower():
    assert matrix_weighted_bandwidth(GOLDEN_COUNTS, "lower") == pytest.approx(0.490909, abs=5e-7)


def test_golden_mwb_exact_fractions():
    # Upper: (15 + 8 + 3 + 15 + 10 + 10) / (3*20 + 2*20 + 2*10) = 61 / 120.
    # Lower: (10 + 6 + 12 + 3 + 8 + 15) / (2*10 + 2*15 + 3*20) = 54 / 110.
    assert matrix_weighted_bandwidth(GOLDEN_COUNTS, "upper") == pytest.approx(61 / 120, rel=REL)
    assert matrix_weighted_bandwidth(GOLDEN_COUNTS, "lower") == pytest.approx(54 / 110, rel=REL)


def test_golden_z_table():
    totals = GOLDEN_COUNTS.sum(axis=1)
    for i in range(4):
        for j in range(4):
            if i == j:
                continue
            z, p_value = migration_z_test(GOLDEN_COUNTS, totals, i, j)
            assert z == pytest.approx(GOLDEN_Z[i][j], abs=5e-7), (i, j)
            assert p_value == pytest.approx(scipy_stats.norm.cdf(z), rel=REL)


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [(0, 3, 0.912113), (1, 3, 0.989109), (2, 0, 0.991557)],
)
def test_golden_z_p_values(row, column, expected):
    _, p_value = migration_z_test(GOLDEN_COUNTS, GOLDEN_COUNTS.sum(axis=1), row, column)

    assert p_value == pytest.approx(expected, abs=5e-7)


def test_golden_z_tests_all_cells():
    tests = migration_z_tests(GOLDEN_COUNTS, GOLDEN_COUNTS.sum(axis=1), ["1", "2", "3", "4"])

    assert len(tests) == 12
    assert [(test.from_grade, test.to_grade) for test in tests[:3]] == [("1", "2"), ("1", "3"), ("1", "4")]
    for test in tests:
        i, j = int(test.from_grade) - 1, int(test.to_grade) - 1
        assert test.z == pytest.approx(GOLDEN_Z[i][j], abs=5e-7)
        assert test.reason is None
    assert tests[0].rate == pytest.approx(0.15, rel=REL)
    assert tests[0].neighbour_rate == pytest.approx(0.80, rel=REL)


def test_z_test_uses_row_total_with_exits():
    counts = [[8, 2], [1, 9]]
    totals = [12, 10]

    z, _ = migration_z_test(counts, totals, 0, 1)

    assert z == pytest.approx(literal_z(counts, totals, 0, 1), rel=REL)


def test_z_test_empty_grade_not_computable():
    counts = [[0, 0], [1, 9]]

    with pytest.raises(NotComputable) as error:
        migration_z_test(counts, [0, 10], 0, 1)

    assert error.value.status == "no_observations"


def test_z_test_zero_frequencies_not_computable():
    counts = [[5, 0, 0], [0, 5, 0], [0, 0, 5]]

    with pytest.raises(NotComputable) as error:
        migration_z_test(counts, [5, 5, 5], 0, 2)

    assert error.value.status == "zero_variance"


def test_z_tests_report_undefined_cells():
    counts = [[0, 0, 0], [1, 8, 1], [0, 0, 6]]

    tests = migration_z_tests(counts, [0, 10, 6], ["a", "b", "c"])

    first = tests[0]
    assert first.z is None
    assert first.p_value is None
    assert first.rate is None
    assert first.reason == "No obligor starts in this grade."
    last = [test for test in tests if (test.from_grade, test.to_grade) == ("c", "a")][0]
    assert last.rate == 0.0
    assert last.reason is not None
    assert json.dumps([test.to_dict() for test in tests], allow_nan=False)


def test_z_test_diagonal_rejected():
    with pytest.raises(ValueError, match="off-diagonal"):
        migration_z_test(GOLDEN_COUNTS, GOLDEN_COUNTS.sum(axis=1), 1, 1)


def test_z_test_totals_below_row_sums_rejected():
    with pytest.raises(ValueError, match="at least the row sums"):
        migration_z_test(GOLDEN_COUNTS, [10, 10, 10, 10], 0, 1)


def test_z_test_totals_shape_rejected():
    with pytest.raises(ValueError, match="one value per grade"):
        migration_z_test(GOLDEN_COUNTS, [100, 100], 0, 1)


def test_z_tests_grade_labels_length_rejected():
    with pytest.raises(ValueError, match="one label per row"):
        migration_z_tests(GOLDEN_COUNTS, GOLDEN_COUNTS.sum(axis=1), ["1", "2"])


def test_mwb_one_grade_not_computable():
    with pytest.raises(NotComputable) as error:
        matrix_weighted_bandwidth([[5]], "upper")

    assert error.value.status == "too_few_grades"


def test_mwb_no_downgrades_not_computable():
    counts = [[5, 0, 0], [2, 5, 0], [1, 1, 5]]

    with pytest.raises(NotComputable, match="No downward"):
        matrix_weighted_bandwidth(counts, "upper")
    assert matrix_weighted_bandwidth(counts, "lower") == pytest.approx(literal_mwb(counts, "lower"), rel=REL)


def test_mwb_no_upgrades_not_computable():
    with pytest.raises(NotComputable, match="No upward"):
        matrix_weighted_bandwidth([[5, 1], [0, 5]], "lower")


def test_mwb_invalid_direction():
    with pytest.raises(ValueError, match="direction"):
        matrix_weighted_bandwidth(GOLDEN_COUNTS, "up")


@pytest.mark.parametrize("counts", [[[1, 2, 3]], [[1, -1], [0, 1]], [[1, float("nan")], [0, 1]]])
def test_mwb_invalid_counts(counts):
    with pytest.raises(ValueError):
        matrix_weighted_bandwidth(counts, "upper")


def test_mwb_extreme_jumps_equal_one():
    # Every migrating obligor of the first grade jumps to the last grade.
    assert matrix_weighted_bandwidth([[5, 0, 3], [0, 5, 0], [0, 0, 5]], "upper") == pytest.approx(1.0, rel=REL)


SQUARE_COUNTS = st.integers(min_value=2, max_value=6).flatmap(
    lambda size: st.lists(
        st.lists(st.integers(min_value=0, max_value=50), min_size=size, max_size=size),
        min_size=size,
        max_size=size,
    )
)


@settings(max_examples=200, deadline=None)
@given(SQUARE_COUNTS)
def test_mwb_matches_literal_formula(counts):
    for direction in ("upper", "lower"):
        try:
            value = matrix_weighted_bandwidth(counts, direction)
        except NotComputable:
            side = [
                counts[i][j]
                for i in range(len(counts))
                for j in range(len(counts))
                if (j > i if direction == "upper" else j < i)
            ]
            assert sum(side) == 0
            continue
        assert value == pytest.approx(literal_mwb(counts, direction), rel=REL)
        assert 0 < value <= 1 + 1e-12


@settings(max_examples=200, deadline=None)
@given(SQUARE_COUNTS)
def test_z_tests_match_literal_formula(counts):
    totals = [sum(row) + 1 for row in counts]
    labels = [str(position) for position in range(len(counts))]
    for test in migration_z_tests(counts, totals, labels):
        i, j = int(test.from_grade), int(test.to_grade)
        if test.z is None:
            neighbour = j - 1 if j > i else j + 1
            assert counts[i][j] == 0
            assert counts[i][neighbour] == 0
            continue
        assert test.z == pytest.approx(literal_z(counts, totals, i, j), rel=1e-9, abs=1e-12)
        assert 0.0 <= test.p_value <= 1.0


def test_case_empty_grade_matrix():
    counts = transition_counts(CASE_FROM, CASE_TO, CASE_ORDER, default_states=["D"], include_exits=False)

    assert counts.row_labels == ("1", "2", "3", "4", "D")
    assert counts.column_labels == ("1", "2", "3", "4", "D")
    assert counts.counts.tolist() == [
        [3, 1, 0, 0, 0],
        [0, 2, 1, 0, 1],
        [0, 0, 1, 1, 1],
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
    ]
    assert counts.empty_grades == ("4",)
    assert counts.default_rows == ("D",)


def test_case_empty_grade_rates():
    counts = transition_counts(CASE_FROM, CASE_TO, CASE_ORDER, default_states=["D"], include_exits=False)

    rates = counts.row_rates()

    assert rates[0] == pytest.approx([0.75, 0.25, 0, 0, 0], rel=REL)
    assert rates[1] == pytest.approx([0, 0.5, 0.25, 0, 0.25], rel=REL)
    assert rates[2] == pytest.approx([0, 0, 1 / 3, 1 / 3, 1 / 3], rel=REL)
    assert rates[3] == [None] * 5
    assert rates[4] == pytest.approx([0, 0, 0, 0, 1], rel=REL)


def test_case_empty_grade_strict_json():
    counts = transition_counts(CASE_FROM, CASE_TO, CASE_ORDER, default_states=["D"])

    payload = json.loads(json.dumps(counts.to_dict(), allow_nan=False))

    assert payload["row_rates"][3] == [None] * 6
    assert payload["row_totals"] == [4, 4, 3, 0, 1]
    assert payload["columns"][-1] == EXIT
    assert payload["empty_grades"] == ["4"]


def test_case_default_rates_by_grade():
    counts = transition_counts(CASE_FROM, CASE_TO, CASE_ORDER, default_states=["D"])

    summary = migration_summary(counts)
    by_grade = {grade.grade: grade for grade in summary.grades}

    assert by_grade["1"].rate("default") == 0.0
    assert by_grade["2"].rate("default") == pytest.approx(0.25, rel=REL)
    assert by_grade["3"].rate("default") == pytest.approx(1 / 3, rel=REL)
    assert by_grade["4"].rate("default") is None
    assert by_grade["4"].obligors == 0


def test_case_summary_excludes_default_row():
    counts = transition_counts(CASE_FROM, CASE_TO, CASE_ORDER, default_states=["D"])

    summary = migration_summary(counts)

    # 11 obligors start in 1..4: 6 stay (3 + 2 + 1), 3 downgrade, 2 default.
    assert summary.total.obligors == 11
    assert summary.total.stayed == 6
    assert summary.total.downgraded == 3
    assert summary.total.upgraded == 0
    assert summary.total.defaulted == 2
    assert summary.total.rate("stability") == pytest.approx(6 / 11, rel=REL)
    assert summary.default_states_observed_at_start == 1
    assert summary.cures == 0


def test_case_summary_json():
    counts = transition_counts(CASE_FROM, CASE_TO, CASE_ORDER, default_states=["D"])

    payload = json.loads(json.dumps(migration_summary(counts).to_dict(), allow_nan=False))

    assert payload["by_grade"][3]["no_observations"] is True
    assert payload["by_grade"][3]["default_rate"] is None
    assert payload["obligors"] == 11


def test_golden_summary_multi_notch():
    starts, ends = expand(GOLDEN_COUNTS, ["1", "2", "3", "4"])
    counts = transition_counts(starts, ends, ["1", "2", "3", "4", "D"], default_states=["D"])

    summary = migration_summary(counts)

    # Two or more notches: row 1: 4 + 1, row 2: 5, row 3: 3, row 4: 1 + 4.
    assert summary.total.multi_notch == 18
    # Upgrades are the lower triangle: 10 + 3 + 12 + 1 + 4 + 15.
    assert summary.total.upgraded == 45
    # Downgrades are the upper triangle: 15 + 4 + 1 + 15 + 5 + 10.
    assert summary.total.downgraded == 50
    assert summary.total.stayed == 305
    assert summary.total.obligors == 400


def expand(matrix, labels):
    starts, ends = [], []
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            starts += [labels[i]] * int(count)
            ends += [labels[j]] * int(count)
    return starts, ends


def test_exits_and_new_obligors():
    starts = ["1", "1", "2", NEW, NEW, "2"]
    ends = ["1", EXIT, "2", "1", "2", "D"]

    counts = transition_counts(starts, ends, ["1", "2", "D"], default_states=["D"])
    summary = migration_summary(counts)

    assert counts.row_labels == ("1", "2", "D", NEW)
    assert counts.column_labels == ("1", "2", "D", EXIT)
    assert counts.counts.tolist() == [[1, 0, 0, 1], [0, 1, 1, 0], [0, 0, 0, 0], [1, 1, 0, 0]]
    # The default row is absorbing by definition even with no obligor starting in default.
    assert counts.row_rates()[2] == [0.0, 0.0, 1.0, 0.0]
    assert counts.default_rows == ()
    assert summary.new_obligors == 2
    assert summary.total.exited == 1
    assert summary.grades[0].rate("exit") == pytest.approx(0.5, rel=REL)


def test_exits_dropped_when_not_counted():
    starts = ["1", "1", NEW, "2"]
    ends = ["1", EXIT, "2", "2"]

    counts = transition_counts(starts, ends, ["1", "2", "D"], default_states=["D"], include_exits=False)

    assert counts.column_labels == ("1", "2", "D")
    assert counts.row_labels == ("1", "2", "D")
    assert counts.counts.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert counts.exits_dropped == 1
    assert counts.new_dropped == 1


def test_missing_ratings_counted_not_states():
    starts = ["1", None, "2", float("nan"), ""]
    ends = [None, "1", "2", "2", "1"]

    counts = transition_counts(starts, ends, ["1", "2", "D"], default_states=["D"])

    assert counts.missing_rating == 4
    assert counts.counts.sum() == 1
    assert "nan" not in counts.row_labels


def test_cures_counted():
    counts = transition_counts(["D", "D", "1"], ["1", "D", "1"], ["1", "D"], default_states=["D"])

    summary = migration_summary(counts)

    assert summary.cures == 1
    assert summary.default_states_observed_at_start == 2


def test_no_default_state():
    counts = transition_counts(["1", "2"], ["2", "2"], ["1", "2"], default_states=[], include_exits=False)

    summary = migration_summary(counts)

    assert summary.total.defaulted == 0
    assert summary.total.exited == 0
    assert summary.total.rate("downgrade") == pytest.approx(0.5, rel=REL)


def test_pooling_equals_counting_all_pairs():
    first = transition_counts(["1", "2", "D"], ["2", EXIT, "D"], ["1", "2", "D"], default_states=["D"])
    second = transition_counts(["1", NEW, "2"], ["1", "2", "1"], ["1", "2", "D"], default_states=["D"])
    both = transition_counts(
        ["1", "2", "D", "1", NEW, "2"], ["2", EXIT, "D", "1", "2", "1"], ["1", "2", "D"], default_states=["D"]
    )

    pooled = first + second

    assert pooled.row_labels == both.row_labels
    assert pooled.counts.tolist() == both.counts.tolist()


def test_pooling_different_scales_rejected():
    first = transition_counts(["1"], ["1"], ["1", "2"], default_states=[])
    second = transition_counts(["1"], ["1"], ["1", "2", "3"], default_states=[])

    with pytest.raises(ValueError, match="same grades"):
        first + second


@pytest.mark.parametrize(
    ("starts", "ends", "order", "defaults", "message"),
    [
        (["1"], ["1", "2"], ["1", "2"], [], "1 values but to_ratings has 2"),
        (["1"], ["3"], ["1", "2"], [], "not grades of the given order"),
        ([EXIT], ["1"], ["1", "2"], [], "not grades of the given order"),
        (["1"], [NEW], ["1", "2"], [], "not grades of the given order"),
        (["1"], ["1"], ["1", "1"], [], "more than once"),
        (["1"], ["1"], ["1", EXIT], [], "reserved"),
        (["1"], ["1"], ["1", "2"], ["D"], "not in the grade order"),
        ([NEW], [EXIT], ["1", "2"], [], "both"),
    ],
)
def test_transition_counts_invalid_input(starts, ends, order, defaults, message):
    with pytest.raises(ValueError, match=message):
        transition_counts(starts, ends, order, default_states=defaults)


@pytest.mark.parametrize(
    ("events_first", "obligors_first", "events_second", "obligors_second"),
    [(12, 100, 25, 110), (0, 40, 3, 50), (30, 30, 20, 25), (5, 1000, 9, 37)],
)
def test_rate_change_matches_statsmodels(events_first, obligors_first, events_second, obligors_second):
    test = rate_change_test(events_first, obligors_first, events_second, obligors_second)
    z_reference, p_reference = proportions_ztest(
        [events_second, events_first], [obligors_second, obligors_first]
    )

    assert test.z == pytest.approx(z_reference, rel=REL)
    assert test.p_value == pytest.approx(p_reference, rel=REL)


def test_rate_change_equals_chi_square():
    table = np.array([[12, 88], [25, 85]])

    test = rate_change_test(12, 100, 25, 110)
    chi_square, p_value, _, _ = scipy_stats.chi2_contingency(table, correction=False)

    assert test.z**2 == pytest.approx(chi_square, rel=REL)
    assert test.p_value == pytest.approx(p_value, rel=REL)
    assert test.z > 0
    assert test.rate_first == pytest.approx(0.12, rel=REL)
    assert test.rate_second == pytest.approx(25 / 110, rel=REL)
    assert json.dumps(test.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("counts", "status"),
    [((0, 0, 1, 5), "no_observations"), ((0, 10, 0, 20), "zero_variance"), ((10, 10, 20, 20), "zero_variance")],
)
def test_rate_change_not_computable(counts, status):
    with pytest.raises(NotComputable) as error:
        rate_change_test(*counts)

    assert error.value.status == status


@pytest.mark.parametrize("counts", [(-1, 10, 1, 10), (11, 10, 1, 10), (1, 10, 1, -2)])
def test_rate_change_invalid_counts(counts):
    with pytest.raises(ValueError, match="Invalid counts"):
        rate_change_test(*counts)


SCALE = ["1", "2", "3", "4", "5", "D"]
PAIRS = st.lists(
    st.tuples(
        st.sampled_from(SCALE + [NEW, None]),
        st.sampled_from(SCALE + [EXIT, None]),
    ).filter(lambda pair: pair != (NEW, EXIT)),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(PAIRS, st.booleans())
def test_row_counts_sum_to_obligors_in_grade(pairs, include_exits):
    starts = [start for start, _ in pairs]
    ends = [end for _, end in pairs]

    counts = transition_counts(starts, ends, SCALE, default_states=["D"], include_exits=include_exits)

    kept = [
        (start, end)
        for start, end in pairs
        if start is not None and end is not None and (include_exits or (start != NEW and end != EXIT))
    ]
    expected = Counter(start for start, _ in kept)
    for label, total in zip(counts.row_labels, counts.row_totals):
        assert total == expected[label]
    for grade in ("1", "2", "3", "4", "5"):
        assert grade in counts.row_labels
    assert counts.counts.sum() == len(kept)
    assert counts.missing_rating == sum(start is None or end is None for start, end in pairs)


@settings(max_examples=300, deadline=None)
@given(PAIRS)
def test_rates_bounded_and_rows_sum_to_one(pairs):
    counts = transition_counts([p[0] for p in pairs], [p[1] for p in pairs], SCALE, default_states=["D"])
    summary = migration_summary(counts)

    for label, row, total in zip(counts.row_labels, counts.row_rates(), counts.row_totals):
        if label == "D":
            assert row == [1.0 if column == "D" else 0.0 for column in counts.column_labels]
            continue
        if total == 0:
            assert row == [None] * len(counts.column_labels)
            continue
        assert all(0.0 <= rate <= 1.0 for rate in row)
        assert sum(row) == pytest.approx(1.0, rel=1e-12)
    for grade in (*summary.grades, summary.total):
        if grade.obligors == 0:
            assert grade.rate("stability") is None
            continue
        parts = [grade.rate(name) for name in ("stability", "upgrade", "downgrade", "default", "exit")]
        assert all(0.0 <= part <= 1.0 for part in parts)
        assert sum(parts) == pytest.approx(1.0, rel=1e-12)
        assert 0.0 <= grade.rate("multi_notch") <= 1.0
    assert json.dumps(counts.to_dict(), allow_nan=False)
    assert json.dumps(summary.to_dict(), allow_nan=False)
