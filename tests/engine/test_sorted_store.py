"""Sorted columns written beside a dataset's Parquet copy and read back by a later analysis."""

from __future__ import annotations

import json
import os
import shutil
import time

import numpy as np
import pytest

import mmt.engine.sorted_store as sorted_store
from mmt.engine.base import Selection
from mmt.engine.duckdb_engine import DuckDBEngine
from mmt.engine.sorted_cache import SHARED
from mmt.engine.sorted_store import STORE, SortedColumnStore
from tests.engine.conftest import FLAG, periods

COLUMNS = ["pd", "duration_in_month", "credit_amount", "age_in_years"]


@pytest.fixture
def dataset(ingested, tmp_path, monkeypatch):
    """A copy of the German credit Parquet file in a dataset folder under the store's root."""
    root = tmp_path / "datasets"
    folder = root / "7"
    folder.mkdir(parents=True)
    path = folder / "data.parquet"
    shutil.copy(ingested["pd_germancredit.csv"], path)
    monkeypatch.setattr(STORE, "root", root)
    SHARED.clear()
    yield path
    STORE.flush()
    SHARED.clear()


def _sorted(engine, selection):
    return engine.sorted_columns(selection, COLUMNS, FLAG)


def _assert_same(first, second):
    for column in COLUMNS:
        for name in ("values", "events", "flag_missing", "flag_other"):
            np.testing.assert_array_equal(getattr(first[column], name), getattr(second[column], name))
            assert getattr(first[column], name).dtype == getattr(second[column], name).dtype
        for name in ("missing", "missing_events", "missing_flag_missing", "missing_flag_other"):
            assert getattr(first[column], name) == getattr(second[column], name)


def test_stored_columns_equal_computed(dataset, monkeypatch):
    engine = DuckDBEngine()
    reference, current = periods(engine, dataset)
    computed = _sorted(engine, current)
    STORE.flush()
    assert len(list((dataset.parent / "sorted").glob("*.counts.npy"))) == len(COLUMNS)

    SHARED.clear()
    monkeypatch.setattr(DuckDBEngine, "_fetch_sorted", lambda *args: pytest.fail("read the Parquet file again"))
    loaded = _sorted(DuckDBEngine(), current)
    _assert_same(computed, loaded)
    assert isinstance(loaded["pd"].values, np.memmap) or isinstance(loaded["pd"].values.base, np.memmap)
    assert not loaded["pd"].values.flags.writeable


def test_other_selection_other_file(dataset):
    engine = DuckDBEngine()
    reference, current = periods(engine, dataset)
    _sorted(engine, reference)
    _sorted(engine, current)
    STORE.flush()
    assert len(list((dataset.parent / "sorted").glob("*.counts.npy"))) == 2 * len(COLUMNS)


def test_file_outside_root_not_stored(ingested, tmp_path, monkeypatch):
    monkeypatch.setattr(STORE, "root", tmp_path / "datasets")
    SHARED.clear()
    path = ingested["pd_germancredit.csv"]
    DuckDBEngine().sorted_columns(Selection(path), COLUMNS, FLAG)
    STORE.flush()
    SHARED.clear()
    assert not (path.parent / "sorted").exists()


def test_damaged_file_is_computed_again(dataset):
    engine = DuckDBEngine()
    _, current = periods(engine, dataset)
    computed = _sorted(engine, current)
    STORE.flush()
    for counts in (dataset.parent / "sorted").glob("*.counts.npy"):
        np.save(counts, np.array([1, 2, 3], dtype=np.int64))
    SHARED.clear()
    again = _sorted(DuckDBEngine(), current)
    _assert_same(computed, again)
    STORE.flush()
    # The damaged entries were deleted and written anew.
    for counts in (dataset.parent / "sorted").glob("*.counts.npy"):
        assert np.load(counts).shape == (8,)


def test_truncated_data_file_is_computed_again(dataset):
    engine = DuckDBEngine()
    _, current = periods(engine, dataset)
    computed = _sorted(engine, current)
    STORE.flush()
    for data in (dataset.parent / "sorted").glob("*[0-9a-f].npy"):
        values = np.load(data)
        np.save(data, values[:-1])
    SHARED.clear()
    _assert_same(computed, _sorted(DuckDBEngine(), current))


def test_replaced_parquet_not_served_from_old_entry(dataset, ingested):
    engine = DuckDBEngine()
    _sorted(engine, Selection(dataset))
    STORE.flush()
    # Another file under the same name: a new inode, size and time.
    replacement = dataset.with_name("other.parquet")
    shutil.copy(ingested["pd_default_islp.csv"], replacement)
    replacement.replace(dataset)
    SHARED.clear()
    fresh = DuckDBEngine().sorted_columns(Selection(dataset), ["pd"], FLAG)
    expected = np.sort(engine._fetch_arrays(Selection(dataset), ["pd"])[0])
    np.testing.assert_array_equal(fresh["pd"].values, expected[~np.isnan(expected)])


def test_share_of_disk_is_bounded(dataset, monkeypatch):
    monkeypatch.setattr(sorted_store, "MAX_SIZE_RATIO", 0.0)
    _sorted(DuckDBEngine(), Selection(dataset))
    STORE.flush()
    assert list((dataset.parent / "sorted").glob("*.npy")) == []


def test_deleted_dataset_folder_not_recreated(dataset):
    store = SortedColumnStore()
    store.root = STORE.root
    engine = DuckDBEngine()
    columns = _sorted(engine, Selection(dataset))
    STORE.flush()
    shutil.rmtree(dataset.parent)
    store.save(("identity",), Selection(dataset), "pd", FLAG, columns["pd"])
    store.flush()
    assert not dataset.parent.exists()


def test_setting_turns_store_off(tmp_path, database_url):
    from mmt import create_app

    application = create_app({"instance_dir": tmp_path / "instance", "data_dir": tmp_path / "data",
                              "database_url": database_url, "log_level": "WARNING", "sorted_store": False})
    try:
        assert STORE.root is None
    finally:
        application.extensions["mmt"].database.dispose()
    application = create_app({"instance_dir": tmp_path / "instance", "data_dir": tmp_path / "data",
                              "database_url": database_url, "log_level": "WARNING"})
    try:
        assert STORE.root == application.extensions["mmt"].files.datasets_dir
    finally:
        application.extensions["mmt"].database.dispose()


def test_analysis_from_stored_columns_equals_first(client, upload, app):
    current = upload("pd", "mmt_original/Data_PD_Model.csv").get_json()["dataset_id"]
    baseline = upload("pd_baseline", "mmt_original/Data_PD_Model_pvs_qtr.csv").get_json()["dataset_id"]
    payload = {"dataset_id": current, "reference_dataset_id": baseline}
    first = client.post("/api/analyze/pd", json=payload).get_json()["results"]
    STORE.flush()
    folder = app.extensions["mmt"].files.datasets_dir / str(current) / "sorted"
    assert list(folder.glob("*.counts.npy"))
    SHARED.clear()
    second = client.post("/api/analyze/pd", json=payload).get_json()["results"]
    for results in (first, second):
        results.pop("parameters", None)
        results.pop("duration_ms", None)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_dataset_deleted_during_write_leaves_nothing(dataset, monkeypatch):
    columns = _sorted(DuckDBEngine(), Selection(dataset))
    STORE.flush()
    shutil.rmtree(dataset.parent / "sorted")
    store = SortedColumnStore()
    store.root = STORE.root
    original = sorted_store._write_atomically

    def write_then_delete(path, array):
        original(path, array)
        # The dataset goes while its sorted column is being written.
        dataset.unlink(missing_ok=True)

    monkeypatch.setattr(sorted_store, "_write_atomically", write_then_delete)
    store.save(("identity",), Selection(dataset), "pd", FLAG, columns["pd"])
    store.flush()
    assert not (dataset.parent / "sorted").exists()


def test_stale_temporary_file_deleted(dataset):
    folder = dataset.parent / "sorted"
    folder.mkdir()
    stale = folder / ".left-by-killed-writer.npy.0123.tmp"
    stale.write_bytes(b"\x93NUMPY partial")
    hours_ago = time.time() - 2 * sorted_store.STALE_TEMPORARY_SECONDS
    os.utime(stale, (hours_ago, hours_ago))
    recent = folder / ".being-written.npy.4567.tmp"
    recent.write_bytes(b"\x93NUMPY partial")

    _sorted(DuckDBEngine(), Selection(dataset))
    STORE.flush()

    assert not stale.exists()
    assert recent.exists()
    assert len(list(folder.glob("*.counts.npy"))) == len(COLUMNS)
