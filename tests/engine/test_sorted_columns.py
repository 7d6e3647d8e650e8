"""Sorted columns: the radix sort of narrow integers, parallel builds and the cache between analyses.

References: NumPy's own sort of the same values, and a second analysis that
must equal the first to the last bit.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mmt.engine.base import Selection
from mmt.engine.columns import SortedColumn, _narrow_integer_type, build_many
from mmt.engine.duckdb_engine import DuckDBEngine
from mmt.engine.sorted_cache import SHARED, SortedColumnCache, file_identity


def _reference(values: np.ndarray, flag: np.ndarray) -> dict[str, np.ndarray]:
    return {"values": np.sort(values), "events": np.sort(values[flag == 1])}


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(np.int64, st.integers(0, 300), elements=st.integers(-40_000, 40_000)), st.randoms())
def test_narrow_integers_sort_like_numpy(values, random):
    flag = np.array([random.choice([0, 1]) for _ in range(values.size)], dtype=np.int64)
    built = SortedColumn.build(values.copy(), flag)
    expected = _reference(values, flag)
    assert built.values.dtype == np.int64
    np.testing.assert_array_equal(built.values, expected["values"])
    np.testing.assert_array_equal(built.events, expected["events"])


def test_narrow_type_is_chosen_by_range():
    assert _narrow_integer_type(np.array([18, 80], dtype=np.int64)) == np.dtype(np.int8)
    assert _narrow_integer_type(np.array([-129, 5], dtype=np.int64)) == np.dtype(np.int16)
    assert _narrow_integer_type(np.array([0, 40_000], dtype=np.int64)) is None
    assert _narrow_integer_type(np.array([0.5, 1.5])) is None


def test_masked_integers_keep_their_missing_count():
    raw = np.ma.masked_array(np.array([5, 3, 9, 1], dtype=np.int64), mask=[False, True, False, False])
    built = SortedColumn.build(raw, np.array([1, 0, 0, 1]))
    np.testing.assert_array_equal(built.values, [1, 5, 9])
    np.testing.assert_array_equal(built.events, [1, 5])
    assert built.missing == 1
    assert built.missing_events == 0


def test_parallel_builds_equal_one_by_one():
    rng = np.random.default_rng(7)
    columns = {"a": rng.random(5_000), "b": rng.integers(0, 90, 5_000), "c": rng.normal(size=5_000)}
    flag = rng.integers(0, 2, 5_000)
    together = build_many({name: values.copy() for name, values in columns.items()}, flag, threads=2)
    for name, values in columns.items():
        alone = SortedColumn.build(values.copy(), flag)
        np.testing.assert_array_equal(together[name].values, alone.values)
        np.testing.assert_array_equal(together[name].events, alone.events)


def test_sorted_columns_are_read_only():
    built = SortedColumn.build(np.array([3.0, 1.0, 2.0]), np.array([0, 1, 0]))
    with pytest.raises(ValueError):
        built.values[0] = 9.0


def test_cache_drops_the_least_recently_used():
    column = SortedColumn.build(np.arange(100, dtype=float), None)  # 800 bytes
    cache = SortedColumnCache(capacity=2 * column.nbytes)
    cache.put(("a",), column)
    cache.put(("b",), column)
    assert cache.get(("a",)) is column        # "a" is now the most recently used
    cache.put(("c",), column)
    assert cache.get(("b",)) is None
    assert cache.get(("a",)) is column
    assert cache.get(("c",)) is column
    assert cache.nbytes == 2 * column.nbytes
    cache.put(("huge",), SortedColumn.build(np.arange(1000, dtype=float), None))
    assert cache.get(("huge",)) is None       # larger than the whole cache: not kept


def test_cache_reuse_and_replaced_file(ingested, tmp_path):
    path = tmp_path / "copy.parquet"
    shutil.copy(ingested["pd_germancredit.csv"], path)
    engine = DuckDBEngine()
    selection = Selection(path).with_not_null("pd", "default_flag")
    SHARED.clear()
    first = engine.sorted_columns(selection, ["pd"], "default_flag")["pd"]
    again = engine.sorted_columns(selection, ["pd"], "default_flag")["pd"]
    assert again is first
    # A file written anew under the same name (another upload) has another identity.
    identity = file_identity(path)
    replacement = tmp_path / "other.parquet"
    shutil.copy(ingested["pd_default_islp.csv"], replacement)
    os.replace(replacement, path)
    assert file_identity(path) != identity
    fresh = engine.sorted_columns(selection, ["pd"], "default_flag")["pd"]
    assert fresh is not first
    import pyarrow.parquet as pq

    expected = np.sort(pq.read_table(path, columns=["pd"]).column("pd").to_numpy())
    np.testing.assert_array_equal(fresh.values, expected[~np.isnan(expected)])


def test_cache_size_comes_from_the_settings(tmp_path, ingested):
    from mmt import create_app

    def app_with(megabytes: int):
        return create_app({"instance_dir": tmp_path / "instance", "data_dir": tmp_path / "data",
                           "database_url": f"sqlite:///{tmp_path / 'mmt.sqlite3'}", "log_level": "WARNING",
                           "sorted_cache_mb": megabytes})

    try:
        app_with(0)
        assert SHARED.capacity == 0
        SHARED.clear()
        selection = Selection(ingested["pd_germancredit.csv"]).with_not_null("pd", "default_flag")
        first = DuckDBEngine().sorted_columns(selection, ["pd"], "default_flag")["pd"]
        assert SHARED.nbytes == 0
        assert DuckDBEngine().sorted_columns(selection, ["pd"], "default_flag")["pd"] is not first
        app_with(3)
        assert SHARED.capacity == 3 * 1024 * 1024
    finally:
        SHARED.capacity = 512 * 1024 * 1024
