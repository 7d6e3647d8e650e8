"""Quantiles and bin counts of numeric columns against NumPy and pandas, computed in the test.

The quantiles must equal ``numpy.quantile`` to the last bit: DuckDB's
``quantile_cont`` interpolates with other floating-point steps and differs in
the last bits of some quantiles. Bin counts are checked against ``pandas.cut``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mmt.analyses.bin_counts as bin_counts
from mmt.analyses.stability import analyze_stability
from mmt.engine.base import Selection
from mmt.stats.binning import BinningSpec

DECILES = [index / 10 for index in range(1, 10)]


def _write(path, columns: dict) -> Selection:
    pq.write_table(pa.table(columns), path)
    return Selection(path)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=300),
       st.integers(min_value=0, max_value=5))
def test_quantiles_equal_numpy_bitwise(tmp_path_factory, values, decimals):
    rounded = np.round(np.asarray(values), decimals)
    selection = _write(tmp_path_factory.mktemp("quantiles") / "values.parquet", {"x": rounded})
    found = bin_counts.numeric_quantiles(selection, "x", DECILES)
    expected = np.unique(np.quantile(rounded, DECILES))
    assert found.tolist() == expected.tolist()


def test_quantiles_skip_missing_and_specials(tmp_path):
    values = pa.array([1.0, None, 2.0, float("nan"), -999.0, float("inf"), 3.0, 4.0], pa.float64())
    selection = _write(tmp_path / "values.parquet", {"x": values})
    found = bin_counts.numeric_quantiles(selection, "x", [0.25, 0.5], special_values=(-999.0,))
    assert found.tolist() == np.quantile([1.0, 2.0, 3.0, 4.0], [0.25, 0.5]).tolist()
    assert bin_counts.numeric_quantiles(selection, "x", []).size == 0


@pytest.mark.parametrize("closed", ["right", "left"])
def test_period_bin_counts_equal_pandas(tmp_path, closed):
    rng = np.random.default_rng(3)
    rows = 3_000
    values = np.round(rng.normal(size=rows), 1)
    values[::17] = -999.0
    missing = rng.random(rows) < 0.05
    flag = rng.choice([0, 1, 2], rows, p=[0.7, 0.25, 0.05]).astype(float)
    flag[::23] = np.nan
    periods = np.array([dt.date(2024, 3, 31), dt.date(2024, 6, 30)], dtype=object)[rng.integers(0, 2, rows)]
    periods[::31] = None
    selection = _write(tmp_path / "rows.parquet", {
        "x": pa.array(values, mask=missing),
        "flag": pa.array(flag, mask=np.isnan(flag)),
        "period": pa.array(periods.tolist(), pa.date32()),
    })
    edges = (-1.0, 0.0, 0.5)
    binning = BinningSpec(kind="numeric", method="quantile", edges=edges, closed=closed, special_values=(-999.0,))
    found = bin_counts.binned_counts(selection, "x", binning, flag="flag", group_by="period")

    frame = pd.DataFrame({"x": np.where(missing, np.nan, values), "flag": flag, "period": periods})
    # Intervals, then the special value, then Missing, as BinningSpec numbers them.
    codes = pd.cut(frame["x"], [-np.inf, *edges, np.inf], right=closed == "right", labels=False)
    codes = codes.where(frame["x"] != -999.0, 4).fillna(5).astype(int)
    assert set(found) == {dt.date(2024, 3, 31), dt.date(2024, 6, 30), None}
    for period, counts in found.items():
        chosen = frame["period"].isna() if period is None else frame["period"] == period
        observed = np.bincount(codes[chosen], minlength=6)
        events = np.bincount(codes[chosen & (frame["flag"] == 1)], minlength=6)
        non_events = np.bincount(codes[chosen & (frame["flag"] == 0)], minlength=6)
        assert counts["observations"].tolist() == observed.tolist()
        assert counts["events"].tolist() == events.tolist()
        assert counts["non_events"].tolist() == non_events.tolist()


def test_bin_counts_without_rows(tmp_path):
    selection = _write(tmp_path / "rows.parquet", {"x": pa.array([1.0, 2.0]), "period": pa.array(["a", "b"])})
    binning = BinningSpec(kind="numeric", method="quantile", edges=(1.5,))
    assert bin_counts.binned_counts(selection.with_filter("period", ("c",)), "x", binning) == {}


def test_batched_bins_equal_single_column(tmp_path, monkeypatch):
    monkeypatch.setattr(bin_counts, "FETCH_VALUES", 40)  # ten columns of twenty rows: two columns per read
    rng = np.random.default_rng(8)
    columns = {f"x{index}": np.round(rng.normal(size=20), 1) for index in range(10)}
    columns["period"] = np.array(["2023", "2024"])[rng.integers(0, 2, 20)]
    selection = _write(tmp_path / "rows.parquet", columns)
    requests = [(f"x{index}", BinningSpec(kind="numeric", method="quantile", edges=(-0.5, 0.5)))
                for index in range(10)]
    single = {column: bin_counts.binned_counts(selection, column, spec, group_by="period")
              for column, spec in requests}
    with bin_counts.prefetched():
        bin_counts.prefetch_binned_counts(selection, requests, group_by="period")
        batched = {column: bin_counts.binned_counts(selection, column, spec, group_by="period")
                   for column, spec in requests}
    for column, _ in requests:
        assert {period: counts["observations"].tolist() for period, counts in batched[column].items()} == \
            {period: counts["observations"].tolist() for period, counts in single[column].items()}


def test_stability_edges_equal_numpy(tmp_path):
    rng = np.random.default_rng(21)
    rows = 4_000
    columns = {f"x{index}": np.round(rng.normal(index, 3.0, rows), 4) for index in range(6)}
    columns["snapshot_date"] = np.array(["2023-12-31", "2024-12-31"], dtype="datetime64[D]")[rng.integers(0, 2, rows)]
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table(columns), path)
    result = analyze_stability(path, {"n_bins": 10}, None)
    reference = columns["snapshot_date"] == np.datetime64("2023-12-31")
    for index in range(6):
        expected = np.unique(np.quantile(columns[f"x{index}"][reference], DECILES)).tolist()
        assert result["columns"][f"x{index}"]["binning"]["edges"] == expected
