"""WOE and IV when a bin is pure (no events or no non-events) and when values are missing.

Faults guarded against:

* a pure bin gives ``ln(0)``: WOE -inf, IV inf, or a NaN term that a
  ``nansum`` drops; some tools substitute a count *before* computing the
  column totals, which moves the WOE of every other bin; others show WOE 0
  for a pure Missing bin (optbinning) so the most extreme group looks neutral.
  MMT replaces only the zero count (by 0.5) with totals unchanged, flags and
  names the bin, and reports ``iv`` (adjusted) and ``iv_exact`` (pure bins
  left out);
* missing values merged into the lowest bin (``fillna(-1)``) or dropped by a
  group-by: MMT gives them a Missing bin of their own, always listed.

Every WOE table of the product is checked: the WOE/IV analysis (user, quantile
and optimal bins) and the variable importance of the PD analysis.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmt.stats.woe import calculate_woe, woe_from_arrays
from tests.edge_cases.product import (
    analyze,
    csv_bytes,
    finite_or_none,
    hand_woe,
    raw_non_finite,
    upload_bytes,
)

REL = 1e-9
HEADER = ["obligor_id", "pd", "default_flag", "x"]


def rows_from_groups(groups: list[tuple[float | None, int, int]]) -> list[list]:
    """Rows from (x value, non-events, events) groups."""
    rows = []
    for value, non_events, events in groups:
        for index in range(non_events + events):
            rows.append([f"O{len(rows)}", 0.05, 1 if index < events else 0, value])
    return rows


def upload_groups(client, groups) -> int:
    return upload_bytes(client, "pd", "woe.csv", csv_bytes(HEADER, rows_from_groups(groups)))["dataset_id"]


def test_pure_bin_adjusts_only_its_zero_count_and_keeps_other_bins_exact(client):
    # x = 5: 50 goods, 0 bads; x = 15: 100 goods, 10 bads; x = 25: 50 goods, 10 bads.
    dataset_id = upload_groups(client, [(5.0, 50, 0), (15.0, 100, 10), (25.0, 50, 10)])

    body = analyze(client, "woe", dataset_id=dataset_id, columns=["x"], method="user",
                   cut_points={"x": [10, 20]}, closed="left")

    entry = body["results"]["columns"]["x"]
    assert [row["label"] for row in entry["bins"]] == ["[-inf, 10)", "[10, 20)", "[20, inf]", "Missing"]
    pure, middle, upper, missing = entry["bins"]
    # Totals stay 20 bads and 200 goods: the pure bin uses 0.5 bads in place of 0.
    assert entry["total_events"] == 20
    assert entry["total_non_events"] == 200
    assert pure["woe"] == pytest.approx(math.log((0.5 / 20) / (50 / 200)), rel=REL)
    assert middle["woe"] == pytest.approx(0.0, abs=1e-15)
    assert upper["woe"] == pytest.approx(math.log(2), rel=REL)
    assert upper["woe"] == pytest.approx(0.693147, abs=5e-7)
    assert entry["iv_exact"] == pytest.approx((0.5 - 0.25) * math.log(2), rel=REL)
    assert entry["iv_exact"] == pytest.approx(0.173287, abs=5e-7)
    _, iv = hand_woe([0, 10, 10, 0], [50, 100, 50, 0])
    assert entry["iv"] == pytest.approx(iv, rel=REL)
    assert pure["pure"] is True
    assert pure["flags"] == ["pure: no events"]
    assert pure["event_distribution"] == 0.0
    assert missing["count"] == 0
    assert missing["woe"] is None
    assert missing["flags"] == ["empty"]
    assert entry["pure_bins"] == ["[-inf, 10)"]
    assert entry["adjustment"] == 0.5
    assert entry["woe_convention"].startswith("ln(%event / %non-event)")
    warning = next(item for item in body["results"]["warnings"] if item["code"] == "pure_bin")
    assert "'[-inf, 10)'" in warning["message"]
    assert warning["details"]["column"] == "x"


def test_bin_without_non_events_is_adjusted_the_same_way(client):
    dataset_id = upload_groups(client, [(5.0, 0, 4), (15.0, 100, 10), (25.0, 50, 10)])

    entry = analyze(client, "woe", dataset_id=dataset_id, columns=["x"], cut_points={"x": [10, 20]},
                    adjustment=1.0)["results"]["columns"]["x"]

    woe, iv = hand_woe([4, 10, 10, 0], [0, 100, 50, 0], adjustment=1.0)
    assert [row["woe"] for row in entry["bins"][:3]] == pytest.approx(woe[:3], rel=REL)
    assert entry["bins"][3]["woe"] is None
    assert entry["bins"][0]["flags"] == ["pure: no non-events"]
    assert entry["bins"][1]["woe"] == pytest.approx(math.log((10 / 24) / (100 / 150)), rel=REL)
    assert entry["iv"] == pytest.approx(iv, rel=REL)
    assert entry["adjustment"] == 1.0


def test_missing_values_get_a_bin_of_their_own(client):
    # months_on_book: 40 missing (20 bad), 60 at 2 (6 bad), 100 at 10 (5 bad), 100 at 30 (2 bad).
    dataset_id = upload_groups(client, [(None, 20, 20), (2.0, 54, 6), (10.0, 95, 5), (30.0, 98, 2)])

    entry = analyze(client, "woe", dataset_id=dataset_id, columns=["x"], method="user",
                    cut_points={"x": [5, 17]}, closed="left")["results"]["columns"]["x"]

    assert [row["label"] for row in entry["bins"]] == ["[-inf, 5)", "[5, 17)", "[17, inf]", "Missing"]
    assert [row["count"] for row in entry["bins"]] == [60, 100, 100, 40]
    assert sum(row["count"] for row in entry["bins"]) == 300
    woe, iv = hand_woe([6, 5, 2, 20], [54, 95, 98, 20])
    assert [row["woe"] for row in entry["bins"]] == pytest.approx(woe, rel=REL)
    assert [row["woe"] for row in entry["bins"]] == pytest.approx([-0.106483, -0.853698, -1.801079, 2.090741], abs=5e-7)
    assert entry["iv"] == pytest.approx(iv, rel=REL)
    assert entry["iv"] == pytest.approx(1.838997, abs=5e-7)
    # The lowest bin keeps its own sign: merged with the missing rows it would read +1.0448.
    assert entry["bins"][0]["woe"] < 0


def test_pd_variable_importance_keeps_missing_values_apart(client):
    dataset_id = upload_groups(client, [(None, 20, 20), (2.0, 54, 6), (10.0, 95, 5), (30.0, 98, 2)])

    importance = analyze(client, "pd", dataset_id=dataset_id)["results"]["variable_importance"]

    entry = next(item for item in importance if item["feature"] == "x")
    missing = entry["bins"][-1]
    assert missing["label"] == "Missing"
    assert (missing["count"], missing["events"]) == (40, 20)
    assert sum(row["count"] for row in entry["bins"]) == 300
    assert missing["woe"] == pytest.approx(math.log((20 / 33) / (20 / 267)), rel=REL)


@pytest.mark.parametrize("method", ["optimal", "quantile"])
def test_pure_missing_bin_is_flagged_not_shown_as_neutral(client, method):
    # optbinning's own table shows WOE 0 for a Missing bin with no events.
    rng = np.random.default_rng(0)
    values = rng.normal(size=400)
    flags = np.zeros(400, dtype=int)
    flags[rng.choice(400, 80, replace=False)] = 1
    rows = [[f"O{index}", 0.1, int(flag), float(value)] for index, (value, flag) in enumerate(zip(values, flags))]
    rows += [[f"N{index}", 0.1, 0, None] for index in range(30)]
    dataset_id = upload_bytes(client, "pd", "pure_missing.csv", csv_bytes(HEADER, rows))["dataset_id"]

    entry = analyze(client, "woe", dataset_id=dataset_id, columns=["x"], method=method)["results"]["columns"]["x"]

    missing = entry["bins"][-1]
    assert missing["label"] == "Missing"
    assert missing["count"] == 30
    assert missing["pure"] is True
    assert missing["flags"] == ["pure: no events"]
    assert missing["woe"] == pytest.approx(math.log((0.5 / 80) / (30 / 350)), rel=REL)
    regular = [row for row in entry["bins"] if not row["pure"]]
    assert entry["iv_exact"] == pytest.approx(sum(row["iv_bin"] for row in regular), rel=REL)


def test_missing_row_kept_when_only_the_reference_has_missing_values(client):
    header = ["obligor_id", "pd", "default_flag", "x", "snapshot_date"]
    rows = [[f"R{index}", 0.1, index % 2, None if index < 10 else float(index % 7), "2024-01-31"] for index in range(50)]
    rows += [[f"C{index}", 0.1, index % 2, float(index % 7), "2024-02-29"] for index in range(50)]
    dataset_id = upload_bytes(client, "pd", "missing_once.csv", csv_bytes(header, rows))["dataset_id"]

    entry = analyze(client, "stability", dataset_id=dataset_id, columns=["x"], categorical_columns=["x"])["results"]["columns"]["x"]

    missing = entry["bins"][-1]
    assert missing["label"] == "Missing"
    assert (missing["reference_count"], missing["current_count"]) == (10, 0)
    assert missing["flags"] == ["empty in current"]


# --- the whole kind: random pure and empty bins in every WOE table ---


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=8),
       st.sampled_from([0.5, 1.0, 0.25]))
def test_woe_tables_with_random_pure_bins_are_finite_and_keep_other_bins_exact(cells, adjustment):
    events = [bad for bad, _ in cells]
    non_events = [good for _, good in cells]
    if sum(events) == 0 or sum(non_events) == 0:
        return

    result = calculate_woe(events, non_events, adjustment=adjustment)

    assert not raw_non_finite(result)
    woe, iv = hand_woe(events, non_events, adjustment)
    assert result.total_events == sum(events)
    assert result.total_non_events == sum(non_events)
    assert result.iv == pytest.approx(iv, rel=REL, abs=1e-15)
    assert result.iv >= 0
    assert result.iv_exact >= -1e-15
    for row, bad, good, expected in zip(result.bins, events, non_events, woe, strict=True):
        if bad + good == 0:
            assert row.woe is None
            assert row.iv_bin == 0.0
            assert row.flags == ("empty",)
            continue
        assert row.woe == pytest.approx(expected, rel=REL, abs=1e-15)
        assert row.pure == (bad == 0 or good == 0)
        if row.pure:
            assert any(repr(row.label) in message for message in result.warnings)
        else:
            exact = math.log((bad / sum(events)) / (good / sum(non_events)))
            assert row.woe == pytest.approx(exact, rel=REL, abs=1e-15)
    assert result.iv_exact == pytest.approx(sum(row.iv_bin for row in result.bins if not row.pure), rel=REL, abs=1e-15)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 9).map(float)), st.integers(0, 1)), min_size=2, max_size=60))
def test_woe_from_raw_values_counts_every_missing_value_in_the_missing_bin(pairs):
    values = [np.nan if value is None else value for value, _ in pairs]
    target = [flag for _, flag in pairs]
    if sum(target) in (0, len(target)):
        return

    result = woe_from_arrays(values, target, method="user", edges=[3, 6])

    assert not raw_non_finite(result)
    assert result.bins[-1].label == "Missing"
    assert result.bins[-1].count == sum(1 for value, _ in pairs if value is None)
    assert sum(row.count for row in result.bins) == len(pairs)
    assert result.bins[0].count == sum(1 for value, _ in pairs if value is not None and value <= 3)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=4, max_size=4))
def test_every_woe_table_of_the_api_is_finite_with_random_pure_bins(client, cells):
    groups = [(value, good, bad) for value, (good, bad) in zip([1.0, 2.0, 3.0, None], cells)]
    if sum(bad for _, _, bad in groups) == 0 or sum(good for _, good, _ in groups) == 0:
        return
    dataset_id = upload_groups(client, groups)

    woe_body = analyze(client, "woe", dataset_id=dataset_id, columns=["x"], categorical_columns=["x"])
    pd_body = analyze(client, "pd", dataset_id=dataset_id, features=["x"])

    assert finite_or_none(woe_body)
    assert finite_or_none(pd_body)
    tables = [woe_body["results"]["columns"]["x"], pd_body["results"]["variable_importance"][0]]
    for table in tables:
        for row in table["bins"]:
            if row["count"] == 0:
                assert row["woe"] is None
            else:
                assert row["woe"] is not None
                assert row["pure"] == (row["events"] == 0 or row["non_events"] == 0)
        assert table["bins"][-1]["label"] == "Missing"
        assert table["bins"][-1]["count"] == sum(cells[3])
