"""Results of aggregate queries kept between analyses, keyed by the Parquet files they read."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import mmt.engine.duckdb_engine as duckdb_engine
from mmt.engine.base import Selection
from mmt.engine.duckdb_engine import DuckDBEngine
from mmt.engine.query_cache import MAX_ENTRY_CELLS, QUERIES, QueryResultCache, query_key
from mmt.engine.sorted_cache import SHARED
from tests.engine.conftest import FLAG, periods


@pytest.fixture(autouse=True)
def empty_cache():
    QUERIES.clear()
    yield
    QUERIES.clear()


@pytest.fixture
def executions(monkeypatch):
    """Count the queries that reach DuckDB."""
    seen = []
    original = duckdb_engine._connection

    class Counting:
        def __init__(self, connection):
            self.connection = connection

        def execute(self, sql, params=None):
            seen.append(sql)
            return self.connection.execute(sql, params)

    monkeypatch.setattr(duckdb_engine, "_connection", lambda threads: Counting(original(threads)))
    return seen


def _write(path, grades):
    pq.write_table(pa.table({"grade": grades, FLAG: [index % 2 for index in range(len(grades))]}), path)


def test_key_needs_parquet_file(tmp_path):
    path = tmp_path / "data.parquet"
    _write(path, ["A", "B"])
    assert query_key("SELECT 1", []) is None
    assert query_key("SELECT count(*) FROM read_parquet(?)", [str(tmp_path / "gone.parquet")]) is None
    key = query_key("SELECT count(*) FROM read_parquet(?)", [str(path), 3])
    assert key is not None
    assert key[1] == (str(path), 3)


def test_second_query_served_from_cache(ingested, executions):
    engine = DuckDBEngine()
    selection = Selection(ingested["pd_germancredit.csv"])
    first = engine.level_counts(selection, "purpose", FLAG)
    queries = len(executions)
    second = engine.level_counts(selection, "purpose", FLAG)
    assert queries > 0
    assert len(executions) == queries
    for name in first.columns:
        assert first[name].tolist() == second[name].tolist()


def test_levels_equal_uncached_engine(ingested):
    engine = DuckDBEngine()
    selection = Selection(ingested["pd_lendingclub.csv"])
    cached = [engine.level_counts(selection, "rating", FLAG) for _ in range(2)]
    QUERIES.capacity, capacity = 0, QUERIES.capacity
    try:
        fresh = engine.level_counts(selection, "rating", FLAG)
    finally:
        QUERIES.capacity = capacity
    for result in cached:
        for name in fresh.columns:
            assert result[name].tolist() == fresh[name].tolist()


def test_replaced_file_not_served_from_old_entry(tmp_path):
    path = tmp_path / "data.parquet"
    _write(path, ["A", "B", "B"])
    engine = DuckDBEngine()
    before = engine.level_counts(Selection(path), "grade")
    _write(path, ["A", "A", "A", "C"])
    after = engine.level_counts(Selection(path), "grade")
    assert dict(zip(before["level"].tolist(), before["observations"].tolist())) == {"A": 1, "B": 2}
    assert dict(zip(after["level"].tolist(), after["observations"].tolist())) == {"A": 3, "C": 1}


def test_changed_rows_do_not_change_entry(tmp_path):
    path = tmp_path / "data.parquet"
    _write(path, ["A", "B"])
    engine = DuckDBEngine()
    sql = "SELECT list(grade ORDER BY grade) FROM read_parquet(?)"
    rows = engine.rows(sql, [str(path)])
    rows[0][0].append("Z")
    rows.append(("extra",))
    assert engine.rows(sql, [str(path)]) == [(["A", "B"],)]


def test_capacity_drops_oldest_entries():
    cache = QueryResultCache(capacity=10 * 64)
    cache.put(("first",), [(1, 2), (3, 4)])
    cache.put(("second",), [(5,)])
    assert cache.get(("first",)) == [(1, 2), (3, 4)]
    cache.put(("third",), [(6, 7, 8)])
    assert cache.get(("second",)) is None
    assert cache.get(("first",)) == [(1, 2), (3, 4)]
    assert cache.get(("third",)) == [(6, 7, 8)]


def test_long_texts_count_towards_capacity():
    cache = QueryResultCache(capacity=1024 * 1024)
    levels = [(f"{index:04d}" + "x" * 10_000,) for index in range(200)]
    cache.put(("levels",), levels)
    # 200 rows of 10,004 characters are about 2 MB, twice the capacity, however few cells they are.
    assert cache.get(("levels",)) is None
    assert len(cache) == 0
    cache.put(("short",), levels[:50])
    assert cache.get(("short",)) == levels[:50]


def test_large_results_not_kept():
    cache = QueryResultCache()
    cache.put(("rows",), [(index,) for index in range(MAX_ENTRY_CELLS + 1)])
    assert cache.get(("rows",)) is None
    assert len(cache) == 0


def test_zero_capacity_keeps_nothing(ingested, executions, monkeypatch):
    monkeypatch.setattr(QUERIES, "capacity", 0)
    engine = DuckDBEngine()
    selection = Selection(ingested["pd_germancredit.csv"])
    engine.distinct_values(selection, "snapshot_date")
    queries = len(executions)
    engine.distinct_values(selection, "snapshot_date")
    assert len(executions) == 2 * queries
    assert len(QUERIES) == 0


def test_setting_sets_capacity(tmp_path, database_url):
    from mmt import create_app

    capacity = QUERIES.capacity
    application = create_app({"instance_dir": tmp_path / "instance", "data_dir": tmp_path / "data",
                              "database_url": database_url, "log_level": "WARNING", "query_cache_mb": 3})
    try:
        assert QUERIES.capacity == 3 * 1024 * 1024
    finally:
        application.extensions["mmt"].database.dispose()
        QUERIES.capacity = capacity


def test_filtered_periods_keyed_apart(ingested):
    engine = DuckDBEngine()
    reference, current = periods(engine, ingested["pd_germancredit.csv"])
    counts = [engine.count(selection) for selection in (reference, current, reference, current)]
    QUERIES.clear()
    assert counts == [engine.count(reference), engine.count(current)] * 2
    assert counts[0] != counts[1]


def test_analysis_from_cached_queries_equals_first(client, upload, executions):
    current = upload("pd", "mmt_original/Data_PD_Model.csv").get_json()["dataset_id"]
    baseline = upload("pd_baseline", "mmt_original/Data_PD_Model_pvs_qtr.csv").get_json()["dataset_id"]
    payload = {"dataset_id": current, "reference_dataset_id": baseline}
    first = client.post("/api/analyze/pd", json=payload).get_json()["results"]
    queries = len(executions)
    SHARED.clear()
    second = client.post("/api/analyze/pd", json=payload).get_json()["results"]
    rerun = len(executions) - queries
    assert len(QUERIES) > 0
    # The second run reads only the sorted columns again (the in-memory store was emptied).
    assert rerun < queries
    for results in (first, second):
        results.pop("parameters", None)
        results.pop("duration_ms", None)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_copied_dataset_has_own_entries(ingested, tmp_path):
    engine = DuckDBEngine()
    original = ingested["pd_germancredit.csv"]
    copy = tmp_path / "copy.parquet"
    shutil.copy(original, copy)
    engine.distinct_values(Selection(original), "purpose")
    entries = len(QUERIES)
    assert engine.distinct_values(Selection(copy), "purpose") == engine.distinct_values(Selection(original), "purpose")
    assert len(QUERIES) == entries + 1
