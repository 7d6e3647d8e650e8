"""Infinite values and whole numbers too large for doubles in numeric feature columns.

A CSV feature with ``inf`` is stored as floats, as a Parquet float column
is, and both get the same ``infinite_values`` warning. A CSV feature stored
as floats because of a number beyond the int64 range gets a
``large_integers_rounded`` warning with the values as written and as stored.
"""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmt.errors import ValidationError
from mmt.ingest import ingest_file

HEADER = "obligor_id,pd,default_flag,feature\n"


def _ingest_csv(tmp_path, feature_values: list[str], *, separator: str = ",", pd_text: str = "0.1"):
    lines = [HEADER.replace(",", separator)]
    for index, value in enumerate(feature_values, 1):
        lines.append(separator.join([str(index), pd_text, str(index % 2), value]) + "\n")
    path = tmp_path / "upload.csv"
    path.write_text("".join(lines))
    result = ingest_file(path, "upload.csv", "pd", tmp_path / "stored.parquet")
    return result, pq.read_table(tmp_path / "stored.parquet").column("feature")


def _warnings(result, code: str) -> list[dict]:
    return [warning for warning in result.warnings if warning["code"] == code]


# -- whole numbers beyond 2**53 ------------------------------------------------------


def test_integer_beyond_int64_warns_of_rounding(tmp_path):
    written = ["5", "18446744073709551617", "7", "-9007199254740993"]
    result, stored = _ingest_csv(tmp_path, written)

    assert stored.type == pa.float64()
    assert stored.to_pylist() == [float(int(value)) for value in written]
    [warning] = _warnings(result, "large_integers_rounded")
    details = warning["details"]
    assert details["column"] == "feature"
    assert details["count"] == 2
    assert details["rows"] == [2, 4]
    assert details["values"] == ["18446744073709551617", "-9007199254740993"]
    # 2**64 + 1 and -(2**53 + 1) are halfway cases that round to the even neighbours 2**64 and -2**53.
    assert details["stored_values"] == [str(2**64), str(-(2**53))]
    assert '"18446744073709551617" stored as 18446744073709551616' in warning["message"]
    assert "15 to 17 significant digits" in warning["message"]


def test_int64_column_has_no_rounding_warning(tmp_path):
    written = ["123456789012345678", "9007199254740993", "-5"]
    result, stored = _ingest_csv(tmp_path, written)

    assert stored.type == pa.int64()
    assert stored.to_pylist() == [int(value) for value in written]
    assert _warnings(result, "large_integers_rounded") == []


def test_decimal_column_warns_only_of_large_integers(tmp_path):
    written = ["0.5", "123456789012345678901.5", "12345678901234567890", "1e300", "2.25"]
    result, stored = _ingest_csv(tmp_path, written)

    assert stored.type == pa.float64()
    [warning] = _warnings(result, "large_integers_rounded")
    assert warning["details"]["count"] == 1
    assert warning["details"]["rows"] == [3]
    assert warning["details"]["stored_values"] == [str(int(float("12345678901234567890")))]


def test_rounding_warning_after_column_widened(tmp_path):
    # The sample of the first batch contains small integers only, so the column starts as int64 and is read again.
    written = [str(index) for index in range(60_000)] + ["99999999999999999999"]
    result, stored = _ingest_csv(tmp_path, written)

    assert stored.type == pa.float64()
    assert stored[-1].as_py() == 1e20
    [warning] = _warnings(result, "large_integers_rounded")
    assert warning["details"]["count"] == 1
    assert warning["details"]["rows"] == [60_001]
    assert warning["details"]["stored_values"] == [str(int(1e20))]


# -- infinite values -----------------------------------------------------------------


def test_csv_infinities_stored_as_floats(tmp_path):
    written = ["1.5", "inf", "-Infinity", "2", "+INF", "n/a", "4.25"]
    result, stored = _ingest_csv(tmp_path, written)

    assert stored.type == pa.float64()
    assert stored.to_pylist() == [1.5, math.inf, -math.inf, 2.0, math.inf, None, 4.25]
    assert _warnings(result, "numbers_kept_as_text") == []
    [warning] = _warnings(result, "infinite_values")
    assert warning["details"] == {"column": "feature", "count": 3, "rows": [2, 3, 5], "values": ["inf", "-inf", "inf"]}
    assert "3 infinite values" in warning["message"]
    figures = result.quality["columns"]["feature"]
    assert figures["infinite"] == 3
    assert figures["missing"] == 1
    assert figures["min"] == 1.5
    assert figures["max"] == 4.25
    assert figures["mean"] == (1.5 + 2 + 4.25) / 3


def test_parquet_infinities_match_csv(tmp_path):
    values = [1.5, math.inf, -math.inf, 2.0, math.inf, None, 4.25]
    csv_result, csv_stored = _ingest_csv(tmp_path, ["1.5", "inf", "-inf", "2", "inf", "", "4.25"])
    path = tmp_path / "upload.parquet"
    pq.write_table(pa.table({
        "obligor_id": [str(index) for index in range(1, 8)],
        "pd": [0.1] * 7,
        "default_flag": [index % 2 for index in range(1, 8)],
        "feature": values,
    }), path)
    result = ingest_file(path, "upload.parquet", "pd", tmp_path / "from_parquet.parquet")
    stored = pq.read_table(tmp_path / "from_parquet.parquet").column("feature")

    assert stored.to_pylist() == values
    assert csv_stored.to_pylist() == values
    assert _warnings(result, "infinite_values") == _warnings(csv_result, "infinite_values")
    assert result.quality["columns"]["feature"] == csv_result.quality["columns"]["feature"]


def test_infinity_in_later_batch_widens_integer_column(tmp_path):
    written = [str(index) for index in range(60_000)] + ["-inf"]
    result, stored = _ingest_csv(tmp_path, written)

    assert stored.type == pa.float64()
    assert stored[-1].as_py() == -math.inf
    assert stored[59_999].as_py() == 59_999.0
    [warning] = _warnings(result, "infinite_values")
    assert warning["details"]["rows"] == [60_001]


def test_infinity_with_decimal_comma(tmp_path):
    result, stored = _ingest_csv(tmp_path, ["1,5", "inf", "2,25"], separator=";", pd_text="0,1")

    assert stored.to_pylist() == [1.5, math.inf, 2.25]
    assert len(_warnings(result, "infinite_values")) == 1


def test_text_column_note_leaves_out_infinity(tmp_path):
    result, stored = _ingest_csv(tmp_path, ["1", "inf", "abc", "2", "3"])

    assert stored.type == pa.string()
    [note] = _warnings(result, "numbers_kept_as_text")
    assert note["details"]["values"] == ["abc"]
    assert note["details"]["rows"] == [3]


def test_column_of_infinities_only_stays_text(tmp_path):
    result, stored = _ingest_csv(tmp_path, ["inf", "Inf"])

    assert stored.type == pa.string()
    assert _warnings(result, "infinite_values") == []


def test_overflowing_number_is_not_infinity(tmp_path):
    # Only a written infinity is taken as one. 1e999 is beyond the double range and keeps the column text.
    result, stored = _ingest_csv(tmp_path, ["1e999", "1", "2"])

    assert stored.type == pa.string()
    assert _warnings(result, "infinite_values") == []


def test_infinite_pd_still_rejected(tmp_path):
    path = tmp_path / "pd_inf.csv"
    path.write_text("obligor_id,pd,default_flag\n1,0.1,0\n2,inf,1\n")

    with pytest.raises(ValidationError) as caught:
        ingest_file(path, "pd_inf.csv", "pd", tmp_path / "stored.parquet")

    assert caught.value.code == "non_numeric"
    assert caught.value.details["rows"] == [2]
    assert caught.value.details["values"] == ["inf"]
