"""The WOE analysis returns the same results with its batched queries as column by column.

The reference is the same analysis with the prefetch switched off, so every
quantile and count comes from the single-column queries.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import mmt.analyses.bin_counts as bin_counts
import mmt.analyses.woe as woe_module
from mmt.analyses.woe import analyze_woe
from mmt.ingest import ingest_file


@pytest.fixture
def wide_file(tmp_path):
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(rng.normal(size=(400, 12)).round(2), columns=[f"x{index}" for index in range(12)])
    frame.iloc[::7, 3] = np.nan            # missing values get the Missing bin
    frame.iloc[::5, 4] = -999.0            # a special value
    frame["x5"] = 1.0                      # one value: a single bin
    frame["x6"] = np.nan                   # no value at all
    frame["x7"] = rng.integers(0, 4, 400)  # few distinct values: repeated quantiles
    frame["region"] = rng.choice(["north", "south"], 400)
    frame["default_flag"] = (rng.random(400) < 0.25).astype(int)
    frame["pd"] = 0.1
    frame.to_csv(tmp_path / "wide.csv", index=False)
    ingest_file(tmp_path / "wide.csv", "wide.csv", "pd", tmp_path / "wide.parquet")
    return tmp_path / "wide.parquet"


@pytest.mark.parametrize("options", [
    {"special_values": {"x4": [-999]}, "n_bins": 7},
    {"n_bins": 4, "closed": "left", "cut_points": {"x0": [-1.0, 0.0, 1.0]}},
    {"periods": None, "adjustment": 0.5},
])
def test_batched_equals_column_by_column(wide_file, monkeypatch, options):
    monkeypatch.setattr(bin_counts, "PREFETCH_COLUMNS", 5)  # several chunks
    queries = []
    real_connection = bin_counts._connection

    def counting_connection():
        connection = real_connection()
        queries.append(1)
        return connection

    monkeypatch.setattr(bin_counts, "_connection", counting_connection)
    batched = analyze_woe(wide_file, options)
    batched_queries = len(queries)
    monkeypatch.setattr(woe_module, "_prefetch_quantile_bins", lambda *args, **kwargs: None)
    queries.clear()
    single = analyze_woe(wide_file, options)
    assert json.dumps(batched, sort_keys=True) == json.dumps(single, sort_keys=True)
    assert batched_queries < len(queries)


def test_counts_equal_numpy(wide_file):
    """The batched counts of one column against NumPy's own binning of the same values."""
    import pyarrow.parquet as pq

    from mmt.engine.base import Selection
    from mmt.stats.binning import BinningSpec

    table = pq.read_table(wide_file, columns=["x1", "x3", "default_flag"]).to_pandas()
    selection = Selection(wide_file).with_not_null("default_flag")
    specs = [("x1", BinningSpec(kind="numeric", method="quantile", edges=(-0.5, 0.0, 0.5), closed="right")),
             ("x3", BinningSpec(kind="numeric", method="quantile", edges=(0.0,), closed="right"))]
    with bin_counts.prefetched():
        bin_counts.prefetch_binned_counts(selection, specs, flag="default_flag")
        found = {column: bin_counts.binned_counts(selection, column, spec, flag="default_flag")
                 for column, spec in specs}
    for column, spec in specs:
        values = table[column].to_numpy()
        missing = np.isnan(values)
        codes = np.searchsorted(np.asarray(spec.edges), values, side="left")
        codes[missing] = len(spec.edges) + 1
        events = table["default_flag"].to_numpy() == 1
        expected_events = np.bincount(codes[events], minlength=spec.n_bins)
        expected_all = np.bincount(codes, minlength=spec.n_bins)
        counts = found[column][bin_counts.ALL_ROWS]
        np.testing.assert_array_equal(counts["events"], expected_events)
        np.testing.assert_array_equal(counts["observations"], expected_all)
