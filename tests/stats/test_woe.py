"""Tests of WOE and IV against hand computations, published values and optbinning."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optbinning import OptimalBinning

from mmt.errors import ValidationError
from mmt.stats import NotComputable
from mmt.stats.woe import (
    FLAG_EMPTY,
    FLAG_PURE_NO_EVENTS,
    FLAG_PURE_NO_NON_EVENTS,
    WOE_CONVENTION,
    calculate_information_value,
    calculate_woe,
    iv_strength,
    woe_from_arrays,
)

DATA = Path(__file__).parents[2] / "data"
REL = 1e-9


@pytest.fixture(scope="module")
def german_credit() -> pd.DataFrame:
    return pd.read_csv(DATA / "pd_germancredit.csv")


def hand_woe(events: list[float], non_events: list[float]) -> list[float]:
    """WOE = ln(%event / %non-event) per bin, written out with the math module."""
    total_events, total_non_events = sum(events), sum(non_events)
    return [
        math.log((bad / total_events) / (good / total_non_events))
        for bad, good in zip(events, non_events, strict=True)
    ]


def hand_iv(events: list[float], non_events: list[float]) -> float:
    total_events, total_non_events = sum(events), sum(non_events)
    return sum(
        (bad / total_events - good / total_non_events)
        * math.log((bad / total_events) / (good / total_non_events))
        for bad, good in zip(events, non_events, strict=True)
    )


# --- golden and hand-computed values ---


def test_woe_golden_table():
    goods = [400, 300, 200, 100]
    bads = [20, 30, 40, 60]

    result = calculate_woe(bads, goods, ["A", "B", "C", "D"])

    # Published with the ln(%good / %bad) sign, so ours is the negative.
    published = [1.098612, 0.405465, -0.287682, -1.386294]
    for row, expected, exact in zip(result.bins, published, hand_woe(bads, goods), strict=True):
        assert row.woe == pytest.approx(-expected, abs=5e-7)
        assert row.woe == pytest.approx(exact, rel=REL)
    assert result.iv == pytest.approx(0.7685769, abs=5e-8)
    assert result.iv == pytest.approx(hand_iv(bads, goods), rel=REL)
    assert result.iv_exact == result.iv
    assert result.strength == "suspicious"
    assert result.woe_convention == WOE_CONVENTION
    assert result.warnings == ()


def test_woe_bin_columns_written_out():
    result = calculate_woe([20, 30], [400, 300])

    first = result.bins[0]
    assert first.count == 420
    assert first.events == 20
    assert first.non_events == 400
    assert first.event_rate == pytest.approx(20 / 420, rel=REL)
    assert first.event_distribution == pytest.approx(20 / 50, rel=REL)
    assert first.non_event_distribution == pytest.approx(400 / 700, rel=REL)
    assert first.iv_bin == pytest.approx((0.4 - 4 / 7) * math.log(0.4 / (4 / 7)), rel=REL)
    assert first.label == "bin 1"
    assert result.total_count == 750
    assert result.total_events == 50
    assert result.total_non_events == 700


def test_woe_pure_bin_adjusts_only_that_bin():
    values = [5.0] * 50 + [15.0] * 110 + [25.0] * 60
    target = [0] * 50 + [0] * 100 + [1] * 10 + [0] * 50 + [1] * 10

    result = woe_from_arrays(values, target, edges=[10, 20], name="x")

    pure, middle, high, missing = result.bins
    # Exact values of the non-pure bins: ln(0.5 / 0.5) and ln(0.5 / 0.25).
    assert middle.woe == 0.0
    assert high.woe == pytest.approx(math.log(2), rel=REL)
    assert high.woe == pytest.approx(0.693147, abs=5e-7)
    assert result.iv_exact == pytest.approx((0.5 - 0.25) * math.log(2), rel=REL)
    assert result.iv_exact == pytest.approx(0.173287, abs=5e-7)
    # The pure bin uses 0.5 events out of the unchanged 20.
    adjusted_share = 0.5 / 20
    assert pure.pure is True
    assert pure.flags == (FLAG_PURE_NO_EVENTS,)
    assert pure.event_distribution == 0.0
    assert pure.woe == pytest.approx(math.log(adjusted_share / 0.25), rel=REL)
    assert pure.iv_bin == pytest.approx((adjusted_share - 0.25) * math.log(adjusted_share / 0.25), rel=REL)
    assert result.iv == pytest.approx(result.iv_exact + pure.iv_bin, rel=REL)
    assert len(result.warnings) == 1
    assert "'[-inf, 10]'" in result.warnings[0]
    assert " of x " in result.warnings[0]
    assert missing.flags == (FLAG_EMPTY,)
    json.dumps(result.to_dict(), allow_nan=False)


def test_woe_pure_bin_adjustment_of_one():
    result = calculate_woe([0, 10, 10], [50, 100, 50], ["A", "B", "C"], adjustment=1)

    # Zero count replaced by 1 with totals unchanged: ln((1/20) / (50/200)).
    assert result.bins[0].woe == pytest.approx(math.log(0.05 / 0.25), rel=REL)
    assert result.bins[0].woe == pytest.approx(-1.609438, abs=5e-7)
    assert result.iv == pytest.approx(0.495174, abs=5e-7)


def test_woe_pure_bin_without_non_events():
    result = calculate_woe([5, 15, 10], [0, 100, 100], ["A", "B", "C"])

    adjusted_share = 0.5 / 200
    assert result.bins[0].flags == (FLAG_PURE_NO_NON_EVENTS,)
    assert result.bins[0].woe == pytest.approx(math.log((5 / 30) / adjusted_share), rel=REL)
    assert result.bins[1].woe == pytest.approx(math.log((15 / 30) / 0.5), rel=REL)
    # Totals stay 30 events and 200 non-events for the exact bins.
    exact = (15 / 30 - 0.5) * math.log((15 / 30) / 0.5) + (10 / 30 - 0.5) * math.log((10 / 30) / 0.5)
    assert result.iv_exact == pytest.approx(exact, rel=REL)
    assert "no non-events" in result.warnings[0]


def test_woe_missing_is_own_bin():
    values = [np.nan] * 40 + [2.0] * 60 + [10.0] * 100 + [30.0] * 100
    target = [1] * 20 + [0] * 20 + [1] * 6 + [0] * 54 + [1] * 5 + [0] * 95 + [1] * 2 + [0] * 98

    result = woe_from_arrays(values, target, edges=[5, 17])

    by_label = {row.label: row for row in result.bins}
    assert list(by_label) == ["[-inf, 5]", "(5, 17]", "(17, inf]", "Missing"]
    events = [6, 5, 2, 20]
    non_events = [54, 95, 98, 20]
    exact = hand_woe(events, non_events)
    published = [-0.106483, -0.853698, -1.801079, 2.090741]
    for row, value, expected in zip(result.bins, exact, published, strict=True):
        assert row.woe == pytest.approx(value, rel=REL)
        assert row.woe == pytest.approx(expected, abs=5e-7)
    assert result.iv == pytest.approx(hand_iv(events, non_events), rel=REL)
    assert result.iv == pytest.approx(1.838997, abs=5e-7)
    assert sum(row.count for row in result.bins) == 300
    assert by_label["Missing"].count == 40


def test_woe_empty_bin_has_no_woe():
    result = calculate_woe([10, 0, 30], [100, 0, 80], ["grade 1", "grade 2", "grade 3"])

    empty = result.bins[1]
    assert empty.woe is None
    assert empty.event_rate is None
    assert empty.iv_bin == 0.0
    assert empty.flags == (FLAG_EMPTY,)
    assert empty.pure is False
    assert result.iv == pytest.approx(hand_iv([10, 30], [100, 80]), rel=REL)
    assert result.warnings == ()


def test_woe_column_entirely_missing():
    result = woe_from_arrays([None] * 6, [1, 0, 0, 1, 0, 0], name="age")

    assert result.bins[-1].label == "Missing"
    assert result.bins[-1].woe == 0.0
    assert result.iv == 0.0
    assert result.strength == "not predictive"
    assert "Every value of age is missing." in result.warnings
    json.dumps(result.to_dict(), allow_nan=False)


def test_information_value_german_credit(german_credit):
    column = german_credit["status_of_existing_checking_account"]
    target = german_credit["default_flag"]

    result = calculate_information_value(
        *_counts_by_level(column, target), name="status_of_existing_checking_account"
    )
    from_arrays = woe_from_arrays(column, target, kind="categorical")

    # meliora's calc_iv on the Statlog file gives 0.6660115034 for this attribute.
    assert result.iv == pytest.approx(0.6660115034, abs=5e-11)
    assert from_arrays.iv == pytest.approx(result.iv, rel=REL)
    pairs = Counter(zip(column, target, strict=True))
    levels = sorted(set(column))
    events = [pairs[(level, 1)] for level in levels]
    non_events = [pairs[(level, 0)] for level in levels]
    assert from_arrays.iv == pytest.approx(hand_iv(events, non_events), rel=REL)
    assert from_arrays.strength == "suspicious"
    # Levels by reference frequency, then the empty Missing bin.
    assert from_arrays.bins[0].label == "no checking account"
    assert from_arrays.bins[-1].label == "Missing"
    assert from_arrays.bins[-1].count == 0


def _counts_by_level(column: pd.Series, target: pd.Series) -> tuple[list[int], list[int], list[str]]:
    table = pd.crosstab(column, target)
    return table[1].tolist(), table[0].tolist(), [str(level) for level in table.index]


# --- cross-check with optbinning's binning table (WoE sign opposite) ---


def _assert_matches_optbinning(result, binning: OptimalBinning) -> None:
    table = binning.binning_table.build(add_totals=False)
    assert len(table) == len(result.bins)
    for row, (_, reference) in zip(result.bins, table.iterrows(), strict=True):
        assert row.count == reference["Count"]
        assert row.events == reference["Event"]
        assert row.non_events == reference["Non-event"]
        if row.pure or row.count == 0:
            # optbinning shows WoE 0 for pure and empty bins; ours flags them.
            assert reference["WoE"] == 0
            continue
        assert row.woe == pytest.approx(-reference["WoE"], rel=REL, abs=1e-12)
        assert row.iv_bin == pytest.approx(reference["IV"], rel=REL, abs=1e-15)


def test_woe_optimal_numeric_matches_optbinning(german_credit):
    values = german_credit["duration_in_month"].to_numpy(dtype=float).copy()
    values[::41] = np.nan
    values[::53] = -999.0
    target = german_credit["default_flag"].to_numpy()

    result = woe_from_arrays(values, target, method="optimal", special_values=[-999], name="duration")

    binning = OptimalBinning(name="duration", special_codes={"-999": [-999.0]})
    binning.fit(values, target)
    assert result.binning.edges == tuple(binning.splits)
    assert result.binning.closed == "left"
    assert result.binning.labels[-2:] == ("Special: -999", "Missing")
    _assert_matches_optbinning(result, binning)
    assert result.iv == pytest.approx(binning.binning_table.iv, rel=REL)


def test_woe_optimal_categorical_matches_optbinning(german_credit):
    values = german_credit["purpose"].to_numpy(dtype=object).copy()
    values[::37] = None
    target = german_credit["default_flag"].to_numpy()

    result = woe_from_arrays(values, target, kind="categorical", method="optimal")

    binning = OptimalBinning(dtype="categorical")
    binning.fit(values, target)
    # optbinning adds an empty Special row for categorical data; ours has none.
    table = binning.binning_table.build(add_totals=False)
    table = table[table["Bin"].astype(str) != "Special"]
    assert len(table) == len(result.bins)
    for row, (_, reference) in zip(result.bins, table.iterrows(), strict=True):
        assert row.count == reference["Count"]
        assert row.events == reference["Event"]
        assert row.woe == pytest.approx(-reference["WoE"], rel=REL, abs=1e-12)
        assert row.iv_bin == pytest.approx(reference["IV"], rel=REL, abs=1e-15)


def test_woe_fixed_user_splits_match_optbinning(german_credit):
    values = german_credit["age_in_years"].to_numpy(dtype=float)
    target = german_credit["default_flag"].to_numpy()
    splits = [25.5, 30.5, 40.5, 55.5]

    result = woe_from_arrays(values, target, edges=splits)

    binning = OptimalBinning(user_splits=splits, user_splits_fixed=[True] * 4, monotonic_trend=None)
    binning.fit(values, target)
    assert list(binning.splits) == splits
    # Half-integer cut points on whole ages, so right- and left-closed bins agree.
    assert len(result.bins) == 6
    _assert_matches_optbinning_without_special(result, binning)


def _assert_matches_optbinning_without_special(result, binning: OptimalBinning) -> None:
    table = binning.binning_table.build(add_totals=False)
    table = table[table["Bin"].astype(str) != "Special"]
    assert len(table) == len(result.bins)
    for row, (_, reference) in zip(result.bins, table.iterrows(), strict=True):
        assert row.count == reference["Count"]
        if row.count == 0:
            assert row.woe is None
            continue
        assert row.woe == pytest.approx(-reference["WoE"], rel=REL, abs=1e-12)


def test_woe_quantile_and_equal_width_bins(german_credit):
    values = german_credit["credit_amount"].to_numpy(dtype=float)
    target = german_credit["default_flag"].to_numpy()

    quantile = woe_from_arrays(values, target, n_bins=5)
    equal_width = woe_from_arrays(values, target, n_bins=4, method="equal_width")

    cut_points = np.quantile(values, [0.2, 0.4, 0.6, 0.8])
    codes = np.searchsorted(cut_points, values, side="left")
    events = [int(target[codes == code].sum()) for code in range(5)]
    non_events = [int((codes == code).sum()) - count for code, count in enumerate(events)]
    assert quantile.iv == pytest.approx(hand_iv(events, non_events), rel=REL)
    assert quantile.binning.method == "quantile"
    assert equal_width.binning.method == "equal_width"
    assert len(equal_width.bins) == 5


# --- strength bands ---


@pytest.mark.parametrize(
    ("iv", "band"),
    [
        (0.0, "not predictive"),
        (0.0199, "not predictive"),
        (0.02, "weak"),
        (0.0999, "weak"),
        (0.1, "medium"),
        (0.2999, "medium"),
        (0.3, "strong"),
        (0.4999, "strong"),
        (0.5, "suspicious"),
        (3.0, "suspicious"),
    ],
)
def test_iv_strength_bands(iv, band):
    assert iv_strength(iv) == band


# --- input errors ---


@pytest.mark.parametrize(
    ("events", "non_events"),
    [([1, 2], [1]), ([1, -1], [1, 2]), ([1, float("nan")], [1, 2]), ([], [])],
)
def test_woe_invalid_counts_rejected(events, non_events):
    with pytest.raises(ValidationError):
        calculate_woe(events, non_events)


@pytest.mark.parametrize("adjustment", [0, -0.5, float("inf"), "0.5"])
def test_woe_invalid_adjustment_rejected(adjustment):
    with pytest.raises(ValidationError):
        calculate_woe([1, 2], [2, 1], adjustment=adjustment)


@pytest.mark.parametrize(("events", "non_events"), [([0, 0], [3, 4]), ([3, 4], [0, 0])])
def test_woe_single_class_not_computable(events, non_events):
    with pytest.raises(NotComputable) as raised:
        calculate_woe(events, non_events)

    assert raised.value.status == "insufficient_classes"


@pytest.mark.parametrize("target", [[0, 1, 2], [0, 1, None], ["no", "yes", "no"]])
def test_woe_invalid_target_rejected(target):
    with pytest.raises(ValidationError):
        woe_from_arrays([1.0, 2.0, 3.0], target)


def test_woe_length_mismatch_rejected():
    with pytest.raises(ValidationError):
        woe_from_arrays([1.0, 2.0, 3.0], [0, 1])


def test_woe_labels_length_checked():
    with pytest.raises(ValidationError):
        calculate_woe([1, 2], [2, 1], ["only one"])


def test_woe_invalid_kind_rejected():
    with pytest.raises(ValidationError):
        woe_from_arrays([1.0, 2.0], [0, 1], kind="ordinal")


def test_woe_user_method_needs_edges():
    with pytest.raises(ValidationError):
        woe_from_arrays([1.0, 2.0], [0, 1], method="user")


# --- properties ---


@st.composite
def event_tables(draw):
    size = draw(st.integers(min_value=1, max_value=10))
    events = draw(st.lists(st.integers(0, 5_000), min_size=size, max_size=size))
    non_events = draw(st.lists(st.integers(0, 5_000), min_size=size, max_size=size))
    events[draw(st.integers(0, size - 1))] += 1
    non_events[draw(st.integers(0, size - 1))] += 1
    return events, non_events


@settings(max_examples=200, deadline=None)
@given(event_tables())
def test_woe_property_finite_nonnegative_iv(table):
    events, non_events = table

    result = calculate_woe(events, non_events)

    assert math.isfinite(result.iv)
    assert result.iv >= 0
    assert 0 <= result.iv_exact <= result.iv + 1e-12
    assert all(row.iv_bin >= 0 for row in result.bins)
    assert all(row.woe is None or math.isfinite(row.woe) for row in result.bins)
    json.dumps(result.to_dict(), allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(event_tables())
def test_woe_property_bins_sum_to_totals(table):
    events, non_events = table

    result = calculate_woe(events, non_events)

    assert sum(row.events for row in result.bins) == result.total_events == sum(events)
    assert sum(row.non_events for row in result.bins) == result.total_non_events == sum(non_events)
    assert sum(row.count for row in result.bins) == result.total_count
    assert sum(row.event_distribution for row in result.bins) == pytest.approx(1.0, rel=1e-12)
    assert sum(row.non_event_distribution for row in result.bins) == pytest.approx(1.0, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(event_tables())
def test_woe_property_non_pure_bins_exact(table):
    events, non_events = table

    result = calculate_woe(events, non_events)

    total_events, total_non_events = sum(events), sum(non_events)
    for row, bad, good in zip(result.bins, events, non_events, strict=True):
        if bad > 0 and good > 0:
            exact = math.log((bad / total_events) / (good / total_non_events))
            assert row.woe == pytest.approx(exact, rel=1e-12, abs=1e-15)
            assert row.pure is False
        else:
            assert row.pure is (bad + good > 0)
