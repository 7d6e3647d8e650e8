"""NaN in a Parquet upload is a missing value, as the text NaN is in a CSV upload."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mmt.ingest import ingest_file


def _write(path, **columns):
    pq.write_table(pa.table({"obligor_id": list(range(1, 7)), **columns}), path)


def test_nan_pd_counts_as_missing(tmp_path):
    path = tmp_path / "nan_pd.parquet"
    _write(path, pd=[0.1, math.nan, 0.2, 0.05, math.nan, 0.3], default_flag=[0, 1, 0, 0, 1, 0])
    result = ingest_file(path, "nan_pd.parquet", "pd", tmp_path / "stored.parquet")
    stored = pq.read_table(tmp_path / "stored.parquet").column("pd")
    assert stored.null_count == 2
    assert stored.to_pylist() == [0.1, None, 0.2, 0.05, None, 0.3]
    missing = [warning for warning in result.warnings if warning["code"] == "missing_values"]
    assert [warning["details"]["count"] for warning in missing] == [2]
    assert missing[0]["details"]["role"] == "pd"


def test_nan_default_flag_counts_as_missing(tmp_path):
    path = tmp_path / "nan_flag.parquet"
    _write(path, pd=[0.1, 0.2, 0.2, 0.05, 0.1, 0.3], default_flag=[0.0, 1.0, math.nan, 0.0, 1.0, 0.0])
    result = ingest_file(path, "nan_flag.parquet", "pd", tmp_path / "stored.parquet")
    stored = pq.read_table(tmp_path / "stored.parquet").column("default_flag")
    assert stored.to_pylist() == [0, 1, None, 0, 1, 0]
    missing = [warning for warning in result.warnings if warning["code"] == "missing_values"]
    assert [warning["details"]["role"] for warning in missing] == ["default_flag"]


def test_nan_features_are_stored_as_null(tmp_path):
    path = tmp_path / "nan_features.parquet"
    _write(
        path,
        pd=[0.1, 0.2, 0.2, 0.05, 0.1, 0.3],
        default_flag=[0, 1, 0, 0, 1, 0],
        income=[1.5, math.nan, 2.5, math.nan, 4.0, 5.0],
        score=pa.array([1.0, 2.0, math.nan, 4.0, 5.0, 6.0], pa.float32()),
        bucket=pa.array(np.array([1, 2, np.nan, 4, 5, 6], dtype=np.float16)),
        months=[1, 2, 3, 4, 5, 6],
    )
    result = ingest_file(path, "nan_features.parquet", "pd", tmp_path / "stored.parquet")
    stored = pq.read_table(tmp_path / "stored.parquet")
    assert stored.column("income").to_pylist() == [1.5, None, 2.5, None, 4.0, 5.0]
    assert stored.column("score").null_count == 1
    assert stored.column("bucket").null_count == 1
    assert stored.column("months").null_count == 0
    figures = result.quality["columns"]["income"]
    assert figures["missing"] == 2
    assert figures["mean"] == (1.5 + 2.5 + 4.0 + 5.0) / 4
