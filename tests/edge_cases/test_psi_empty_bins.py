"""PSI and CSI when a bin is empty in one period or in both.

The fault: ``(a - e) * ln(a / e)`` with ``a = 0`` or ``e = 0`` is infinite,
and ``0 * ln(0 / 0)`` is NaN. Tools then report ``inf``, NaN, or drop the bin
so that a bin losing 10 % of the population reads as "stable" (toad reports
0.0517 on the input below). MMT floors an empty share at 1e-4 without
renormalising, flags and names the bin, and adds 0 for a bin empty in both
periods. Every PSI and CSI of the product is checked: the PD PSI, the grade
PSI, the feature CSI of the PD analysis and the stability analysis.

Worked input: five levels B1..B5 with 100/200/400/200/100 reference and
0/150/450/250/150 current observations. By hand (floor 1e-4): 0.741788.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmt.stats.stability import calculate_csi, calculate_psi, calculate_stability_metrics
from tests.edge_cases.product import (
    analyze,
    csv_bytes,
    finite_or_none,
    hand_psi,
    raw_non_finite,
    upload_bytes,
)

REL = 1e-9
FLOOR = 1e-4
GRADES = ["B1", "B2", "B3", "B4", "B5"]
GRADE_PD = [0.01, 0.02, 0.03, 0.04, 0.05]
REFERENCE_COUNTS = [100, 200, 400, 200, 100]
CURRENT_COUNTS = [0, 150, 450, 250, 150]
# Value a tool reports when it drops the empty bin from the sum (toad 0.1.7 on this input).
DROPPED_BIN_PSI = 0.05170368837652693


def portfolio_rows(counts: list[int], prefix: str, snapshot: str | None = None) -> list[list]:
    """One obligor per row; grade, PD and a categorical feature all follow the bin."""
    rows = []
    for grade, pd_value, count in zip(GRADES, GRADE_PD, counts, strict=True):
        for index in range(count):
            row = [f"{prefix}{grade}-{index}", pd_value, grade, 1 if index % 20 == 0 else 0, grade]
            rows.append(row + ([snapshot] if snapshot else []))
    return rows


HEADER = ["obligor_id", "pd", "rating", "default_flag", "region"]


def upload_periods(client, reference_counts, current_counts) -> tuple[int, int]:
    reference = upload_bytes(client, "pd_baseline", "reference.csv",
                             csv_bytes(HEADER, portfolio_rows(reference_counts, "R")))
    current = upload_bytes(client, "pd", "current.csv", csv_bytes(HEADER, portfolio_rows(current_counts, "C")))
    return reference["dataset_id"], current["dataset_id"]


def by_label(entry: dict) -> dict[str, dict]:
    return {row["label"]: row for row in entry["bins"]}


def quantile_bin_counts(values: list[float], edges: list[float]) -> list[int]:
    """Counts per right-closed bin of ``edges`` plus an empty Missing bin, by plain loops."""
    counts = [0] * (len(edges) + 2)
    for value in values:
        counts[sum(1 for edge in edges if edge < value)] += 1
    return counts


def test_grade_psi_floors_empty_current_grade_and_names_it(client):
    reference_id, current_id = upload_periods(client, REFERENCE_COUNTS, CURRENT_COUNTS)

    results = analyze(client, "pd", dataset_id=current_id, reference_dataset_id=reference_id,
                      grade_order=GRADES)["results"]

    grade_psi = results["stability"]["grade_psi"]
    assert [row["label"] for row in grade_psi["bins"]] == GRADES
    assert grade_psi["statistic"] == pytest.approx(hand_psi(REFERENCE_COUNTS, CURRENT_COUNTS), rel=REL)
    assert grade_psi["statistic"] == pytest.approx(0.741788, abs=5e-7)
    assert grade_psi["statistic"] > 10 * DROPPED_BIN_PSI
    assert grade_psi["band"] == "significant shift"
    assert grade_psi["status"] == "red"
    b1 = by_label(grade_psi)["B1"]
    assert b1["flags"] == ["empty in current"]
    assert b1["current_proportion"] == 0.0
    assert b1["contribution"] == pytest.approx((FLOOR - 0.1) * math.log(FLOOR / 0.1), rel=REL)
    assert any("'B1'" in message and "floored at 0.0001" in message for message in grade_psi["warnings"])
    assert "floored at 0.0001" in grade_psi["empty_bin_rule"]
    lifted = [warning for warning in results["warnings"] if warning["message"].startswith("Grade PSI: Bin 'B1'")]
    assert len(lifted) == 1
    assert lifted[0]["code"] == "psi_floor"
    assert lifted[0]["details"] == {"column": "rating"}


def test_pd_psi_bins_empty_in_both_periods_add_exactly_zero(client):
    # Five distinct PDs make the reference deciles fall between them, so three quantile
    # bins hold no PD at all: they must add 0, not NaN, and B1's bin must still count.
    reference_id, current_id = upload_periods(client, REFERENCE_COUNTS, CURRENT_COUNTS)

    results = analyze(client, "pd", dataset_id=current_id, reference_dataset_id=reference_id)["results"]

    psi = results["stability"]["psi"]
    reference_pds = [pd_value for pd_value, count in zip(GRADE_PD, REFERENCE_COUNTS) for _ in range(count)]
    current_pds = [pd_value for pd_value, count in zip(GRADE_PD, CURRENT_COUNTS) for _ in range(count)]
    edges = np.unique(np.quantile(reference_pds, np.arange(1, 10) / 10)).tolist()
    assert psi["edges"] == pytest.approx(edges, rel=REL)
    reference_counts = quantile_bin_counts(reference_pds, edges)
    current_counts = quantile_bin_counts(current_pds, edges)
    assert [row["reference_count"] for row in psi["bins"]] == reference_counts
    assert [row["current_count"] for row in psi["bins"]] == current_counts
    empty_both = [row for row in psi["bins"] if row["flags"] == ["empty in both periods"]]
    assert len(empty_both) == 4  # three gaps between PDs and the Missing bin
    assert all(row["contribution"] == 0.0 for row in empty_both)
    assert psi["statistic"] == pytest.approx(hand_psi(reference_counts, current_counts), rel=REL)
    assert psi["statistic"] == pytest.approx(0.741788, abs=5e-7)
    floored = [warning for warning in results["warnings"]
               if warning["code"] == "psi_floor" and "'[-inf, 0.019]'" in warning["message"]]
    assert len(floored) == 1
    assert "empty in the current period" in floored[0]["message"]


def test_feature_csi_floors_empty_level(client):
    reference_id, current_id = upload_periods(client, REFERENCE_COUNTS, CURRENT_COUNTS)

    results = analyze(client, "pd", dataset_id=current_id, reference_dataset_id=reference_id,
                      features=["region"])["results"]

    csi = results["stability"]["csi"]["region"]
    assert csi["statistic"] == pytest.approx(hand_psi(REFERENCE_COUNTS + [0], CURRENT_COUNTS + [0]), rel=REL)
    assert csi["statistic"] == pytest.approx(0.741788, abs=5e-7)
    assert by_label(csi)["B1"]["flags"] == ["empty in current"]
    assert by_label(csi)["Missing"]["contribution"] == 0.0
    assert csi["status"] == "red"
    lifted = [warning for warning in results["warnings"] if warning["message"].startswith("Feature region: Bin 'B1'")]
    assert len(lifted) == 1
    assert lifted[0]["details"] == {"feature": "region"}


def test_psi_empty_reference_bin_is_floored_symmetrically(client):
    reference_id, current_id = upload_periods(client, REFERENCE_COUNTS, CURRENT_COUNTS)

    # The same two files with the roles swapped: B1 is now empty in the reference.
    results = analyze(client, "pd", dataset_id=reference_id, reference_dataset_id=current_id,
                      grade_order=GRADES)["results"]

    grade_psi = results["stability"]["grade_psi"]
    assert grade_psi["statistic"] == pytest.approx(hand_psi(CURRENT_COUNTS, REFERENCE_COUNTS), rel=REL)
    assert grade_psi["statistic"] == pytest.approx(0.741788, abs=5e-7)
    assert by_label(grade_psi)["B1"]["flags"] == ["empty in reference"]
    assert results["stability"]["csi"]["region"]["statistic"] == pytest.approx(0.741788, abs=5e-7)


def test_stability_analysis_floors_empty_level_and_warns(client):
    rows = (portfolio_rows(REFERENCE_COUNTS, "R", "2024-01-31")
            + portfolio_rows(CURRENT_COUNTS, "C", "2024-02-29"))
    dataset_id = upload_bytes(client, "pd", "periods.csv", csv_bytes(HEADER + ["snapshot_date"], rows))["dataset_id"]

    results = analyze(client, "stability", dataset_id=dataset_id, columns=["region"])["results"]

    entry = results["columns"]["region"]
    assert entry["statistic"] == pytest.approx(hand_psi(REFERENCE_COUNTS + [0], CURRENT_COUNTS + [0]), rel=REL)
    assert entry["statistic"] == pytest.approx(0.741788, abs=5e-7)
    assert entry["band"] == "significant shift"
    assert by_label(entry)["B1"]["flags"] == ["empty in current"]
    assert by_label(entry)["Missing"]["flags"] == ["empty in both periods"]
    warning = next(item for item in results["warnings"] if item["code"] == "empty_bin")
    assert "'B1'" in warning["message"]
    assert warning["details"]["column"] == "region"


def test_stability_analysis_reports_the_floor_it_used(client):
    # The value depends on the floor. By hand it is 1.202985 at 1e-6.
    rows = (portfolio_rows(REFERENCE_COUNTS, "R", "2024-01-31")
            + portfolio_rows(CURRENT_COUNTS, "C", "2024-02-29"))
    dataset_id = upload_bytes(client, "pd", "periods.csv", csv_bytes(HEADER + ["snapshot_date"], rows))["dataset_id"]

    entry = analyze(client, "stability", dataset_id=dataset_id, columns=["region"], floor=1e-6)["results"]["columns"]["region"]

    assert entry["floor"] == 1e-6
    assert entry["statistic"] == pytest.approx(hand_psi(REFERENCE_COUNTS, CURRENT_COUNTS, floor=1e-6), rel=REL)
    assert entry["statistic"] == pytest.approx(1.202985, abs=5e-7)
    assert "1e-06" in entry["empty_bin_rule"]


# --- the whole kind: random empty bins in every PSI and CSI ---

counts_with_zeros = st.lists(st.integers(0, 60), min_size=2, max_size=8)


@settings(max_examples=300, deadline=None)
@given(counts_with_zeros, st.data())
def test_psi_and_csi_with_random_empty_bins_are_finite_and_flag_every_empty_bin(reference, data):
    current = data.draw(st.lists(st.integers(0, 60), min_size=len(reference), max_size=len(reference)))
    if sum(reference) == 0 or sum(current) == 0:
        return
    labels = [f"L{index}" for index in range(len(reference))]

    for compute in (calculate_psi, calculate_csi):
        result = compute(reference, current, labels)
        swapped = compute(current, reference, labels)

        assert not raw_non_finite(result)
        assert result.statistic >= 0
        assert result.statistic == pytest.approx(hand_psi(reference, current), rel=REL, abs=1e-15)
        assert swapped.statistic == pytest.approx(result.statistic, rel=1e-12, abs=1e-15)
        for row, expected, actual in zip(result.bins, reference, current, strict=True):
            if expected == 0 and actual == 0:
                assert row.flags == ("empty in both periods",)
                assert row.contribution == 0.0
            elif expected == 0:
                assert "empty in reference" in row.flags
                assert any(repr(row.label) in message for message in result.warnings)
            elif actual == 0:
                assert "empty in current" in row.flags
                assert any(repr(row.label) in message for message in result.warnings)
            else:
                assert row.flags == ()
        # No bin is dropped: the index is at least each bin's own term.
        assert all(result.statistic >= row.contribution - 1e-15 for row in result.bins)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=1, max_size=40),
       st.lists(st.sampled_from(["A", "B", "C", "E", None]), min_size=1, max_size=40))
def test_raw_value_psi_with_vanishing_and_new_levels_is_finite(reference, current):
    result = calculate_stability_metrics(reference, current, kind="categorical")

    assert not raw_non_finite(result)
    assert result.bins[-1].label == "Missing"
    assert sum(row.reference_count for row in result.bins) == len(reference)
    assert sum(row.current_count for row in result.bins) == len(current)
    for row in result.bins:
        if row.reference_count == 0 and row.current_count > 0:
            assert "empty in reference" in row.flags
        if row.current_count == 0 and row.reference_count > 0:
            assert "empty in current" in row.flags
    if "E" in current:
        assert "unseen in reference" in next(row for row in result.bins if row.label == "E").flags


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 40), min_size=5, max_size=5), st.lists(st.integers(0, 40), min_size=5, max_size=5))
def test_every_psi_of_the_pd_analysis_is_finite_with_random_empty_grades(client, reference, current):
    if sum(reference) < 2 or sum(current) < 2:
        return
    rows = (portfolio_rows(reference, "R", "2024-01-31") + portfolio_rows(current, "C", "2024-02-29"))
    dataset_id = upload_bytes(client, "pd", "periods.csv", csv_bytes(HEADER + ["snapshot_date"], rows))["dataset_id"]

    body = analyze(client, "pd", dataset_id=dataset_id, grade_order=GRADES)
    stability = body["results"]["stability"]

    assert finite_or_none(body)
    present = [grade for grade, old, new in zip(GRADES, reference, current) if old or new]
    expected = hand_psi([old for old, new in zip(reference, current) if old or new],
                        [new for old, new in zip(reference, current) if old or new])
    grade_psi = stability["grade_psi"]
    assert [row["label"] for row in grade_psi["bins"]] == present
    assert grade_psi["statistic"] == pytest.approx(expected, rel=REL, abs=1e-15)
    assert stability["csi"]["region"]["statistic"] == pytest.approx(expected, rel=REL, abs=1e-15)
    for entry in (stability["psi"], grade_psi, stability["csi"]["region"]):
        for row in entry["bins"]:
            assert (row["reference_count"] == 0) == ("empty in reference" in row["flags"]
                                                     or "empty in both periods" in row["flags"])
            assert (row["current_count"] == 0) == ("empty in current" in row["flags"]
                                                   or "empty in both periods" in row["flags"])
    assert all(point["psi"] is not None for point in stability["trend"])

    stability_results = analyze(client, "stability", dataset_id=dataset_id, columns=["region", "pd"])["results"]
    assert stability_results["columns"]["region"]["statistic"] == pytest.approx(expected, rel=REL, abs=1e-15)
    assert finite_or_none(stability_results)
    assert dt.date.fromisoformat(stability_results["periods"]["reference"][0][:10]) == dt.date(2024, 1, 31)
