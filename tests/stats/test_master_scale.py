"""Tests of grade ordering on numeric, agency and letter scales, with real grade columns."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmt.stats.master_scale import (
    UnrecognisedGradeWarning,
    grade_rank,
    normalise_grade,
    order_grades,
    resolve_grade_order,
)

DATA = Path(__file__).parents[2] / "data"

# Moody's long-term rating symbols, best to worst.
MOODYS = [
    "Aaa", "Aa1", "Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3",
    "Ba1", "Ba2", "Ba3", "B1", "B2", "B3", "Caa1", "Caa2", "Caa3", "Ca", "C",
]  # fmt: skip
# S&P long-term issuer credit rating symbols, best to worst, then the defaults.
SP = [
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-",
    "BB+", "BB", "BB-", "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C",
]  # fmt: skip


def shuffled(values: list, seed: int = 7) -> list:
    copy = list(values)
    random.Random(seed).shuffle(copy)
    return copy


def test_numeric_text_sorts_numerically():
    labels = shuffled([str(grade) for grade in range(1, 11)])

    assert order_grades(labels) == [str(grade) for grade in range(1, 11)]


def test_numeric_numbers_and_floats_normalised():
    labels = [10, 2.0, np.int64(1), np.float64(3.0), "4"]

    assert order_grades(labels) == ["1", "2", "3", "4", "10"]


def test_numeric_decimal_grades():
    assert order_grades(["2.5", "10", "2", "1.25"]) == ["1.25", "2", "2.5", "10"]


def test_numeric_with_default_last():
    labels = shuffled([str(grade) for grade in range(1, 13)] + ["D"])

    order = resolve_grade_order(labels)

    assert order.grades == tuple(str(grade) for grade in range(1, 13)) + ("D",)
    assert order.default_states == ("D",)
    assert order.scale == "numeric"
    assert order.performing_grades == tuple(str(grade) for grade in range(1, 13))


def test_moodys_full_scale():
    order = resolve_grade_order(shuffled(MOODYS))

    assert list(order.grades) == MOODYS
    assert order.scale == "moodys"
    assert order.warnings == ()


def test_moodys_bare_category_before_middle():
    assert order_grades(["Aa2", "Aa", "Aa1", "Aa3", "Baa", "Ba1"]) == ["Aa1", "Aa", "Aa2", "Aa3", "Baa", "Ba1"]


def test_original_mmt_pd_file_moodys_order():
    frame = pd.read_csv(DATA / "mmt_original" / "Data_PD_Model.csv")
    labels = frame["TTCReportingRating"]
    expected = [
        "Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3",
        "Ba1", "Ba2", "Ba3", "B1", "B2", "B3", "Caa1", "Caa2",
    ]  # fmt: skip

    order = resolve_grade_order(labels)

    assert list(order.grades) == expected
    assert order.scale == "moodys"
    assert order.default_states == ()


def test_original_mmt_order_not_alphabetical():
    labels = pd.read_csv(DATA / "mmt_original" / "Data_PD_Model.csv")["TTCReportingRating"]

    assert order_grades(labels) != sorted(set(labels))


def test_sp_scale_with_defaults():
    labels = shuffled(SP + ["D", "SD"])

    order = resolve_grade_order(labels)

    assert list(order.grades) == SP + ["SD", "D"]
    assert order.default_states == ("SD", "D")
    assert order.scale == "sp_fitch"


def test_fitch_restricted_default():
    assert order_grades(["D", "B", "RD", "AAA", "CCC"]) == ["AAA", "B", "CCC", "RD", "D"]


def test_lending_club_sub_grades_match_interest_rates():
    frame = pd.read_csv(DATA / "pd_lendingclub.csv")
    expected = sorted(set(frame["lc_sub_grade"]), key=lambda grade: (grade[0], int(grade[1:])))

    order = order_grades(frame["lc_sub_grade"])
    mean_rate = frame.groupby("lc_sub_grade")["int_rate"].mean().loc[order]

    assert order == expected
    assert mean_rate.is_monotonic_increasing


def test_lending_club_grade_d_is_performing():
    frame = pd.read_csv(DATA / "pd_lendingclub.csv")

    order = resolve_grade_order(frame["lc_grade"])

    assert list(order.grades) == ["A", "B", "C", "D", "E", "F", "G"]
    assert order.default_states == ()
    assert order.scale in ("letter", "moodys", "sp_fitch")


def test_letter_grades_with_default():
    order = resolve_grade_order(["C", "A", "D", "B"])

    assert order.grades == ("A", "B", "C", "D")
    assert order.default_states == ("D",)


def test_letter_modifiers():
    assert order_grades(["B-", "A", "B+", "A+", "E", "B"]) == ["A+", "A", "B+", "B", "B-", "E"]


@pytest.mark.parametrize("name", ["Default", "DEFAULT", "default", "DEF", "def"])
def test_default_names_any_case(name):
    order = resolve_grade_order(["3", name, "1", "2"])

    assert order.grades == ("1", "2", "3", name)
    assert order.default_states == (name,)


def test_explicit_default_states_kept_when_absent():
    order = resolve_grade_order(["1", "2", "9"], default_states=["9", "W"])

    assert order.grades == ("1", "2", "9", "W")
    assert order.default_states == ("9", "W")


def test_explicit_empty_default_states():
    order = resolve_grade_order(["A", "B", "D"], default_states=[])

    assert order.grades == ("A", "B", "D")
    assert order.default_states == ()


def test_custom_order_wins():
    order = resolve_grade_order(["low", "high", "medium"], custom_order=["high", "medium", "low"])

    assert order.grades == ("high", "medium", "low")
    assert order.scale == "custom"
    assert order.warnings == ()


def test_custom_order_keeps_empty_grades():
    order = resolve_grade_order(["1", "3", "D"], custom_order=["1", "2", "3", "4", "D"])

    assert order.grades == ("1", "2", "3", "4", "D")
    assert order.default_states == ("D",)


def test_custom_order_reverses_numeric():
    assert order_grades(["1", "2", "3"], custom_order=[3, 2, 1]) == ["3", "2", "1"]


def test_custom_order_moves_defaults_last():
    order = resolve_grade_order(["A", "B"], custom_order=["D", "A", "B"])

    assert order.grades == ("A", "B", "D")


def test_custom_order_unknown_labels_warned():
    order = resolve_grade_order(["1", "2", "x10", "x2", "D"], custom_order=["1", "2", "3", "D"])

    assert order.grades == ("1", "2", "3", "x2", "x10", "D")
    assert order.unrecognised == ("x2", "x10")
    assert "not in the custom grade order" in order.warnings[0]


def test_custom_order_repeated_grade_rejected():
    with pytest.raises(ValueError, match="more than once"):
        resolve_grade_order(["1"], custom_order=["1", "2", 1])


def test_custom_order_blank_grade_rejected():
    with pytest.raises(ValueError, match="missing or blank"):
        resolve_grade_order(["1"], custom_order=["1", " "])


def test_unknown_labels_natural_sort_with_warning():
    with pytest.warns(UnrecognisedGradeWarning, match="fit no known rating scale"):
        order = order_grades(["watch x10", "Watch x2", "stable"])

    assert order == ["stable", "Watch x2", "watch x10"]


def test_unknown_labels_after_known_grades():
    with pytest.warns(UnrecognisedGradeWarning, match="numeric scale"):
        order = order_grades(["2", "unrated", "1", "D", "NR"])

    assert order == ["1", "2", "NR", "unrated", "D"]


def test_recognised_scale_raises_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        order_grades(MOODYS)


def test_unrecognised_scale_name():
    order = resolve_grade_order(["low", "high"])

    assert order.scale == "unrecognised"
    assert order.unrecognised == ("high", "low")


def test_many_unknown_labels_message_shortened():
    labels = [f"grade {letter}" for letter in "abcdefghijkl"]

    order = resolve_grade_order(labels)

    assert "and 2 more" in order.warnings[0]


def test_numeric_gap_warned():
    order = resolve_grade_order(["1", "2", "5", "D"])

    assert order.grades == ("1", "2", "5", "D")
    assert "absent from the data: 3, 4." in order.warnings[0]


def test_numeric_large_gap_shortened():
    order = resolve_grade_order(["1", "100"])

    assert "2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 88 more" in order.warnings[0]


def test_decimal_grades_no_gap_warning():
    assert resolve_grade_order(["1", "1.5", "3"]).warnings == ()


def test_missing_values_skipped():
    labels = ["2", None, float("nan"), pd.NA, pd.NaT, "", "  ", "1"]

    assert order_grades(labels) == ["1", "2"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" Ba2 ", "Ba2"),
        (3, "3"),
        (3.0, "3"),
        (2.5, "2.5"),
        (np.int32(4), "4"),
        (np.float32(5.0), "5"),
        (True, "True"),
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        ("", None),
    ],
)
def test_normalise_grade(value, expected):
    assert normalise_grade(value) == expected


def test_grade_rank_positions():
    rank = grade_rank(["Ba1", "Aa2", "D", "Caa2"])

    assert rank == {"Aa2": 0, "Ba1": 1, "Caa2": 2, "D": 3}


def test_grade_order_to_dict_is_json():
    order = resolve_grade_order(["2", "1", "zz", "D"])

    payload = json.loads(json.dumps(order.to_dict(), allow_nan=False))

    assert payload["grades"] == ["1", "2", "zz", "D"]
    assert payload["default_states"] == ["D"]
    assert payload["unrecognised"] == ["zz"]
    assert payload["scale"] == "numeric"


GRADE_LABELS = st.one_of(
    st.integers(min_value=-5, max_value=40).map(str),
    st.sampled_from(MOODYS + SP + ["D", "SD", "RD", "Default", "A1", "G5", "E", "x", "NR"]),
    st.text(min_size=1, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(GRADE_LABELS, max_size=30), st.randoms(use_true_random=False))
def test_order_is_permutation_and_stable(labels, rng):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnrecognisedGradeWarning)
        order = order_grades(labels)
        reordered = list(labels) * 2
        rng.shuffle(reordered)
        again = order_grades(reordered)
        idempotent = order_grades(order)

    distinct = {normalise_grade(label) for label in labels} - {None}
    assert sorted(order) == sorted(distinct)
    assert len(order) == len(set(order))
    assert again == order
    assert idempotent == order


@settings(max_examples=300, deadline=None)
@given(st.lists(GRADE_LABELS, max_size=30))
def test_default_states_come_last(labels):
    order = resolve_grade_order(labels)

    count = len(order.default_states)
    assert order.grades[len(order.grades) - count :] == order.default_states
    assert set(order.performing_grades).isdisjoint(order.default_states)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(MOODYS), min_size=1, unique=True))
def test_moodys_subset_keeps_scale_order(labels):
    assert order_grades(labels) == [grade for grade in MOODYS if grade in labels]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, unique=True))
def test_integer_grades_sorted_as_numbers(values):
    assert order_grades([str(value) for value in values]) == [str(value) for value in sorted(values)]
