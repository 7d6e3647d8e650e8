"""Optimal and equal-width bins of columns with infinite or huge values.

The optimal cut points are checked against optbinning fitted in the test on
the finite values only, and the equal-width ones against the definition.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from optbinning import OptimalBinning

from mmt.analyses.stability import analyze_stability
from mmt.analyses.woe import analyze_woe
from mmt.errors import ValidationError
from mmt.stats.binning import equal_width_edges


def _write(path, values: np.ndarray, flags: np.ndarray, periods=None):
    columns = {"x": pa.array(values), "default_flag": pa.array(flags.astype(np.int8))}
    if periods is not None:
        columns["snapshot_date"] = pa.array(periods)
    pq.write_table(pa.table(columns), path)
    return path


@pytest.fixture
def sample():
    rng = np.random.default_rng(4)
    values = rng.normal(size=2_000)
    flags = (rng.random(2_000) < 1 / (1 + np.exp(1.5 - values))).astype(int)
    return values, flags


def test_optimal_bins_skip_infinite_values(tmp_path, sample):
    values, flags = sample
    values = values.copy()
    values[:7] = np.inf
    values[7:12] = -np.inf
    path = _write(tmp_path / "rows.parquet", values, flags)
    result = analyze_woe(path, {"columns": ["x"], "method": "optimal", "target": "default_flag"})
    entry = result["columns"]["x"]

    finite = np.isfinite(values)
    reference = OptimalBinning(name="x", dtype="numerical", monotonic_trend="auto")
    reference.fit(values[finite], flags[finite])
    assert entry["binning"]["edges"] == [float(split) for split in reference.splits]
    observations = [item["count"] for item in entry["bins"]]
    edges = np.asarray(entry["binning"]["edges"])
    # Left-closed bins, as optbinning assigns them; -inf goes to the first bin and +inf to the last interval.
    codes = np.searchsorted(edges, values, side="right")
    expected = np.bincount(codes, minlength=edges.size + 1)
    assert observations[:edges.size + 1] == expected.tolist()


def test_optimal_bins_reject_values_beyond_float32(tmp_path, sample):
    values, flags = sample
    values = values.copy()
    values[3] = 1e300
    path = _write(tmp_path / "rows.parquet", values, flags)
    with pytest.raises(ValidationError) as caught:
        analyze_woe(path, {"columns": ["x"], "method": "optimal", "target": "default_flag"})
    assert caught.value.code == "value_out_of_range"
    assert caught.value.details["column"] == "x"
    assert "Column x has values beyond ±3.4e38 (for example 1e+300)" in str(caught.value)


def test_equal_width_edges_when_the_range_overflows():
    low, high = -1.7e308, 1.7e308
    edges = equal_width_edges([low, 0.0, high], 4)
    assert np.all(np.isfinite(edges))
    # The cut points in exact rational arithmetic, rounded once.
    exact = [float(Fraction(low) + Fraction(share, 4) * (Fraction(high) - Fraction(low))) for share in (1, 2, 3)]
    assert edges.tolist() == pytest.approx(exact, rel=1e-15, abs=1e-300)
    # An ordinary range keeps numpy.linspace's cut points.
    assert equal_width_edges([0.0, 1.0, 3.0], 3).tolist() == np.linspace(0.0, 3.0, 4)[1:-1].tolist()


def test_stability_equal_width_on_huge_values(tmp_path, sample):
    values, flags = sample
    values = values * 1e307
    values[0], values[1] = -1.7e308, 1.7e308
    periods = np.array(["2023-12-31", "2024-12-31"], dtype="datetime64[D]")[np.arange(values.size) % 2]
    path = _write(tmp_path / "rows.parquet", values, flags, periods)
    result = analyze_stability(path, {"columns": ["x"], "method": "equal_width", "n_bins": 4}, None)
    edges = result["columns"]["x"]["binning"]["edges"]
    assert len(edges) == 3
    assert all(np.isfinite(edges))
