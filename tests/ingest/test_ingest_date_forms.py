"""Date roles: format names of ISO dates with times, offsets, and dates outside the usual years."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmt.ingest import ingest_file
from mmt.ingest.dates import parse_date_text

HEADER = "obligor_id,pd,default_flag,snapshot_date\n"


def _ingest_dates(tmp_path, dates: list[str]):
    rows = "".join(f"{index},0.1,{index % 2},{value}\n" for index, value in enumerate(dates, 1))
    path = tmp_path / "dates.csv"
    path.write_text(HEADER + rows)
    result = ingest_file(path, "dates.csv", "pd", tmp_path / "stored.parquet")
    return result, pq.read_table(tmp_path / "stored.parquet")


def _warnings(result, code: str) -> list[dict]:
    return [warning for warning in result.warnings if warning["code"] == code]


@pytest.mark.parametrize(
    ("text", "name", "date"),
    [
        ("2023-12-31", "YYYY-MM-DD", dt.date(2023, 12, 31)),
        ("2023-12-31 10:15", "YYYY-MM-DD hh:mm", dt.date(2023, 12, 31)),
        ("2023-12-31T10:15:30", "YYYY-MM-DDThh:mm:ss", dt.date(2023, 12, 31)),
        ("9999-12-31T23:59:59.999999999", "YYYY-MM-DDThh:mm:ss.fffffffff", dt.date(9999, 12, 31)),
        ("2023-12-31T10:15:30.5Z", "YYYY-MM-DDThh:mm:ss.fZ", dt.date(2023, 12, 31)),
        ("0001-01-01T00:00:00+01:00", "YYYY-MM-DDThh:mm:ss±hh:mm", dt.date(1, 1, 1)),
        ("2023-01-01 23:30-0500", "YYYY-MM-DD hh:mm±hhmm", dt.date(2023, 1, 1)),
    ],
)
def test_iso_format_name_describes_text(text, name, date):
    parsed = parse_date_text(text)

    assert parsed.format == name
    assert parsed.days == (date - dt.date(1970, 1, 1)).days


def test_mixed_formats_warning_names_fraction(tmp_path):
    result, _stored = _ingest_dates(tmp_path, ["2023-12-31T23:59:59.999999999", "2023-12-31"])

    [warning] = _warnings(result, "mixed_date_formats")
    assert warning["details"]["formats"] == {"YYYY-MM-DDThh:mm:ss.fffffffff": 1, "YYYY-MM-DD": 1}
    assert "YYYY-MM-DDThh:mm:ss.fffffffff: 1" in warning["message"]


def test_offsets_keep_written_date_like_parquet(tmp_path):
    # The calendar date as written, in every year: 23:30 at UTC-5 is already the next day in UTC.
    written = ["0001-01-01T00:00:00+01:00", "2023-01-01T23:30:00-05:00", "2023-01-01T00:30:00+01:00"]
    _result, stored = _ingest_dates(tmp_path, written)
    from_csv = stored.column("snapshot_date").to_pylist()

    # A Parquet timestamp column has one time zone, so each moment goes in a file of its own zone.
    from_parquet = []
    for index, text in enumerate(written[1:]):
        moment = dt.datetime.fromisoformat(text)
        path = tmp_path / f"zoned_{index}.parquet"
        pq.write_table(pa.table({
            "obligor_id": [1],
            "pd": [0.1],
            "default_flag": [0],
            "snapshot_date": pa.array([moment], pa.timestamp("us", tz=text[-6:])),
        }), path)
        ingest_file(path, path.name, "pd", tmp_path / "from_parquet.parquet")
        from_parquet += pq.read_table(tmp_path / "from_parquet.parquet").column("snapshot_date").to_pylist()

    assert from_csv == [dt.date(1, 1, 1), dt.date(2023, 1, 1), dt.date(2023, 1, 1)]
    assert from_parquet == from_csv[1:]


def test_yyyymm_far_future_warned(tmp_path):
    result, stored = _ingest_dates(tmp_path, ["999912", "202312"])

    assert stored.column("snapshot_date").to_pylist() == [dt.date(9999, 12, 31), dt.date(2023, 12, 31)]
    assert stored.column("snapshot_date_label").to_pylist() == ["999912", "202312"]
    [warning] = _warnings(result, "dates_outside_usual_years")
    details = warning["details"]
    assert details["column"] == "snapshot_date"
    assert details["count"] == 1
    assert details["rows"] == [1]
    assert details["values"] == ["999912"]
    assert details["dates"] == ["9999-12-31"]
    assert 'row 1: "999912" read as 9999-12-31' in warning["message"]
    assert result.quality["roles"]["snapshot_date"]["dates_outside_usual_years"] == 1


def test_day_month_year_digits_warned(tmp_path):
    # 150612 meant as 15 June 2012 (DDMMYY) is read as the month 1506-12.
    result, stored = _ingest_dates(tmp_path, ["150612", "201206", "0001-01-01", "2100-12-31", "1900-01-01"])

    assert stored.column("snapshot_date").to_pylist()[:2] == [dt.date(1506, 12, 31), dt.date(2012, 6, 30)]
    [warning] = _warnings(result, "dates_outside_usual_years")
    assert warning["details"]["count"] == 2
    assert warning["details"]["rows"] == [1, 3]
    assert warning["details"]["dates"] == ["1506-12-31", "0001-01-01"]


def test_usual_dates_not_warned(tmp_path):
    result, _stored = _ingest_dates(tmp_path, ["1900-01-01", "2023-12-31", "2100-12-31"])

    assert _warnings(result, "dates_outside_usual_years") == []
    assert "dates_outside_usual_years" not in result.quality["roles"]["snapshot_date"]


def test_parquet_placeholder_date_warned(tmp_path):
    path = tmp_path / "dates.parquet"
    pq.write_table(pa.table({
        "obligor_id": [1, 2, 3],
        "pd": [0.1, 0.2, 0.3],
        "default_flag": [0, 1, 0],
        "snapshot_date": [dt.date(2023, 12, 31), dt.date(9999, 12, 31), None],
    }), path)
    result = ingest_file(path, "dates.parquet", "pd", tmp_path / "stored.parquet")

    [warning] = _warnings(result, "dates_outside_usual_years")
    assert warning["details"]["rows"] == [2]
    assert warning["details"]["values"] == ["9999-12-31"]


def test_warning_counts_rows_after_first_batch(tmp_path):
    dates = ["2023-12-31"] * 70_000 + ["999912"]
    result, _stored = _ingest_dates(tmp_path, dates)

    [warning] = _warnings(result, "dates_outside_usual_years")
    assert warning["details"]["rows"] == [70_001]
