"""Tests of the stability analysis (PSI/CSI between periods or datasets) on Parquet files.

Every index is checked against a PSI written out in the test with the math
module, on bins whose cut points come from numpy and whose counts are made
by plain loops.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmt.analyses.stability import StabilityOptions, analyze_stability
from mmt.errors import ValidationError

DATA = Path(__file__).parents[2] / "data"
REL = 1e-9
FLOOR = 1e-4
JAN, FEB, MAR = dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 31)


def hand_psi(reference: list[float], current: list[float], floor: float = FLOOR) -> float:
    """PSI with the math module: empty shares floored at ``floor``, bins empty in both periods skipped."""
    reference_total, current_total = sum(reference), sum(current)
    total = 0.0
    for expected_count, actual_count in zip(reference, current, strict=True):
        expected, actual = expected_count / reference_total, actual_count / current_total
        if expected == 0 and actual == 0:
            continue
        expected, actual = expected or floor, actual or floor
        total += (actual - expected) * math.log(actual / expected)
    return total


def hand_counts(values: list, edges: list[float], specials: tuple[float, ...] = ()) -> list[int]:
    """Counts per right-closed bin (a value equal to a cut point goes below it), special bins, Missing last."""
    counts = [0] * (len(edges) + 1 + len(specials) + 1)
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            counts[-1] += 1
        elif value in specials:
            counts[len(edges) + 1 + specials.index(value)] += 1
        else:
            counts[sum(1 for edge in edges if edge < value)] += 1
    return counts


def hand_quantile_edges(values: list, n_bins: int, specials: tuple[float, ...] = ()) -> list[float]:
    regular = [value for value in values if value is not None and not math.isnan(value) and value not in specials]
    return np.unique(np.quantile(np.asarray(regular, dtype=float), np.arange(1, n_bins) / n_bins)).tolist()


def write_parquet(path: Path, columns: dict[str, list], types: dict[str, pa.DataType] | None = None) -> Path:
    types = types or {}
    table = pa.table({name: pa.array(values, type=types.get(name)) for name, values in columns.items()})
    pq.write_table(table, path)
    return path


def periods_file(tmp_path: Path, reference: dict[str, list], current: dict[str, list],
                 types: dict[str, pa.DataType] | None = None, name: str = "periods.parquet") -> Path:
    """One dataset: the ``reference`` rows dated 31 Jan 2024, the ``current`` rows 29 Feb 2024."""
    n_reference = len(next(iter(reference.values())))
    n_current = len(next(iter(current.values())))
    columns = {column: list(reference[column]) + list(current[column]) for column in reference}
    columns["snapshot_date"] = [JAN] * n_reference + [FEB] * n_current
    return write_parquet(tmp_path / name, columns, types)


def bins_by_label(entry: dict) -> dict[str, dict]:
    return {row["label"]: row for row in entry["bins"]}


def strict_json(result: dict) -> None:
    json.dumps(result, allow_nan=False)


@pytest.fixture(scope="module")
def islp_path(tmp_path_factory) -> Path:
    frame = pd.read_csv(DATA / "pd_default_islp.csv").rename(columns={"rating_grade": "rating"})
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).dt.date
    path = tmp_path_factory.mktemp("islp") / "islp.parquet"
    frame.to_parquet(path)
    return path


@pytest.fixture(scope="module")
def islp() -> pd.DataFrame:
    return pd.read_csv(DATA / "pd_default_islp.csv")


@pytest.fixture(scope="module")
def german_split(tmp_path_factory) -> tuple[Path, Path, pd.DataFrame, pd.DataFrame]:
    frame = pd.read_csv(DATA / "pd_germancredit.csv").rename(columns={"rating_grade": "rating"})
    folder = tmp_path_factory.mktemp("german")
    reference = frame[frame["period"] == "reference"].drop(columns=["snapshot_date", "period", "sample"])
    current = frame[frame["period"] == "current"].drop(columns=["snapshot_date", "period", "sample", "telephone"])
    reference.to_parquet(folder / "reference.parquet")
    current.to_parquet(folder / "current.parquet")
    return folder / "current.parquet", folder / "reference.parquet", current, reference


# --- numeric bins: quantiles, equal widths, special and missing values ---


def test_numeric_quantile_bins_match_hand(tmp_path):
    reference = [float(value) for value in range(1, 21)] + [None, -999.0, -999.0]
    current = [0.5, 2.0, 2.0, 5.0, 7.5, 11.0, 12.0, 18.0, 25.0, 30.0, None, None, -999.0]
    path = periods_file(tmp_path, {"x": reference}, {"x": current}, {"x": pa.float64()})

    result = analyze_stability(path, {"columns": ["x"], "n_bins": 4, "special_values": [-999]}, None)

    edges = hand_quantile_edges(reference, 4, (-999.0,))
    entry = result["columns"]["x"]
    expected_reference = hand_counts(reference, edges, (-999.0,))
    expected_current = hand_counts(current, edges, (-999.0,))
    assert entry["binning"]["edges"] == pytest.approx(edges, rel=1e-12)
    assert [row["reference_count"] for row in entry["bins"]] == expected_reference
    assert [row["current_count"] for row in entry["bins"]] == expected_current
    assert entry["bins"][-2]["label"] == "Special: -999"
    assert entry["bins"][-1]["label"] == "Missing"
    assert entry["statistic"] == pytest.approx(hand_psi(expected_reference, expected_current), rel=REL)
    assert entry["kind"] == "numeric"
    assert entry["index"] == "CSI"
    strict_json(result)


def test_numeric_cut_point_values_go_to_lower_bin(tmp_path):
    # Quartiles of 1..8 are 2.75, 4.5, 6.25; the current values sit exactly on them.
    reference = [float(value) for value in range(1, 9)]
    current = [2.75, 4.5, 6.25, 6.25]
    path = periods_file(tmp_path, {"x": reference}, {"x": current})

    entry = analyze_stability(path, {"columns": ["x"], "n_bins": 4}, None)["columns"]["x"]

    assert [row["current_count"] for row in entry["bins"]] == [1, 1, 2, 0, 0]
    assert entry["bins"][0]["label"] == "[-inf, 2.75]"


def test_equal_width_bins_match_hand(tmp_path):
    reference = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    current = [0.5, 0.5, 1.5, 9.9, 9.9, 9.9, 12.0, None]
    path = periods_file(tmp_path, {"x": reference}, {"x": current})

    entry = analyze_stability(path, {"columns": ["x"], "n_bins": 5, "method": "equal_width"}, None)["columns"]["x"]

    edges = [2.0, 4.0, 6.0, 8.0]
    assert entry["binning"]["edges"] == pytest.approx(edges, rel=1e-12)
    expected_reference = hand_counts(reference, edges)
    expected_current = hand_counts(current, edges)
    assert [row["current_count"] for row in entry["bins"]] == expected_current
    assert entry["statistic"] == pytest.approx(hand_psi(expected_reference, expected_current), rel=REL)


def test_special_values_per_column(tmp_path):
    reference = [1.0, 2.0, 3.0, 4.0, -1.0, -1.0]
    current = [1.0, 1.0, -1.0, 4.0, 4.0, 4.0]
    path = periods_file(tmp_path, {"x": reference, "y": reference}, {"x": current, "y": current})

    result = analyze_stability(path, {"columns": ["x", "y"], "n_bins": 2, "special_values": {"x": [-1]}}, None)

    x_labels = [row["label"] for row in result["columns"]["x"]["bins"]]
    y_labels = [row["label"] for row in result["columns"]["y"]["bins"]]
    assert "Special: -1" in x_labels
    assert "Special: -1" not in y_labels
    edges = hand_quantile_edges(reference, 2, (-1.0,))
    assert result["columns"]["x"]["statistic"] == pytest.approx(
        hand_psi(hand_counts(reference, edges, (-1.0,)), hand_counts(current, edges, (-1.0,))), rel=REL
    )


# --- the edge cases: empty bins, a grade with no obligors, a new level, an all-missing column ---


def test_empty_current_bin_floored_and_flagged(tmp_path):
    # Counts of the worked example: B1 holds 10 % of the reference and empties.
    reference = ["B1"] * 100 + ["B2"] * 200 + ["B3"] * 400 + ["B4"] * 200 + ["B5"] * 100
    current = ["B2"] * 150 + ["B3"] * 450 + ["B4"] * 250 + ["B5"] * 150
    path = periods_file(tmp_path, {"band": reference}, {"band": current})

    result = analyze_stability(path, {"columns": ["band"]}, None)

    entry = result["columns"]["band"]
    b1 = bins_by_label(entry)["B1"]
    expected = hand_psi([100, 200, 400, 200, 100, 0], [0, 150, 450, 250, 150, 0])
    assert entry["statistic"] == pytest.approx(expected, rel=REL)
    assert entry["statistic"] == pytest.approx(0.741788, abs=5e-7)
    assert b1["flags"] == ["empty in current"]
    assert b1["contribution"] == pytest.approx((FLOOR - 0.1) * math.log(FLOOR / 0.1), rel=REL)
    assert entry["status"] == "red"
    assert entry["band"] == "significant shift"
    assert "empty_bins" in entry["flags"]
    assert any("'B1'" in warning["message"] for warning in result["warnings"])
    strict_json(result)


def test_empty_numeric_bins_finite(tmp_path):
    reference = [float(value) for value in range(100)]
    current = [95.0, 96.0, 97.0, 98.0]
    path = periods_file(tmp_path, {"x": reference}, {"x": current})

    entry = analyze_stability(path, {"columns": ["x"], "floor": 1e-6}, None)["columns"]["x"]

    edges = hand_quantile_edges(reference, 10)
    expected = hand_psi(hand_counts(reference, edges), hand_counts(current, edges), floor=1e-6)
    assert entry["statistic"] == pytest.approx(expected, rel=REL)
    assert math.isfinite(entry["statistic"])
    empty = [row for row in entry["bins"][:-1] if row["flags"] == ["empty in current"]]
    assert len(empty) == 9
    assert entry["bins"][-1]["flags"] == ["empty in both periods"]
    assert entry["bins"][-1]["contribution"] == 0.0
    assert entry["floor"] == 1e-6


def test_grade_without_obligors_keeps_row(tmp_path):
    reference = ["1"] * 10 + ["2"] * 20 + ["3"] * 30 + ["5"] * 5
    current = ["1"] * 15 + ["2"] * 20 + ["3"] * 25
    path = periods_file(tmp_path, {"rating": reference}, {"rating": current})

    result = analyze_stability(path, {"columns": ["rating"], "grade_order": ["1", "2", "3", "4", "5"]}, None)

    entry = result["columns"]["rating"]
    assert [row["label"] for row in entry["bins"]] == ["1", "2", "3", "4", "5", "Missing"]
    assert entry["kind"] == "grade"
    assert entry["index"] == "PSI"
    grade_4, grade_5 = entry["bins"][3], entry["bins"][4]
    assert grade_4["flags"] == ["empty in both periods"]
    assert grade_4["contribution"] == 0.0
    assert grade_5["flags"] == ["empty in current"]
    assert entry["statistic"] == pytest.approx(hand_psi([10, 20, 30, 0, 5, 0], [15, 20, 25, 0, 0, 0]), rel=REL)
    assert "bins_empty_in_both_periods" in entry["flags"]
    strict_json(result)


def test_grades_in_master_scale_order(tmp_path):
    # Numeric grades stored as integers sort 1, 2, ..., 10, not as text.
    reference = [10, 2, 1, 2, 10, 3]
    current = [1, 1, 2, 3, 3, 10]
    path = periods_file(tmp_path, {"rating": reference}, {"rating": current})

    entry = analyze_stability(path, {"columns": ["rating"]}, None)["columns"]["rating"]

    assert [row["label"] for row in entry["bins"]] == ["1", "2", "3", "10", "Missing"]
    assert entry["statistic"] == pytest.approx(hand_psi([1, 2, 1, 2, 0], [2, 1, 2, 1, 0]), rel=REL)


def test_level_only_in_current_flagged(tmp_path):
    reference = ["A"] * 30 + ["B"] * 20
    current = ["A"] * 25 + ["B"] * 20 + ["C"] * 5
    path = periods_file(tmp_path, {"segment": reference}, {"segment": current})

    result = analyze_stability(path, {"columns": ["segment"]}, None)

    entry = result["columns"]["segment"]
    new_level = bins_by_label(entry)["C"]
    assert entry["unseen_levels"] == ["C"]
    assert new_level["flags"] == ["empty in reference", "unseen in reference"]
    assert new_level["contribution"] == pytest.approx((0.1 - FLOOR) * math.log(0.1 / FLOOR), rel=REL)
    assert entry["statistic"] == pytest.approx(hand_psi([30, 20, 0, 0], [25, 20, 5, 0]), rel=REL)
    assert "unseen_levels" in entry["flags"]
    assert any(warning["code"] == "unseen_levels" for warning in result["warnings"])


def test_all_missing_column_flagged(tmp_path):
    path = periods_file(
        tmp_path,
        {"empty": [None] * 4, "emptied": [1.0, 2.0, 3.0, 4.0], "text": [None] * 4},
        {"empty": [None] * 3, "emptied": [None] * 3, "text": [None] * 3},
        {"empty": pa.float64(), "emptied": pa.float64(), "text": pa.string()},
    )

    result = analyze_stability(path, {"columns": ["empty", "emptied", "text"], "n_bins": 2}, None)

    empty = result["columns"]["empty"]
    assert empty["statistic"] == 0.0
    assert [row["label"] for row in empty["bins"]] == ["[-inf, inf]", "Missing"]
    assert {"all_missing_reference", "all_missing_current"} <= set(empty["flags"])
    emptied = result["columns"]["emptied"]
    assert emptied["statistic"] == pytest.approx(hand_psi([2, 2, 0], [0, 0, 3]), rel=REL)
    assert "all_missing_current" in emptied["flags"]
    assert "empty_bins" in emptied["flags"]
    assert result["columns"]["text"]["statistic"] == 0.0
    assert "all_missing_reference" in result["columns"]["text"]["flags"]
    strict_json(result)


def test_too_many_levels_not_computed(tmp_path):
    reference = [f"id{index}" for index in range(60)]
    current = [f"id{index}" for index in range(60, 100)]
    path = periods_file(tmp_path, {"code": reference}, {"code": current})

    result = analyze_stability(path, {"columns": ["code"]}, None)

    entry = result["columns"]["code"]
    assert entry["statistic"] is None
    assert entry["status"] is None
    assert entry["reason_code"] == "too_many_levels"
    assert result["overall_status"] is None
    with_limit = analyze_stability(path, {"columns": ["code"], "max_levels": 100}, None)["columns"]["code"]
    assert with_limit["statistic"] == pytest.approx(hand_psi([1] * 60 + [0] * 40 + [0], [0] * 60 + [1] * 40 + [0]),
                                                    rel=REL)


def test_categorical_columns_option_bins_numbers_by_level(tmp_path):
    path = periods_file(tmp_path, {"term": [36, 36, 60, 36]}, {"term": [60, 60, 36, 60]})

    entry = analyze_stability(path, {"columns": ["term"], "categorical_columns": ["term"]}, None)["columns"]["term"]

    assert entry["kind"] == "categorical"
    assert [row["label"] for row in entry["bins"]] == ["36", "60", "Missing"]
    assert entry["statistic"] == pytest.approx(hand_psi([3, 1, 0], [1, 3, 0]), rel=REL)


# --- periods, trend and reference datasets ---


def test_trend_matches_hand_per_quarter(islp_path, islp):
    result = analyze_stability(islp_path, {"columns": ["balance", "student", "rating"]}, None)

    reference = islp[islp["snapshot_date"] == "2023-12-31"]
    edges = hand_quantile_edges(reference["balance"].tolist(), 10)
    quarters = ["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"]
    assert result["periods"]["reference"] == ["2023-12-31"]
    assert result["periods"]["current"] == ["2024-12-31"]
    assert [point["period"] for point in result["trend"]["balance"]] == quarters
    for point, quarter in zip(result["trend"]["balance"], quarters, strict=True):
        current = islp.loc[islp["snapshot_date"] == quarter, "balance"].tolist()
        expected = hand_psi(hand_counts(reference["balance"].tolist(), edges), hand_counts(current, edges))
        assert point["statistic"] == pytest.approx(expected, rel=REL)
        assert point["current_total"] == len(current)
    assert result["columns"]["balance"]["statistic"] == pytest.approx(result["trend"]["balance"][-1]["statistic"],
                                                                      rel=REL)
    for point, quarter in zip(result["trend"]["student"], quarters, strict=True):
        current = islp.loc[islp["snapshot_date"] == quarter, "student"]
        levels = ["No", "Yes"]
        expected = hand_psi([int((reference["student"] == level).sum()) for level in levels] + [0],
                            [int((current == level).sum()) for level in levels] + [0])
        assert point["statistic"] == pytest.approx(expected, rel=REL)
    grades = sorted(islp["rating_grade"].unique())
    latest = islp[islp["snapshot_date"] == "2024-12-31"]
    expected = hand_psi([int((reference["rating_grade"] == grade).sum()) for grade in grades] + [0],
                        [int((latest["rating_grade"] == grade).sum()) for grade in grades] + [0])
    assert result["columns"]["rating"]["statistic"] == pytest.approx(expected, rel=REL)
    strict_json(result)


def test_default_columns_skip_ids_and_outcomes(islp_path):
    result = analyze_stability(islp_path, {}, None)

    assert list(result["columns"]) == ["student", "balance", "income", "pd", "score", "rating"]
    assert result["columns"]["pd"]["index"] == "PSI"
    assert result["columns"]["score"]["index"] == "PSI"
    assert result["columns"]["income"]["index"] == "CSI"
    metrics = [status["metric"] for status in result["summary_statuses"]]
    assert "stability.psi[pd]" in metrics
    assert "stability.csi[balance]" in metrics


def test_period_lists_pool_rows(islp_path, islp):
    options = {"columns": ["pd"], "reference_period": ["2023-12-31", "2024-03-31"],
               "current_period": ["2024-09-30", "2024-12-31T00:00:00"]}

    result = analyze_stability(islp_path, options, None)

    reference = islp.loc[islp["snapshot_date"].isin(["2023-12-31", "2024-03-31"]), "pd"].tolist()
    current = islp.loc[islp["snapshot_date"].isin(["2024-09-30", "2024-12-31"]), "pd"].tolist()
    edges = hand_quantile_edges(reference, 10)
    expected = hand_psi(hand_counts(reference, edges), hand_counts(current, edges))
    assert result["columns"]["pd"]["statistic"] == pytest.approx(expected, rel=REL)
    assert result["periods"]["current"] == ["2024-09-30", "2024-12-31"]
    assert [point["period"] for point in result["trend"]["pd"]] == ["2024-06-30", "2024-09-30", "2024-12-31"]


def test_unknown_period_rejected(islp_path):
    with pytest.raises(ValidationError) as error:
        analyze_stability(islp_path, {"reference_period": "2022-12-31"}, None)

    assert error.value.code == "unknown_period"
    assert error.value.status == 422
    assert "2022-12-31" in error.value.message
    assert "2023-12-31" in error.value.details["available"]


def test_text_period_labels_pick_reference(tmp_path):
    path = write_parquet(tmp_path / "labels.parquet", {
        "period": ["reference"] * 4 + ["current"] * 4,
        "x": [1.0, 2.0, 3.0, 4.0, 3.0, 4.0, 4.0, 4.0],
    })

    result = analyze_stability(path, {"columns": ["x"], "n_bins": 2}, None)

    assert result["periods"]["reference"] == ["reference"]
    assert result["periods"]["current"] == ["current"]
    assert result["columns"]["x"]["statistic"] == pytest.approx(hand_psi([2, 2, 0], [0, 4, 0]), rel=REL)


def test_overlapping_periods_warned(islp_path):
    options = {"columns": ["pd"], "reference_period": ["2023-12-31", "2024-12-31"], "current_period": "2024-12-31"}

    result = analyze_stability(islp_path, options, None)

    assert any(warning["code"] == "periods_overlap" for warning in result["warnings"])


def test_single_period_without_reference_rejected(tmp_path):
    path = write_parquet(tmp_path / "one.parquet", {"snapshot_date": [JAN, JAN], "x": [1.0, 2.0]})

    with pytest.raises(ValidationError) as error:
        analyze_stability(path, {}, None)

    assert error.value.code == "no_reference"


def test_no_period_column_without_reference_rejected(tmp_path):
    path = write_parquet(tmp_path / "flat.parquet", {"x": [1.0, 2.0]})

    with pytest.raises(ValidationError) as error:
        analyze_stability(path, {}, None)

    assert error.value.code == "no_reference"


def test_reference_dataset_matches_hand(german_split):
    current_path, reference_path, current, reference = german_split

    result = analyze_stability(current_path, {}, None, reference_path=reference_path)

    assert "telephone" not in result["columns"]
    assert any(warning["code"] == "columns_not_shared" for warning in result["warnings"])
    assert result["trend"] == {}
    levels = reference["purpose"].value_counts()
    ordered = sorted(levels.index, key=lambda level: (-levels[level], level))
    new_levels = [level for level in current["purpose"].unique() if level not in levels.index]
    expected = hand_psi([int(levels[level]) for level in ordered] + [0] * len(new_levels) + [0],
                        [int((current["purpose"] == level).sum()) for level in ordered + new_levels] + [0])
    purpose = result["columns"]["purpose"]
    assert purpose["statistic"] == pytest.approx(expected, rel=REL)
    assert [row["label"] for row in purpose["bins"]][:len(ordered)] == ordered
    edges = hand_quantile_edges(reference["credit_amount"].tolist(), 10)
    expected = hand_psi(hand_counts(reference["credit_amount"].tolist(), edges),
                        hand_counts(current["credit_amount"].tolist(), edges))
    assert result["columns"]["credit_amount"]["statistic"] == pytest.approx(expected, rel=REL)
    assert result["counts"] == {"reference_rows": len(reference), "current_rows": len(current)}
    strict_json(result)


def test_columns_missing_in_reference_named(german_split):
    current_path, reference_path, _, _ = german_split

    with pytest.raises(ValidationError) as error:
        analyze_stability(current_path, {"columns": ["pd", "nonexistent"]}, None, reference_path=reference_path)

    assert error.value.code == "missing_column"
    assert error.value.details["missing"] == ["nonexistent"]
    assert "nonexistent" in error.value.message

    with pytest.raises(ValidationError) as error:
        analyze_stability(reference_path, {"columns": ["telephone"]}, None, reference_path=current_path)

    assert error.value.details["missing_in_reference"] == ["telephone"]


def test_thresholds_set_status(islp_path):
    result = analyze_stability(islp_path, {"columns": ["balance"]}, {"csi_threshold": 0.01, "csi_red_threshold": 0.02})

    entry = result["columns"]["balance"]
    assert entry["statistic"] > 0.02
    assert entry["status"] == "red"
    assert entry["band"] == "significant shift"
    assert result["overall_status"] == "red"


def test_options_reject_unknown_keys():
    with pytest.raises(Exception) as error:
        StabilityOptions.model_validate({"bins": 5})

    assert "bins" in str(error.value)


# --- invariants ---


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    reference=st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6), st.sampled_from([-999.0, 0.0])), min_size=1,
                       max_size=40),
    current=st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6), st.sampled_from([-999.0, 0.0])), min_size=1,
                     max_size=40),
    n_bins=st.integers(2, 12),
)
def test_numeric_index_finite_and_complete(tmp_path, reference, current, n_bins):
    path = periods_file(tmp_path, {"x": reference}, {"x": current}, {"x": pa.float64()})

    result = analyze_stability(path, {"columns": ["x"], "n_bins": n_bins, "special_values": [-999]}, None)

    entry = result["columns"]["x"]
    assert math.isfinite(entry["statistic"])
    assert entry["statistic"] >= 0
    assert sum(row["reference_count"] for row in entry["bins"]) == len(reference)
    assert sum(row["current_count"] for row in entry["bins"]) == len(current)
    edges = hand_quantile_edges(reference, n_bins, (-999.0,)) if any(
        value is not None and value != -999.0 for value in reference) else []
    expected = hand_psi(hand_counts(reference, edges, (-999.0,)), hand_counts(current, edges, (-999.0,)))
    assert entry["statistic"] == pytest.approx(expected, rel=REL, abs=1e-12)
    strict_json(result)
