"""Integers beyond 2**53 and Parquet durations in feature columns are stored, with their quality figures."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mmt.ingest import ingest_file

ACCOUNTS = [123456789012345678, 923456789012345679, 9007199254740993]


def test_large_integers_from_csv(tmp_path):
    rows = "\n".join(f"{index},0.0{index},{index % 2},{account}" for index, account in enumerate(ACCOUNTS, 1))
    path = tmp_path / "accounts.csv"
    path.write_text("obligor_id,pd,default_flag,account\n" + rows + "\n")
    result = ingest_file(path, "accounts.csv", "pd", tmp_path / "accounts.parquet")
    stored = pq.read_table(tmp_path / "accounts.parquet").column("account")
    assert stored.type == pa.int64()
    assert stored.to_pylist() == ACCOUNTS
    figures = result.quality["columns"]["account"]
    assert figures["min"] == min(ACCOUNTS)
    assert figures["max"] == max(ACCOUNTS)
    assert figures["mean"] == np.mean(np.asarray(ACCOUNTS, dtype=float))


def test_unsigned_and_duration_columns_from_parquet(tmp_path):
    path = tmp_path / "wide_types.parquet"
    pq.write_table(pa.table({
        "obligor_id": [1, 2, 3],
        "pd": [0.1, 0.2, 0.05],
        "default_flag": [0, 1, 0],
        "counter": pa.array([2**63 + 5, 1, 7], pa.uint64()),
        "time_on_book": pa.array([3600, None, 60], pa.duration("s")),
    }), path)
    result = ingest_file(path, "wide_types.parquet", "pd", tmp_path / "stored.parquet")
    stored = pq.read_table(tmp_path / "stored.parquet")
    assert stored.column("counter").to_pylist() == [2**63 + 5, 1, 7]
    assert stored.column("time_on_book").null_count == 1
    assert result.quality["columns"]["counter"]["max"] == 2**63 + 5
    assert result.quality["columns"]["time_on_book"]["missing"] == 1
