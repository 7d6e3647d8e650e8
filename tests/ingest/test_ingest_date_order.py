"""Day/month order of a date column, settled by the values that can only be read one way."""

from __future__ import annotations

import datetime as dt
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmt.errors import ValidationError
from mmt.ingest import csv_source, ingest_file
from mmt.ingest.dates import DAY_FIRST, MONTH_FIRST, DateParser, parse_date_text

HEADER = "obligor_id,pd,default_flag,snapshot_date\n"


def _write(tmp_path, dates: list[str]):
    rows = "".join(f"{index},0.1,{index % 2},{value}\n" for index, value in enumerate(dates, 1))
    path = tmp_path / "dates.csv"
    path.write_text(HEADER + rows)
    return path


def _ingest(tmp_path, dates: list[str]):
    path = _write(tmp_path, dates)
    result = ingest_file(path, "dates.csv", "pd", tmp_path / "stored.parquet")
    return result, pq.read_table(tmp_path / "stored.parquet")["snapshot_date"].to_pylist()


def _rejected(tmp_path, dates: list[str]) -> ValidationError:
    path = _write(tmp_path, dates)
    with pytest.raises(ValidationError) as caught:
        ingest_file(path, "dates.csv", "pd", tmp_path / "stored.parquet")
    assert not (tmp_path / "stored.parquet").exists()
    return caught.value


def test_single_texts_carry_their_order():
    assert parse_date_text("13/04/2023").order == DAY_FIRST
    assert parse_date_text("04/13/2023").order == MONTH_FIRST
    ambiguous = parse_date_text("03/04/2023")
    assert ambiguous.error == "ambiguous"
    # 3 April 2023 and 4 March 2023 as days since 1970-01-01.
    assert ambiguous.readings == (19450, 19420, "/")
    assert parse_date_text("05/05/2023").order is None
    # An impossible day-first date decides nothing.
    assert parse_date_text("31/02/2023").order is None
    assert parse_date_text("31/02/2023").error == "invalid"


def test_day_first_value_settles_the_column(tmp_path):
    result, stored = _ingest(tmp_path, ["13/04/2023", "03/04/2023", "03/04/2023", "12/01/2024"])
    assert stored == [dt.date(2023, 4, 13), dt.date(2023, 4, 3), dt.date(2023, 4, 3), dt.date(2024, 1, 12)]
    assert result.quality["roles"]["snapshot_date"]["formats"] == {"DD/MM/YYYY": 4}
    assert not [warning for warning in result.warnings if warning["code"] == "mixed_date_formats"]
    order = result.quality["roles"]["snapshot_date"]["day_month_order"]
    assert order["order"] == DAY_FIRST
    assert order["deciding_values"] == ["13/04/2023"]
    assert order["resolved_values"] == ["03/04/2023", "12/01/2024"]
    (warning,) = [warning for warning in result.warnings if warning["code"] == "date_order_inferred"]
    assert warning["details"]["column"] == "snapshot_date"
    assert "03/04/2023" in warning["message"]
    assert "day first" in warning["message"]
    assert "date_format" in warning["message"]


def test_unambiguous_column_has_no_order_warning(tmp_path):
    result, _ = _ingest(tmp_path, ["13/04/2023", "28/02/2024"])
    assert "day_month_order" not in result.quality["roles"]["snapshot_date"]
    assert not [warning for warning in result.warnings if warning["code"] == "date_order_inferred"]


def test_month_first_value_settles_the_column(tmp_path):
    _result, stored = _ingest(tmp_path, ["03.04.2023", "04.13.2023", "12.01.2024"])
    assert stored == [dt.date(2023, 3, 4), dt.date(2023, 4, 13), dt.date(2024, 12, 1)]


def test_undecided_column_is_rejected_naming_rows(tmp_path):
    error = _rejected(tmp_path, ["03/04/2023", "05/05/2023", "05/06/2023"])
    assert error.code == "ambiguous_date"
    assert error.details["rows"] == [1, 3]
    assert error.details["values"] == ["03/04/2023", "05/06/2023"]
    assert "date_format" in error.message or "%d/%m/%Y" in error.message


def test_column_with_both_orders_is_rejected(tmp_path):
    error = _rejected(tmp_path, ["13/04/2023", "04/13/2023", "03/04/2023"])
    assert error.code == "ambiguous_date"
    assert error.details["rows"] == [3]
    assert error.details["values"] == ["03/04/2023"]


def test_both_orders_without_ambiguous_values_stay_mixed_formats(tmp_path):
    result, stored = _ingest(tmp_path, ["13/04/2023", "04/13/2023"])
    assert stored == [dt.date(2023, 4, 13)] * 2
    assert any(warning["code"] == "mixed_date_formats" for warning in result.warnings)


def test_two_digit_year_stays_ambiguous(tmp_path):
    error = _rejected(tmp_path, ["13/04/2023", "03/04/23"])
    assert error.code == "ambiguous_date"
    assert error.details["values"] == ["03/04/23"]


def test_date_format_option_still_wins(tmp_path):
    path = _write(tmp_path, ["13/04/2023", "03/04/2023"])
    ingest_file(path, "dates.csv", "pd", tmp_path / "stored.parquet", options={"date_format": "%m/%d/%Y"})
    stored = pq.read_table(tmp_path / "stored.parquet")["snapshot_date"].to_pylist()
    # 13/04/2023 does not fit the format, so the rules read it day-first. 03/04/2023 fits the format.
    assert stored == [dt.date(2023, 4, 13), dt.date(2023, 3, 4)]


def test_order_note_names_the_deciding_values():
    parser = DateParser()
    assert parser.order_note() is None
    parser.parse(pa.array(["13/04/2023", " 03/04/2023", "31/12/2023", "01/02/2024", None]))
    assert parser.order_note() == {
        "order": DAY_FIRST,
        "deciding_values": ["13/04/2023", "31/12/2023"],
        "resolved_count": 2,
        "resolved_values": ["01/02/2024", "03/04/2023"],
    }


def test_later_batch_uses_the_order_settled_earlier():
    parser = DateParser()
    first = parser.parse(pa.array(["13/04/2023", "03/04/2023"]))
    second = parser.parse(pa.array(["05/06/2023"]))
    assert first.ambiguous.to_pylist() == [False, False]
    assert second.dates.to_pylist() == [dt.date(2023, 6, 5)]
    assert second.formats == {"DD/MM/YYYY": 1}


def test_later_contradiction_rejects_instead_of_keeping_wrong_dates():
    parser = DateParser()
    parser.parse(pa.array(["13/04/2023", "03/04/2023"]))
    later = parser.parse(pa.array(["04/13/2023", "05/06/2023", "2023-12-31"]))
    # The earlier 03/04/2023 was read as 3 April. A month-first value now makes the column
    # ambiguous, so the contradicting value and the ambiguous one are flagged.
    assert later.ambiguous.to_pylist() == [True, True, False]
    assert later.dates.to_pylist() == [None, None, dt.date(2023, 12, 31)]


def test_contradiction_before_any_ambiguous_value_keeps_unambiguous_values():
    parser = DateParser()
    parser.parse(pa.array(["13/04/2023"]))
    later = parser.parse(pa.array(["04/13/2023", "03/04/2023"]))
    assert later.ambiguous.to_pylist() == [False, True]
    assert later.dates.to_pylist() == [dt.date(2023, 4, 13), None]


def test_contradiction_across_file_blocks_is_rejected(tmp_path, monkeypatch):
    # Small blocks make the month-first values arrive in a later batch than the
    # ambiguous ones read day-first.
    monkeypatch.setattr(csv_source, "BLOCK_SIZE", 1 << 12)
    dates = ["13/04/2023", "03/04/2023"] * 200 + ["04/13/2023"] * 200
    error = _rejected(tmp_path, dates)
    assert error.code == "ambiguous_date"
    # Every month-first value and the 03/04/2023 rows of its own block are flagged. The earlier
    # blocks' 03/04/2023 rows were already written, so the whole upload is rejected.
    assert 200 < error.details["count"] < 400
    assert 401 in error.details["rows"]
    assert set(error.details["values"]) == {"03/04/2023", "04/13/2023"}
    # The message names the values that settled the order and those that contradict it.
    assert "read day first because of values such as 13/04/2023" in str(error)
    assert "values such as 04/13/2023 can only be read month first" in str(error)


def test_upload_api_date_order(client):
    decided = (HEADER + "1,0.1,0,13/04/2023\n2,0.2,1,03/04/2023\n").encode()
    response = client.post(
        "/api/upload/pd", data={"file": (io.BytesIO(decided), "decided.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 200, response.get_json()
    (warning,) = [item for item in response.get_json()["warnings"] if item["code"] == "date_order_inferred"]
    assert warning["message"].startswith('Column "snapshot_date" has 1 distinct date such as 03/04/2023 ')
    undecided = (HEADER + "1,0.1,0,03/04/2023\n2,0.2,1,05/04/2023\n").encode()
    response = client.post(
        "/api/upload/pd", data={"file": (io.BytesIO(undecided), "undecided.csv")}, content_type="multipart/form-data"
    )
    body = response.get_json()
    assert response.status_code == 422
    assert body["code"] == "ambiguous_date"
    assert body["details"]["values"] == ["03/04/2023", "05/04/2023"]
    assert "row 1" in body["error"]
    assert "%d/%m/%Y" in body["error"]


def test_ambiguous_batch_before_deciding_one():
    parser = DateParser()
    first = parser.parse(pa.array(["03/04/2023"]))
    second = parser.parse(pa.array(["13/04/2023", "03/04/2023"]))
    # The first batch is written before the deciding value arrives, so it stays rejected.
    assert first.ambiguous.to_pylist() == [True]
    assert second.ambiguous.to_pylist() == [False, False]
    assert second.dates.to_pylist() == [dt.date(2023, 4, 13), dt.date(2023, 4, 3)]
