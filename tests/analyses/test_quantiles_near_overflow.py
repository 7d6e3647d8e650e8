"""Quantile cut points of columns whose values reach ±1.8e308, where NumPy's interpolation overflows.

The reference is exact rational interpolation between the order statistics,
rounded once, computed in the test.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import mmt.analyses.bin_counts as bin_counts
from mmt.engine.base import Selection
from mmt.engine.exact import interpolate

HUGE = 1.7976931348623157e308
VALUES = [-HUGE, -HUGE, -1.0, 0.0, 2.0, HUGE, HUGE]


def _exact_quantile(values: list[float], probability: float) -> float:
    ordered = sorted(values)
    virtual = Fraction(len(ordered) - 1) * Fraction(probability)
    lower = int(virtual)
    upper = min(lower + 1, len(ordered) - 1)
    share = virtual - lower
    return float(Fraction(ordered[lower]) + share * (Fraction(ordered[upper]) - Fraction(ordered[lower])))


def test_bin_counts_quantiles_stay_finite(tmp_path):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"x": VALUES}), path)
    probabilities = [0.1, 0.25, 0.5, 0.75, 0.9]
    found = bin_counts.numeric_quantiles(Selection(path), "x", probabilities)
    expected = sorted({_exact_quantile(VALUES, p) for p in probabilities})
    assert np.all(np.isfinite(found))
    assert found.tolist() == [value for value in expected]


def test_engine_interpolation_stays_finite():
    assert interpolate(-HUGE, HUGE, 0.5) == 0.0
    assert interpolate(-HUGE, HUGE, 0.25) == float(Fraction(-HUGE) + Fraction(1, 4) * (Fraction(HUGE) - Fraction(-HUGE)))
    # Ordinary values keep NumPy's own steps.
    assert interpolate(1.0, 3.0, 0.3) == float(np.quantile([1.0, 3.0], 0.3))
