"""Quantile cut points of PD features: NumPy's quantiles of the finite values, found from engine order statistics."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmt.analyses.pd_features import feature_quantile_edges
from mmt.engine.base import Selection
from mmt.engine.duckdb_engine import DuckDBEngine
from mmt.engine.prefetch import PrefetchingEngine

LOWEST = -sys.float_info.max


def edges_of(tmp_path, columns: dict[str, np.ndarray], n_bins: int = 10, prefetch: bool = False) -> dict:
    path = tmp_path / "features.parquet"
    pq.write_table(pa.table(columns), path)
    engine = DuckDBEngine(threads=1)
    inputs = SimpleNamespace(engine=PrefetchingEngine(engine) if prefetch else engine, n_bins=n_bins,
                             feature_edges={})
    return feature_quantile_edges(inputs, Selection(path), list(columns))


def finite_quantiles(values: np.ndarray, n_bins: int = 10) -> list[float]:
    finite = values[np.isfinite(values)]
    return np.unique(np.quantile(finite, np.arange(1, n_bins) / n_bins)).tolist()


@pytest.mark.parametrize("prefetch", [False, True])
def test_infinities_left_out_of_quantiles(tmp_path, prefetch):
    rng = np.random.default_rng(3)
    values = rng.normal(size=500)
    values[::4] = np.inf
    values[1::7] = -np.inf
    values[2::11] = np.nan

    found = edges_of(tmp_path, {"ltv": values}, prefetch=prefetch)

    assert found["ltv"].tolist() == finite_quantiles(values)


def test_lowest_double_beside_negative_infinity(tmp_path):
    # -max_float shares the lowest bin of the engine's count with -inf, so the
    # count of -inf is found by a search over the order statistics.
    rng = np.random.default_rng(5)
    values = rng.normal(size=2000)
    values[:300] = -np.inf
    values[300:700] = LOWEST
    rng.shuffle(values)

    found = edges_of(tmp_path, {"x": values})

    assert found["x"].tolist() == finite_quantiles(values)
    assert found["x"][0] == LOWEST


def test_only_infinite_values_give_no_edges(tmp_path):
    values = np.array([np.inf, -np.inf, np.nan, np.inf])

    found = edges_of(tmp_path, {"x": values})

    assert found["x"].size == 0


def test_several_features_in_one_call(tmp_path):
    rng = np.random.default_rng(9)
    first = rng.normal(size=300)
    first[::3] = -np.inf
    second = rng.uniform(size=300)
    second[::5] = LOWEST
    second[1::5] = -np.inf

    found = edges_of(tmp_path, {"first": first, "second": second}, n_bins=5)

    assert found["first"].tolist() == finite_quantiles(first, 5)
    assert found["second"].tolist() == finite_quantiles(second, 5)
