"""Exact sums from integer limbs and NumPy-identical quantiles from order statistics."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from mmt.engine.base import Selection
from mmt.engine.duckdb_engine import DuckDBEngine
from mmt.engine.exact import interpolate, limbs_of, limbs_to_float, quantile_ranks
from mmt.engine.sql import SQLEngine

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(st.lists(st.floats(min_value=-1e3, max_value=1e3, allow_nan=False).filter(lambda v: v == 0 or abs(v) >= 2**-72),
                min_size=1, max_size=200))
def test_limb_sum_is_the_correctly_rounded_sum(values):
    limbs = [limbs_of(value) for value in values]
    total = limbs_to_float(sum(l[0] for l in limbs), sum(l[1] for l in limbs), sum(l[2] for l in limbs))
    assert total == math.fsum(values)


@given(st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_limbs_truncate_by_less_than_2_to_minus_124(value):
    whole, middle, low = limbs_of(value)
    kept = Fraction(whole) + Fraction(middle, 2**62) + Fraction(low, 2**124)
    assert abs(Fraction(value) - kept) < Fraction(1, 2**124)


@given(finite, finite, st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_interpolation_matches_numpy_lerp(low, high, gamma):
    low, high = min(low, high), max(low, high)
    count = 1001
    # A sample whose linear quantile at rank 500 + gamma is exactly this lerp.
    values = np.concatenate([np.full(501, low), np.full(500, high)])
    probability_value = (500 + gamma) / (count - 1)
    (lower, upper, weight), = quantile_ranks(count, [probability_value])
    if (lower, upper) == (500, 501):
        assert interpolate(low, high, weight) == float(np.quantile(values, probability_value))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(finite, st.none(), st.just(float("nan"))), min_size=1, max_size=120),
       st.lists(probability, min_size=1, max_size=9))
def test_engine_quantiles_equal_numpy_quantile(tmp_path_factory, values, probabilities):
    path = tmp_path_factory.mktemp("quantiles") / "values.parquet"
    pq.write_table(pa.table({"x": pa.array(values, pa.float64())}), path)
    present = np.array([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    engine = DuckDBEngine()
    expected = [] if present.size == 0 else np.quantile(present, probabilities).tolist()
    assert engine.quantiles(Selection(path), "x", probabilities) == expected
    counts = engine.profile(Selection(path), ["x"]).non_missing
    assert SQLEngine.quantiles_from_counts(engine, Selection(path), ["x"], probabilities, counts)["x"] == expected
