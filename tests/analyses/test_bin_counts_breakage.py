"""Bin counts and quantiles of numeric columns with odd period types, column names and Arrow batches.

Counts are checked against pandas and cut points against ``numpy.quantile``,
both computed in the test.
"""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import mmt.analyses.bin_counts as bin_counts
from mmt.analyses.stability import analyze_stability
from mmt.engine.base import Selection
from mmt.stats.binning import BinningSpec

DECILES = [index / 10 for index in range(1, 10)]


def _write(path, columns: dict) -> Selection:
    pq.write_table(pa.table(columns), path)
    return Selection(path)


def _expected_codes(values: np.ndarray, edges: tuple[float, ...], specials: tuple[float, ...],
                    closed: str = "right") -> np.ndarray:
    """Return BinningSpec codes computed with pandas: intervals, then special values, then Missing."""
    series = pd.Series(values)
    bounds = [-np.inf, *edges, np.inf]
    codes = pd.cut(series, bounds, right=closed == "right", labels=False, include_lowest=True).astype(float)
    codes[series == np.inf] = len(edges)
    intervals = len(edges) + 1
    for offset, special in enumerate(specials):
        codes[series == special] = intervals + offset
    codes[series.isna()] = intervals + len(specials)
    return codes.astype(int).to_numpy()


def test_uuid_period_groups_equal_distinct_values(tmp_path):
    labels = [uuid.UUID(int=index + 1) for index in range(3)]
    rng = np.random.default_rng(1)
    positions = rng.integers(0, 3, 300)
    storage = pa.array([labels[index].bytes for index in positions], pa.binary(16))
    selection = _write(tmp_path / "rows.parquet", {
        "x": rng.normal(size=300),
        "period": pa.ExtensionArray.from_storage(pa.uuid(), storage),
    })
    periods, _ = bin_counts.distinct_values(selection, "period")
    binning = BinningSpec(kind="numeric", method="quantile", edges=(0.0,))
    found = bin_counts.binned_counts(selection, "x", binning, group_by="period")
    assert sorted(found, key=str) == sorted(periods, key=str)
    for period in periods:
        expected = int(np.sum(positions == labels.index(period)))
        assert found[period]["observations"].sum() == expected


def test_uuid_period_stability_counts(tmp_path):
    labels = [uuid.UUID(int=index + 1) for index in range(3)]
    rng = np.random.default_rng(2)
    positions = rng.integers(0, 3, 600)
    values = np.round(rng.normal(size=600), 2)
    path = tmp_path / "rows.parquet"
    storage = pa.array([labels[index].bytes for index in positions], pa.binary(16))
    pq.write_table(pa.table({
        "x": values,
        "period": pa.ExtensionArray.from_storage(pa.uuid(), storage),
    }), path)
    result = analyze_stability(path, {"period_column": "period", "columns": ["x"]}, None)
    column = result["columns"]["x"]
    reference = values[positions == 0]
    current = values[positions == 2]
    edges = tuple(np.unique(np.quantile(reference, DECILES)).tolist())
    assert column["binning"]["edges"] == list(edges)
    size = len(edges) + 2
    expected_reference = np.bincount(_expected_codes(reference, edges, ()), minlength=size)
    expected_current = np.bincount(_expected_codes(current, edges, ()), minlength=size)
    assert [row["reference_count"] for row in column["bins"]] == expected_reference.tolist()
    assert [row["current_count"] for row in column["bins"]] == expected_current.tolist()


def test_nanosecond_periods_trend_with_reference_dataset(tmp_path):
    rng = np.random.default_rng(3)
    # The first two periods differ only in the nanoseconds, which DuckDB's Python datetimes would drop.
    stamps = np.array([1_700_000_000_000_000_001, 1_700_000_000_000_000_002, 1_710_000_000_000_000_000])
    positions = rng.integers(0, 3, 900)
    current_path = tmp_path / "current.parquet"
    reference_path = tmp_path / "reference.parquet"
    pq.write_table(pa.table({
        "x": rng.normal(size=900),
        "period": pa.array(stamps[positions], pa.timestamp("ns")),
    }), current_path)
    pq.write_table(pa.table({"x": rng.normal(size=400)}), reference_path)
    result = analyze_stability(current_path, {"period_column": "period", "columns": ["x"]}, None,
                               reference_path=reference_path)
    totals = {point["period"]: point["current_total"] for point in result["trend"]["x"]}
    assert totals == {
        "2023-11-14T22:13:20.000000001": float(np.sum(positions == 0)),
        "2023-11-14T22:13:20.000000002": float(np.sum(positions == 1)),
        "2024-03-09T16:00:00": float(np.sum(positions == 2)),
    }


def test_counts_across_batches_equal_pandas(tmp_path, monkeypatch):
    monkeypatch.setattr(bin_counts, "BATCH_ROWS", 1)
    monkeypatch.setattr(bin_counts, "BATCH_VALUES", 50)  # a few hundred rows per batch over the columns read
    rng = np.random.default_rng(4)
    rows = 5_000
    values = np.round(rng.normal(size=rows), 1)
    values[::13] = -999.0
    values[::29] = np.inf
    values[::31] = -np.inf
    missing = rng.random(rows) < 0.05
    flag = rng.choice([0.0, 1.0, 2.0], rows, p=[0.6, 0.35, 0.05])
    flag[::17] = np.nan
    periods = np.array(["2023", "2024", "2025"], dtype=object)[rng.integers(0, 3, rows)]
    periods[::37] = None
    # Column names that match the aliases of the read.
    selection = _write(tmp_path / "rows.parquet", {
        "value": pa.array(values, mask=missing),
        "code": rng.normal(size=rows),
        "outcome": pa.array(flag, mask=np.isnan(flag)),
        "mmt_groups": pa.array(periods.tolist(), pa.string()),
    })
    edges = (-1.0, 0.0, 0.5)
    binning = BinningSpec(kind="numeric", method="quantile", edges=edges, closed="left", special_values=(-999.0,))
    other = BinningSpec(kind="numeric", method="quantile", edges=(0.0,))
    with bin_counts.prefetched():
        bin_counts.prefetch_binned_counts(selection, [("value", binning), ("code", other)], flag="outcome",
                                          group_by="mmt_groups")
        found = bin_counts.binned_counts(selection, "value", binning, flag="outcome", group_by="mmt_groups")

    codes = _expected_codes(np.where(missing, np.nan, values), edges, (-999.0,), closed="left")
    frame = pd.DataFrame({"code": codes, "flag": flag, "period": periods})
    assert set(found) == {"2023", "2024", "2025", None}
    for period, counts in found.items():
        chosen = frame["period"].isna() if period is None else frame["period"] == period
        observed = np.bincount(frame["code"][chosen], minlength=6)
        events = np.bincount(frame["code"][chosen & (frame["flag"] == 1)], minlength=6)
        non_events = np.bincount(frame["code"][chosen & (frame["flag"] == 0)], minlength=6)
        assert counts["observations"].tolist() == observed.tolist()
        assert counts["events"].tolist() == events.tolist()
        assert counts["non_events"].tolist() == non_events.tolist()


def test_quantiles_across_batches_equal_numpy(tmp_path, monkeypatch):
    monkeypatch.setattr(bin_counts, "BATCH_ROWS", 1)
    monkeypatch.setattr(bin_counts, "BATCH_VALUES", 100)
    rng = np.random.default_rng(5)
    columns = {f"x{index}": np.round(rng.normal(index, 2.0, 3_000), index) for index in range(4)}
    columns["x0"][::7] = -999.0
    columns["x1"][::11] = np.nan
    selection = _write(tmp_path / "rows.parquet", columns)
    requests = [(name, (-999.0,)) for name in columns]
    with bin_counts.prefetched():
        bin_counts.prefetch_quantiles(selection, requests, DECILES)
        found = {name: bin_counts.numeric_quantiles(selection, name, DECILES, (-999.0,)) for name in columns}
    for name, values in columns.items():
        regular = values[np.isfinite(values) & (values != -999.0)]
        assert found[name].tolist() == np.unique(np.quantile(regular, DECILES)).tolist()


@pytest.mark.parametrize("period_type", [pa.date32(), pa.timestamp("us", tz="UTC"), pa.int64(), pa.string()])
def test_period_types_stability_edges_and_counts(tmp_path, period_type):
    rng = np.random.default_rng(6)
    rows = 2_000
    positions = rng.integers(0, 3, rows)
    raw = {
        pa.date32(): [dt.date(2023, 12, 31), dt.date(2024, 3, 31), dt.date(2024, 6, 30)],
        pa.timestamp("us", tz="UTC"): [dt.datetime(2023, 12, 31, tzinfo=dt.timezone.utc),
                                       dt.datetime(2024, 3, 31, tzinfo=dt.timezone.utc),
                                       dt.datetime(2024, 6, 30, 12, tzinfo=dt.timezone.utc)],
        pa.int64(): [202312, 202403, 202406],
        pa.string(): ["2023Q4", "2024Q1", "2024Q2"],
    }[period_type]

    periods = [raw[index] for index in positions]
    periods[::41] = [None] * len(periods[::41])
    values = np.round(rng.gamma(2.0, 3.0, rows), 2)
    values[::9] = -1.0
    values[::23] = np.nan
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"x": values, "when": pa.array(periods, period_type)}), path)
    result = analyze_stability(path, {"period_column": "when", "columns": ["x"], "special_values": [-1]}, None)

    column = result["columns"]["x"]
    has_period = np.array([period is not None for period in periods])
    reference = values[has_period & (positions == 0)]
    current = values[has_period & (positions == 2)]
    regular = reference[np.isfinite(reference) & (reference != -1.0)]
    edges = tuple(np.unique(np.quantile(regular, DECILES)).tolist())
    assert column["binning"]["edges"] == list(edges)

    size = len(edges) + 3
    expected_reference = np.bincount(_expected_codes(reference, edges, (-1.0,)), minlength=size)
    expected_current = np.bincount(_expected_codes(current, edges, (-1.0,)), minlength=size)
    assert [row["reference_count"] for row in column["bins"]] == expected_reference.tolist()
    assert [row["current_count"] for row in column["bins"]] == expected_current.tolist()
    middle = values[has_period & (positions == 1)]
    assert result["trend"]["x"][0]["current_total"] == float(middle.size)


def test_numeric_range_inside_prefetch(tmp_path):
    values = np.array([3.0, -999.0, np.inf, -2.5, np.nan, 7.25, -np.inf])
    selection = _write(tmp_path / "rows.parquet", {"x": values, "special": np.full(7, -999.0)})
    regular = values[np.isfinite(values) & (values != -999.0)]
    with bin_counts.prefetched():
        first = bin_counts.numeric_range(selection, "x", (-999.0,))
        second = bin_counts.numeric_range(selection, "x", (-999.0,))
        without_regular = bin_counts.numeric_range(selection, "special", (-999.0,))
        again_without_regular = bin_counts.numeric_range(selection, "special", (-999.0,))
    assert first == (float(regular.min()), float(regular.max()))
    assert second == first
    assert without_regular is None
    assert again_without_regular is None
    assert bin_counts.numeric_range(selection, "x") == (-999.0, 7.25)
