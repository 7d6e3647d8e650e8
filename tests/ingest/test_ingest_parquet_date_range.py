"""Parquet dates that Python cannot hold (years beyond 1..9999) are rejected with their row."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmt.errors import ValidationError
from mmt.ingest import ingest_file

ROWS = 300_000  # more than one batch of the Parquet reader


def _write(path, opened: pa.Array) -> None:
    pq.write_table(pa.table({
        "obligor_id": list(range(ROWS)),
        "pd": [0.1] * ROWS,
        "default_flag": [0] * ROWS,
        "opened": opened,
    }), path)


def _epoch_days(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


@pytest.mark.parametrize(
    ("values", "row", "described"),
    [
        # Day 2,932,897 after 1970-01-01 is 10000-01-01, one day past the last Python date.
        ([0] * (ROWS - 1) + [_epoch_days(dt.date(9999, 12, 31)) + 1], ROWS, "2932897 days after 1970-01-01"),
        # One day before 0001-01-01, in the first row.
        ([_epoch_days(dt.date(1, 1, 1)) - 1] + [0] * (ROWS - 1), 1, "719163 days before 1970-01-01"),
    ],
)
def test_date_beyond_python_range_names_row(tmp_path, values, row, described):
    path = tmp_path / "dates.parquet"
    _write(path, pa.array(values, pa.date32()))
    with pytest.raises(ValidationError) as raised:
        ingest_file(path, "dates.parquet", "pd", tmp_path / "stored.parquet")
    error = raised.value
    assert error.code == "invalid_date"
    assert error.details["column"] == "opened"
    assert error.details["rows"] == [row]
    assert error.details["values"] == [described]
    assert f"row {row}" in str(error)
    assert not (tmp_path / "stored.parquet").exists()


def test_last_python_dates_are_accepted(tmp_path):
    path = tmp_path / "dates.parquet"
    edges = [_epoch_days(dt.date(1, 1, 1)), _epoch_days(dt.date(9999, 12, 31))]
    _write(path, pa.array(edges + [0] * (ROWS - 2), pa.date32()))
    result = ingest_file(path, "dates.parquet", "pd", tmp_path / "stored.parquet")
    figures = result.quality["columns"]["opened"]
    assert figures["min"] == "0001-01-01"
    assert figures["max"] == "9999-12-31"
