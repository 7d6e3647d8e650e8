"""The closed side of WOE bins recorded in the parameters of the result, for every binning method."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mmt.analyses.woe import analyze_woe

DATA = Path(__file__).parents[2] / "data"
NUMERIC = ("duration_in_month", "credit_amount")


@pytest.fixture(scope="module")
def german_path(tmp_path_factory) -> Path:
    frame = pd.read_csv(DATA / "pd_germancredit.csv")
    path = tmp_path_factory.mktemp("german") / "german.parquet"
    frame.to_parquet(path)
    return path


@pytest.mark.parametrize("closed", [None, "right", "left"])
def test_optimal_bins_recorded_left_closed(german_path, closed):
    options = {"columns": [*NUMERIC, "purpose"], "method": "optimal"}
    if closed is not None:
        options["closed"] = closed
    results = analyze_woe(german_path, options)

    assert results["parameters"]["closed"] == "left"
    for column in NUMERIC:
        binning = results["columns"][column]["binning"]
        assert binning["closed"] == "left"
        # Interior interval bins of optbinning read [a, b).
        assert binning["labels"][1].startswith("[")
        assert binning["labels"][1].endswith(")")


def test_mixed_sides_recorded_per_column(tmp_path):
    x = list(range(1, 21))
    frame = pd.DataFrame({"x": x, "y": [value * 1.5 for value in x], "default_flag": [value % 3 == 0 for value in x]})
    frame["default_flag"] = frame["default_flag"].astype(int)
    path = tmp_path / "mixed.parquet"
    frame.to_parquet(path)

    results = analyze_woe(path, {"method": "optimal", "cut_points": {"x": [10]}, "columns": ["x", "y"]})

    assert results["parameters"]["closed"] == "mixed"
    assert results["parameters"]["closed_by_column"] == {"x": "right", "y": "left"}
    # Neither user cut points nor optimal bins take n_bins.
    assert results["parameters"]["n_bins"] is None
    bins = results["columns"]["x"]["bins"]
    # Right-closed at 10: values 1 to 10 fall in the first bin, among them the events 3, 6 and 9.
    assert bins[0]["label"] == "[-inf, 10]"
    assert bins[0]["count"] == 10
    assert bins[0]["events"] == 3
    assert bins[1]["count"] == 10
    assert bins[1]["events"] == 3


@pytest.mark.parametrize(("closed", "expected"), [(None, "right"), ("right", "right"), ("left", "left")])
def test_quantile_bins_record_option(german_path, closed, expected):
    options = {"columns": list(NUMERIC), "n_bins": 4}
    if closed is not None:
        options["closed"] = closed
    results = analyze_woe(german_path, options)

    assert results["parameters"]["closed"] == expected
    assert results["parameters"]["closed_by_column"] == {column: expected for column in NUMERIC}
    assert results["parameters"]["n_bins"] == 4
    for column in NUMERIC:
        assert results["columns"][column]["binning"]["closed"] == expected


def test_optimal_run_records_no_n_bins(german_path):
    results = analyze_woe(german_path, {"columns": list(NUMERIC), "method": "optimal", "n_bins": 4})

    assert results["parameters"]["n_bins"] is None
    assert results["parameters"]["closed"] == "left"


def test_quantile_beside_cut_points_uses_n_bins(german_path):
    options = {"columns": list(NUMERIC), "cut_points": {NUMERIC[0]: [12, 24]}, "n_bins": 4}

    results = analyze_woe(german_path, options)

    assert results["columns"][NUMERIC[0]]["binning"]["method"] == "user"
    assert results["columns"][NUMERIC[1]]["binning"]["method"] == "quantile"
    assert results["parameters"]["n_bins"] == 4


def test_categorical_only_run_records_no_n_bins(german_path):
    results = analyze_woe(german_path, {"columns": ["purpose"], "n_bins": 4})

    assert results["parameters"]["n_bins"] is None
    assert results["parameters"]["closed_by_column"] == {}
