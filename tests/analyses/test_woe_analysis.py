"""Tests of the WOE/IV analysis on Parquet files: hand computations, worked examples and optbinning.

WOE here is ln(%event / %non-event); optbinning's binning table shows the
opposite sign, so its WoE is negated before comparing.
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
from optbinning import OptimalBinning

from mmt.analyses.woe import WOEOptions, analyze_woe
from mmt.errors import ValidationError

DATA = Path(__file__).parents[2] / "data"
REL = 1e-9
ADJUSTMENT = 0.5


def hand_woe_iv(events: list[float], non_events: list[float], adjustment: float = ADJUSTMENT):
    """WOE per bin and IV with the math module: a zero count of a pure bin becomes ``adjustment``, totals kept."""
    total_events, total_non_events = sum(events), sum(non_events)
    woe, iv, iv_exact = [], 0.0, 0.0
    for bad, good in zip(events, non_events, strict=True):
        if bad + good == 0:
            woe.append(None)
            continue
        pure = bad == 0 or good == 0
        bad, good = bad or adjustment, good or adjustment
        value = math.log((bad / total_events) / (good / total_non_events))
        term = (bad / total_events - good / total_non_events) * value
        woe.append(value)
        iv += term
        iv_exact += 0.0 if pure else term
    return woe, iv, iv_exact


def hand_bin_counts(values, target, edges, closed="right", specials=()):
    """Events and non-events per interval bin, special bin and Missing bin, by plain loops."""
    size = len(edges) + 1 + len(specials) + 1
    events, non_events = [0] * size, [0] * size
    for value, flag in zip(values, target, strict=True):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            code = size - 1
        elif value in specials:
            code = len(edges) + 1 + specials.index(value)
        elif closed == "right":
            code = sum(1 for edge in edges if edge < value)
        else:
            code = sum(1 for edge in edges if edge <= value)
        if flag == 1:
            events[code] += 1
        else:
            non_events[code] += 1
    return events, non_events


def write_parquet(path: Path, columns: dict[str, list], types: dict[str, pa.DataType] | None = None) -> Path:
    types = types or {}
    pq.write_table(pa.table({name: pa.array(values, type=types.get(name)) for name, values in columns.items()}), path)
    return path


def strict_json(result: dict) -> None:
    json.dumps(result, allow_nan=False)


@pytest.fixture(scope="module")
def german() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "pd_germancredit.csv").rename(columns={"rating_grade": "rating"})
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).dt.date
    return frame


@pytest.fixture(scope="module")
def german_path(german, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("german") / "german.parquet"
    german.to_parquet(path)
    return path


@pytest.fixture(scope="module")
def german_with_gaps(german, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """German credit with missing values every 41st row and the special value -999 every 53rd row."""
    frame = german.copy()
    for column in ("duration_in_month", "credit_amount", "age_in_years"):
        values = frame[column].to_numpy(dtype=float).copy()
        values[::41] = np.nan
        values[::53] = -999.0
        frame[column] = values
    purpose = frame["purpose"].astype(object).to_numpy().copy()
    purpose[::37] = None
    frame["purpose"] = purpose
    path = tmp_path_factory.mktemp("gaps") / "gaps.parquet"
    frame.to_parquet(path)
    return path, frame


# --- worked examples: a pure bin and a separate Missing bin ---


def test_pure_bin_adjusted_and_flagged(tmp_path):
    # 50 rows x=5 with no events, 100 rows x=15 (10 events), 60 rows x=25 (10 events).
    values = [5.0] * 50 + [15.0] * 110 + [25.0] * 60
    target = [0] * 50 + [0] * 100 + [1] * 10 + [0] * 50 + [1] * 10
    path = write_parquet(tmp_path / "pure.parquet", {"x": values, "default_flag": target})

    result = analyze_woe(path, {"columns": ["x"], "cut_points": {"x": [10, 20]}, "closed": "left"})

    entry = result["columns"]["x"]
    woe, iv, iv_exact = hand_woe_iv([0, 10, 10, 0], [50, 100, 50, 0])
    assert [row["label"] for row in entry["bins"]] == ["[-inf, 10)", "[10, 20)", "[20, inf]", "Missing"]
    assert entry["bins"][0]["woe"] == pytest.approx(math.log((0.5 / 20) / (50 / 200)), rel=REL)
    assert entry["bins"][1]["woe"] == pytest.approx(0.0, abs=1e-15)
    assert entry["bins"][2]["woe"] == pytest.approx(math.log(2), rel=REL)
    assert [row["woe"] for row in entry["bins"][:3]] == pytest.approx(woe[:3], rel=REL)
    assert entry["iv_exact"] == pytest.approx(0.25 * math.log(2), rel=REL)
    assert entry["iv_exact"] == pytest.approx(0.173287, abs=5e-7)
    assert entry["iv"] == pytest.approx(iv, rel=REL)
    assert entry["bins"][0]["pure"] is True
    assert entry["bins"][0]["flags"] == ["pure: no events"]
    assert entry["pure_bins"] == ["[-inf, 10)"]
    assert "pure_bins" in entry["flags"]
    assert any(warning["code"] == "pure_bin" and "[-inf, 10)" in warning["message"] for warning in result["warnings"])
    assert "0.5" in result["pure_bin_rule"]
    strict_json(result)


def test_missing_values_get_own_bin(tmp_path):
    values = [None] * 40 + [2.0] * 60 + [10.0] * 100 + [30.0] * 100
    target = [1] * 20 + [0] * 20 + [1] * 6 + [0] * 54 + [1] * 5 + [0] * 95 + [1] * 2 + [0] * 98
    path = write_parquet(tmp_path / "missing.parquet", {"months_on_book": values, "default_flag": target},
                         {"months_on_book": pa.float64()})

    entry = analyze_woe(path, {"columns": ["months_on_book"], "method": "user",
                               "cut_points": {"months_on_book": [5, 17]}})["columns"]["months_on_book"]

    events, non_events = [6, 5, 2, 20], [54, 95, 98, 20]
    woe, iv, _ = hand_woe_iv(events, non_events)
    assert [row["label"] for row in entry["bins"]] == ["[-inf, 5]", "(5, 17]", "(17, inf]", "Missing"]
    assert [row["count"] for row in entry["bins"]] == [60, 100, 100, 40]
    assert [row["woe"] for row in entry["bins"]] == pytest.approx(woe, rel=REL)
    assert [row["woe"] for row in entry["bins"]] == pytest.approx([-0.106483, -0.853698, -1.801079, 2.090741],
                                                                  abs=5e-7)
    assert entry["iv"] == pytest.approx(iv, rel=REL)
    assert entry["iv"] == pytest.approx(1.838997, abs=5e-7)
    assert entry["strength"] == "suspicious"
    assert entry["status"] == "amber"


# --- quantile, equal-width and level bins on the German credit data ---


@pytest.mark.parametrize("column", ["duration_in_month", "credit_amount", "age_in_years"])
def test_quantile_bins_match_hand(german_path, german, column):
    result = analyze_woe(german_path, {"columns": [column], "n_bins": 5})

    values = german[column].astype(float).tolist()
    target = german["default_flag"].tolist()
    edges = np.unique(np.quantile(values, np.arange(1, 5) / 5)).tolist()
    events, non_events = hand_bin_counts(values, target, edges)
    woe, iv, _ = hand_woe_iv(events, non_events)
    entry = result["columns"][column]
    assert entry["binning"]["edges"] == pytest.approx(edges, rel=1e-12)
    assert [row["events"] for row in entry["bins"]] == events
    assert [row["non_events"] for row in entry["bins"]] == non_events
    assert [row["woe"] for row in entry["bins"][:-1]] == pytest.approx(woe[:-1], rel=REL)
    assert entry["bins"][-1]["woe"] is None
    assert entry["iv"] == pytest.approx(iv, rel=REL)
    assert [row["event_rate"] for row in entry["bins"][:-1]] == pytest.approx(
        [bad / (bad + good) for bad, good in zip(events[:-1], non_events[:-1], strict=True)], rel=REL)


def test_equal_width_left_closed_bins_match_hand(german_path, german):
    entry = analyze_woe(german_path, {"columns": ["duration_in_month"], "method": "equal_width", "n_bins": 4,
                                      "closed": "left"})["columns"]["duration_in_month"]

    values = german["duration_in_month"].astype(float).tolist()
    low, high = min(values), max(values)
    edges = [low + (high - low) * step / 4 for step in (1, 2, 3)]
    events, non_events = hand_bin_counts(values, german["default_flag"].tolist(), edges, closed="left")
    _, iv, _ = hand_woe_iv(events, non_events)
    assert entry["binning"]["edges"] == pytest.approx(edges, rel=1e-12)
    assert entry["binning"]["closed"] == "left"
    assert [row["count"] for row in entry["bins"]] == [bad + good for bad, good in zip(events, non_events)]
    assert entry["iv"] == pytest.approx(iv, rel=REL)


def test_categorical_iv_matches_hand_and_published_value(german_path, german):
    result = analyze_woe(german_path, {"columns": ["status_of_existing_checking_account", "purpose"]})

    column = "status_of_existing_checking_account"
    entry = result["columns"][column]
    counts = german.groupby(column)["default_flag"].agg(["sum", "count"])
    levels = sorted(counts.index, key=lambda level: (-counts.loc[level, "count"], level))
    events = [int(counts.loc[level, "sum"]) for level in levels] + [0]
    non_events = [int(counts.loc[level, "count"] - counts.loc[level, "sum"]) for level in levels] + [0]
    woe, iv, _ = hand_woe_iv(events, non_events)
    assert [row["label"] for row in entry["bins"]] == [*levels, "Missing"]
    assert [row["woe"] for row in entry["bins"][:-1]] == pytest.approx(woe[:-1], rel=REL)
    assert entry["iv"] == pytest.approx(iv, rel=REL)
    # meliora's calc_iv reports 0.6660115034 for this column of the German credit data.
    assert entry["iv"] == pytest.approx(0.6660115034, abs=1e-9)
    assert result["ranking"][0]["column"] == column
    assert result["summary_statuses"][0] == {"metric": f"woe.iv[{column}]", "value": entry["iv"],
                                             "status": "amber", "band": "suspicious"}
    assert result["summary_statuses"][1]["status"] is None


def test_special_values_get_own_bins(german_with_gaps):
    path, frame = german_with_gaps

    entry = analyze_woe(path, {"columns": ["credit_amount"], "n_bins": 4,
                               "special_values": {"credit_amount": [-999]}})["columns"]["credit_amount"]

    values = frame["credit_amount"].tolist()
    regular = [value for value in values if not math.isnan(value) and value != -999.0]
    edges = np.unique(np.quantile(regular, [0.25, 0.5, 0.75])).tolist()
    events, non_events = hand_bin_counts(values, frame["default_flag"].tolist(), edges, specials=(-999.0,))
    _, iv, _ = hand_woe_iv(events, non_events)
    assert entry["binning"]["edges"] == pytest.approx(edges, rel=1e-12)
    assert [row["label"] for row in entry["bins"]][-2:] == ["Special: -999", "Missing"]
    assert entry["bins"][-2]["count"] == sum(1 for value in values if value == -999.0)
    assert entry["bins"][-1]["count"] == sum(1 for value in values if math.isnan(value))
    assert entry["iv"] == pytest.approx(iv, rel=REL)


# --- optimal bins against optbinning's own binning table ---


def assert_matches_binning_table(entry: dict, binning: OptimalBinning, *, skip_special_row: bool) -> None:
    table = binning.binning_table.build(add_totals=False)
    if skip_special_row:
        table = table[table["Bin"].astype(str) != "Special"]
    assert len(table) == len(entry["bins"])
    for row, (_, expected) in zip(entry["bins"], table.iterrows(), strict=True):
        assert row["count"] == expected["Count"]
        assert row["events"] == expected["Event"]
        assert row["non_events"] == expected["Non-event"]
        if row["count"] == 0:
            assert row["woe"] is None
            assert row["iv_bin"] == 0.0
            continue
        assert row["event_rate"] == pytest.approx(expected["Event rate"], rel=REL)
        if row["pure"]:
            # optbinning shows WoE 0 for a pure special or Missing bin; ours is adjusted and flagged.
            assert expected["WoE"] == 0.0
            continue
        assert row["woe"] == pytest.approx(-expected["WoE"], rel=REL, abs=1e-12)
        assert row["iv_bin"] == pytest.approx(expected["IV"], rel=REL, abs=1e-15)


@pytest.mark.parametrize("column", ["duration_in_month", "credit_amount", "age_in_years"])
@pytest.mark.parametrize("trend", ["auto", "ascending", None])
def test_optimal_numeric_matches_optbinning(german_with_gaps, column, trend):
    path, frame = german_with_gaps

    options = {"columns": [column], "method": "optimal", "monotonic_trend": trend, "special_values": [-999]}
    entry = analyze_woe(path, options)["columns"][column]

    binning = OptimalBinning(name=column, dtype="numerical", monotonic_trend=trend, special_codes={"-999": [-999.0]})
    binning.fit(frame[column].to_numpy(dtype=float), frame["default_flag"].to_numpy())
    assert entry["binning"]["edges"] == pytest.approx(list(binning.splits), rel=REL)
    assert entry["binning"]["closed"] == "left"
    assert entry["method"] == "optimal"
    assert_matches_binning_table(entry, binning, skip_special_row=False)
    if not any(row["pure"] for row in entry["bins"]):
        assert entry["iv"] == pytest.approx(binning.binning_table.iv, rel=REL)
    if trend == "ascending":
        # optbinning's trend is on the event rate, so the WOE rises too.
        assert entry["woe_trend"] == "ascending"


def test_optimal_max_bins_passed_to_optbinning(german_path, german):
    entry = analyze_woe(german_path, {"columns": ["credit_amount"], "method": "optimal",
                                      "max_n_bins": 3})["columns"]["credit_amount"]

    binning = OptimalBinning(name="credit_amount", max_n_bins=3)
    binning.fit(german["credit_amount"].to_numpy(dtype=float), german["default_flag"].to_numpy())
    assert len(entry["binning"]["edges"]) <= 2
    assert entry["binning"]["edges"] == pytest.approx(list(binning.splits), rel=REL)
    assert_matches_binning_table(entry, binning, skip_special_row=True)


@pytest.mark.parametrize("column", ["purpose", "status_of_existing_checking_account", "credit_history"])
def test_optimal_categorical_matches_optbinning(german_with_gaps, column):
    path, frame = german_with_gaps

    entry = analyze_woe(path, {"columns": [column], "method": "optimal"})["columns"][column]

    binning = OptimalBinning(name=column, dtype="categorical")
    binning.fit(frame[column].astype(object).to_numpy(), frame["default_flag"].to_numpy())
    groups = [sorted(np.asarray(group, dtype=object).tolist()) for group in binning.splits]
    assert [sorted(group) for group in entry["binning"]["groups"]] == groups
    assert entry["kind"] == "categorical"
    assert_matches_binning_table(entry, binning, skip_special_row=True)


# --- the edge cases: all missing, a grade with no obligors, no events, bad targets ---


def test_all_missing_column_flagged(tmp_path):
    path = write_parquet(tmp_path / "void.parquet", {
        "void": [None] * 6, "label": [None] * 6, "default_flag": [1, 0, 0, 1, 0, 0],
    }, {"void": pa.float64(), "label": pa.string()})

    for method in ("quantile", "optimal"):
        result = analyze_woe(path, {"columns": ["void", "label"], "method": method})
        for column in ("void", "label"):
            entry = result["columns"][column]
            assert entry["iv"] == 0.0
            assert entry["bins"][-1]["label"] == "Missing"
            assert entry["bins"][-1]["count"] == 6
            assert entry["bins"][-1]["woe"] == 0.0
            assert "all_missing" in entry["flags"]
        strict_json(result)


def test_grade_without_obligors_is_empty_bin(tmp_path):
    path = write_parquet(tmp_path / "grades.parquet", {
        "rating": ["A"] * 4 + ["B"] * 4 + ["D"] * 4,
        "default_flag": [0, 0, 0, 1] + [0, 0, 1, 1] + [0, 1, 1, 1],
    })

    entry = analyze_woe(path, {"columns": ["rating"], "grade_order": ["A", "B", "C", "D"]})["columns"]["rating"]

    assert [row["label"] for row in entry["bins"]] == ["A", "B", "C", "D", "Missing"]
    grade_c = entry["bins"][2]
    assert grade_c["count"] == 0
    assert grade_c["woe"] is None
    assert grade_c["iv_bin"] == 0.0
    assert grade_c["flags"] == ["empty"]
    assert "empty_bins" in entry["flags"]
    _, iv, _ = hand_woe_iv([1, 2, 0, 3, 0], [3, 2, 0, 1, 0])
    assert entry["iv"] == pytest.approx(iv, rel=REL)


def test_no_events_gives_null_iv(tmp_path):
    path = write_parquet(tmp_path / "none.parquet", {"x": [1.0, 2.0, 3.0], "default_flag": [0, 0, 0]})

    result = analyze_woe(path, {"columns": ["x"]})

    entry = result["columns"]["x"]
    assert entry["iv"] is None
    assert entry["reason_code"] == "insufficient_classes"
    assert any(warning["code"] == "insufficient_classes" for warning in result["warnings"])
    assert result["summary_statuses"][0]["value"] is None
    strict_json(result)


def test_missing_target_rows_left_out(tmp_path):
    path = write_parquet(tmp_path / "gaps.parquet", {
        "x": [1.0, 2.0, 3.0, 4.0, 5.0], "default_flag": [0, 1, None, 0, 1],
    }, {"default_flag": pa.int64()})

    result = analyze_woe(path, {"columns": ["x"], "cut_points": {"x": [2.5]}})

    assert result["counts"]["rows_without_target"] == 1
    assert result["counts"]["rows_used"] == 4
    entry = result["columns"]["x"]
    assert [row["count"] for row in entry["bins"]] == [2, 2, 0]
    assert any(warning["code"] == "rows_excluded" for warning in result["warnings"])


@pytest.mark.parametrize("flags", [[0, 1, 2], ["no", "yes", "no"]])
def test_invalid_target_rejected(tmp_path, flags):
    path = write_parquet(tmp_path / "bad.parquet", {"x": [1.0, 2.0, 3.0], "default_flag": flags})

    with pytest.raises(ValidationError) as error:
        analyze_woe(path, {"columns": ["x"]})

    assert error.value.code == "invalid_target"
    assert error.value.status == 422


def test_pooled_levels_beyond_max_levels(tmp_path):
    levels = ["A"] * 6 + ["B"] * 5 + ["C"] * 3 + ["D"] * 2
    target = [1, 0, 0, 0, 0, 0] + [1, 1, 0, 0, 0] + [0, 1, 0] + [1, 0]
    path = write_parquet(tmp_path / "many.parquet", {"code": levels, "default_flag": target})

    entry = analyze_woe(path, {"columns": ["code"], "max_levels": 2})["columns"]["code"]

    assert [row["label"] for row in entry["bins"]] == ["A", "B", "Other (2 levels)", "Missing"]
    _, iv, _ = hand_woe_iv([1, 2, 2, 0], [5, 3, 3, 0])
    assert entry["iv"] == pytest.approx(iv, rel=REL)
    assert "pooled_levels" in entry["flags"]


# --- options, periods and the response shape ---


def test_periods_filter_rows(german_path, german):
    result = analyze_woe(german_path, {"columns": ["purpose"], "periods": "2023-12-31"})

    rows = german[german["snapshot_date"] == dt.date(2023, 12, 31)]
    assert result["counts"]["rows_used"] == len(rows)
    assert result["columns"]["purpose"]["total_count"] == len(rows)
    assert result["parameters"]["periods"] == ["2023-12-31"]


def test_default_columns_are_features(german_path):
    result = analyze_woe(german_path, {})

    columns = set(result["columns"])
    assert {"pd", "score", "rating", "default_flag", "obligor_id", "snapshot_date", "sample", "period"}.isdisjoint(
        columns)
    assert "purpose" in columns
    assert "credit_amount" in columns
    ivs = [item["iv"] for item in result["ranking"]]
    assert ivs == sorted(ivs, reverse=True)
    strict_json(result)


def test_chart_data_follows_bins(german_path):
    entry = analyze_woe(german_path, {"columns": ["age_in_years"], "n_bins": 4})["columns"]["age_in_years"]

    assert entry["chart"]["x"] == [row["label"] for row in entry["bins"]]
    assert entry["chart"]["y"] == [row["woe"] for row in entry["bins"]]
    assert entry["woe_convention"].startswith("ln(%event / %non-event)")


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"columns": ["nope"]}, "missing_column"),
        ({"target": "nope"}, "missing_column"),
        ({"columns": ["purpose"], "cut_points": {"purpose": [1.0]}}, "invalid_cut_points"),
        ({"columns": ["age_in_years", "duration_in_month"], "method": "user",
          "cut_points": {"age_in_years": [30]}}, "invalid_cut_points"),
        ({"columns": ["age_in_years"], "cut_points": {"credit_amount": [1000]}}, "unknown_column"),
        ({"columns": ["default_flag"]}, "invalid_option"),
        ({"periods": "1999-12-31"}, "unknown_period"),
    ],
)
def test_bad_options_rejected(german_path, options, code):
    with pytest.raises(ValidationError) as error:
        analyze_woe(german_path, options)

    assert error.value.code == code


def test_options_reject_bad_values():
    for options in ({"adjustment": 0}, {"n_bins": 1}, {"monotonic_trend": "up"}, {"method": "tree"}):
        with pytest.raises(Exception):
            WOEOptions.model_validate(options)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(st.one_of(st.none(), st.floats(-1e6, 1e6)), st.integers(0, 1)), min_size=2, max_size=60),
    n_bins=st.integers(2, 10),
)
def test_iv_finite_and_counts_complete(tmp_path, rows, n_bins):
    values = [value for value, _ in rows]
    target = [flag for _, flag in rows]
    path = write_parquet(tmp_path / "random.parquet", {"x": values, "default_flag": target}, {"x": pa.float64()})

    result = analyze_woe(path, {"columns": ["x"], "n_bins": n_bins})

    entry = result["columns"]["x"]
    strict_json(result)
    if 0 < sum(target) < len(target):
        assert math.isfinite(entry["iv"])
        assert entry["iv"] >= 0
        assert entry["iv_exact"] <= entry["iv"] + 1e-12
        assert sum(row["count"] for row in entry["bins"]) == len(rows)
    else:
        assert entry["iv"] is None
