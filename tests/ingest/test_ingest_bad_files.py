"""Every fixture in data/bad/ gets the answer its MANIFEST.csv asks for."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from mmt.errors import MMTError, UnreadableFileError, ValidationError
from mmt.ingest import ingest_file

BAD = Path(__file__).parents[2] / "data" / "bad"
DEC_31_2023 = dt.date(2023, 12, 31)


def manifest() -> dict[str, dict]:
    with open(BAD / "MANIFEST.csv", newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


# What each manifest row means, written out: (outcome, exception class, code).
EXPECTED = {
    "missing_required_column.csv": ("reject", ValidationError, "missing_column"),
    "non_numeric_pd.csv": ("reject", ValidationError, "non_numeric"),
    "pd_out_of_range.csv": ("reject", ValidationError, "out_of_range"),
    "default_flag_invalid.csv": ("reject", ValidationError, "invalid_default_flag"),
    "empty.csv": ("reject", ValidationError, "empty_file"),
    "header_only.csv": ("reject", ValidationError, "no_data_rows"),
    "semicolon_decimal_comma.csv": ("accept", None, None),
    "latin1_encoded.csv": ("accept", None, None),
    "utf8_bom.csv": ("accept", None, None),
    "valid_pd_germancredit.xlsx": ("accept", None, None),
    "binary_disguised.csv": ("reject", UnreadableFileError, "unreadable_file"),
    "missing_values.csv": ("accept", None, None),
    "ragged_rows.csv": ("reject", ValidationError, "malformed_csv"),
    "duplicate_ids.csv": ("accept", None, None),
    "mixed_date_formats.csv": ("accept", None, None),
    "no_defaults.csv": ("accept", None, None),
    "duplicate_column_names.csv": ("reject", ValidationError, "duplicate_columns"),
    "default_flag_text.csv": ("accept", None, None),
}


def read_reference() -> pd.DataFrame:
    """The 20 clean rows the fixtures were built from, read by pandas."""
    return pd.read_csv(BAD / "no_defaults.csv")


def test_manifest_lists_every_fixture():
    listed = set(manifest())
    on_disk = {path.name for path in BAD.iterdir() if path.name != "MANIFEST.csv"}
    assert listed == on_disk
    assert listed == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_outcome(name, tmp_path):
    outcome, error_class, code = EXPECTED[name]
    row = manifest()[name]
    assert row["mmt_expects"].startswith(outcome)
    target = tmp_path / "out.parquet"
    if outcome == "reject":
        with pytest.raises(error_class) as caught:
            ingest_file(BAD / name, name, "pd", target)
        assert caught.value.code == code
        assert 400 <= caught.value.status < 500
        assert not target.exists()
        assert list(tmp_path.iterdir()) == []
    else:
        result = ingest_file(BAD / name, name, "pd", target)
        assert target.exists()
        assert result.n_rows == 20
        assert pq.read_table(target).num_rows == 20


def reject(name: str, tmp_path: Path) -> MMTError:
    with pytest.raises(MMTError) as caught:
        ingest_file(BAD / name, name, "pd", tmp_path / "out.parquet")
    return caught.value


def test_missing_column_names_role_and_aliases(tmp_path):
    error = reject("missing_required_column.csv", tmp_path)
    assert error.details["role"] == "default_flag"
    assert "def_flag" in error.details["accepted"]["default_flag"]
    assert "default_flag" in error.message
    assert "def_flag" in error.message
    assert "Accepted column names for default_flag: default_flag, def_flag," in error.message
    assert "rating_grade" in error.details["columns_found"]


def test_non_numeric_pd_names_rows_and_values(tmp_path):
    error = reject("non_numeric_pd.csv", tmp_path)
    assert error.details["column"] == "pd"
    assert error.details["count"] == 3
    assert error.details["rows"] == [3, 6, 10]
    assert error.details["lines"] == [4, 7, 11]
    assert error.details["values"] == ["n/a", "abc", "0,05"]
    for text in ('"pd"', "row 3", "line 4", '"n/a"', '"abc"', '"0,05"'):
        assert text in error.message


def test_out_of_range_names_rows_and_values(tmp_path):
    error = reject("pd_out_of_range.csv", tmp_path)
    assert error.details["column"] == "pd"
    assert error.details["rows"] == [2, 5, 8]
    assert error.details["lines"] == [3, 6, 9]
    assert error.details["values"] == ["-0.1", "1.2", "3.5"]
    assert "[0, 1]" in error.message


def test_invalid_default_flag_names_rows(tmp_path):
    error = reject("default_flag_invalid.csv", tmp_path)
    assert error.details["rows"] == [4, 9]
    assert error.details["lines"] == [5, 10]
    assert error.details["values"] == ["2", "2"]
    assert "0 (no default) or 1 (default)" in error.message
    assert "row 4" in error.message


def test_empty_file_message(tmp_path):
    error = reject("empty.csv", tmp_path)
    assert "empty" in error.message


def test_header_only_message(tmp_path):
    error = reject("header_only.csv", tmp_path)
    assert "no data rows" in error.message


def test_binary_message(tmp_path):
    error = reject("binary_disguised.csv", tmp_path)
    assert error.status == 415
    assert "PNG" in error.message


def test_ragged_rows_name_lines(tmp_path):
    error = reject("ragged_rows.csv", tmp_path)
    assert error.details["lines"] == [5, 8]
    assert error.details["fields"] == [9, 7]
    assert error.details["count"] == 2
    assert "line 5" in error.message
    assert "line 8" in error.message


def test_duplicate_columns_named(tmp_path):
    error = reject("duplicate_column_names.csv", tmp_path)
    assert error.details["duplicates"] == {"pd": [6, 7]}
    assert '"pd"' in error.message


def test_semicolon_file_equals_comma_original(tmp_path):
    result = ingest_file(BAD / "semicolon_decimal_comma.csv", "s.csv", "pd", tmp_path / "out.parquet")
    table = pq.read_table(tmp_path / "out.parquet")
    reference = read_reference()
    assert table["pd"].to_pylist() == reference["pd"].tolist()
    assert table["credit_amount"].to_pylist() == reference["credit_amount"].tolist()
    assert result.source_format["delimiter"] == ";"
    assert result.source_format["decimal"] == ","


def test_latin1_text_decoded(tmp_path):
    result = ingest_file(BAD / "latin1_encoded.csv", "l.csv", "pd", tmp_path / "out.parquet")
    purposes = pq.read_table(tmp_path / "out.parquet")["purpose"].to_pylist()
    expected = pd.read_csv(BAD / "latin1_encoded.csv", encoding="latin-1")["purpose"].tolist()
    assert purposes == expected
    assert "Möbel/Ausstattung" in purposes
    assert "Réparations" in purposes
    assert not any("\ufffd" in text for text in purposes)
    assert result.source_format["encoding"] == "cp1252"


def test_bom_stripped_from_first_name(tmp_path):
    result = ingest_file(BAD / "utf8_bom.csv", "b.csv", "pd", tmp_path / "out.parquet")
    assert result.roles["obligor_id"] == "obligor_id"
    assert result.columns[0] == "obligor_id"
    assert result.source_format["bom"] is True
    purposes = pq.read_table(tmp_path / "out.parquet")["purpose"].to_pylist()
    assert "Bürogeräte" in purposes


def test_xlsx_matches_csv_rows(tmp_path):
    ingest_file(BAD / "valid_pd_germancredit.xlsx", "v.xlsx", "pd", tmp_path / "out.parquet")
    table = pq.read_table(tmp_path / "out.parquet")
    reference = read_reference()
    assert table["obligor_id"].to_pylist() == reference["obligor_id"].tolist()
    assert table["pd"].to_pylist() == reference["pd"].tolist()
    assert table["age_in_years"].to_pylist() == reference["age_in_years"].tolist()
    assert str(table.schema.field("default_flag").type) == "int8"


def test_missing_values_counted(tmp_path):
    result = ingest_file(BAD / "missing_values.csv", "m.csv", "pd", tmp_path / "out.parquet")
    assert result.quality["roles"]["pd"]["missing"] == 2
    assert result.quality["roles"]["default_flag"]["missing"] == 1
    assert result.quality["columns"]["pd"]["missing"] == 2
    codes = [warning["code"] for warning in result.warnings]
    assert codes.count("missing_values") == 2
    flags = pq.read_table(tmp_path / "out.parquet")["default_flag"].to_pylist()
    assert flags[11] is None
    assert flags[1] == 1


def test_duplicate_id_warning(tmp_path):
    result = ingest_file(BAD / "duplicate_ids.csv", "d.csv", "pd", tmp_path / "out.parquet")
    warning = next(item for item in result.warnings if item["code"] == "duplicate_ids")
    assert "GC0005" in warning["message"]
    assert "2023-12-31" in warning["message"]
    assert warning["details"]["examples"] == [{"id": "GC0005", "period": "2023-12-31", "rows": 2}]


def test_mixed_dates_all_read(tmp_path):
    result = ingest_file(BAD / "mixed_date_formats.csv", "m.csv", "pd", tmp_path / "out.parquet")
    dates = pq.read_table(tmp_path / "out.parquet")["snapshot_date"].to_pylist()
    assert dates == [DEC_31_2023] * 20
    warning = next(item for item in result.warnings if item["code"] == "mixed_date_formats")
    assert len(warning["details"]["formats"]) == 5


def test_mixed_dates_with_ambiguous_value(tmp_path):
    text = (BAD / "mixed_date_formats.csv").read_text().replace("GC0020,Dec 31 2023", "GC0020,03/04/2023")
    source = tmp_path / "ambiguous.csv"
    source.write_text(text)
    with pytest.raises(ValidationError) as caught:
        ingest_file(source, "a.csv", "pd", tmp_path / "out.parquet")
    assert caught.value.code == "ambiguous_date"
    assert caught.value.details["rows"] == [20]
    assert caught.value.details["values"] == ["03/04/2023"]
    assert not (tmp_path / "out.parquet").exists()
    ingest_file(source, "a.csv", "pd", tmp_path / "out.parquet", options={"date_format": "%d/%m/%Y"})
    dates = pq.read_table(tmp_path / "out.parquet")["snapshot_date"].to_pylist()
    assert dates[19] == dt.date(2023, 4, 3)
    assert dates[:19] == [DEC_31_2023] * 19


def test_no_defaults_accepted_with_warning(tmp_path):
    result = ingest_file(BAD / "no_defaults.csv", "n.csv", "pd", tmp_path / "out.parquet")
    assert result.quality["roles"]["default_flag"]["defaults"] == 0
    assert result.quality["roles"]["default_flag"]["default_rate"] == 0.0
    assert any(item["code"] == "single_class" for item in result.warnings)


def test_text_flags_mapped(tmp_path):
    result = ingest_file(BAD / "default_flag_text.csv", "t.csv", "pd", tmp_path / "out.parquet")
    flags = pq.read_table(tmp_path / "out.parquet")["default_flag"].to_pylist()
    texts = pd.read_csv(BAD / "default_flag_text.csv")["default_flag"].tolist()
    assert flags == [1 if text == "yes" else 0 for text in texts]
    notes = result.quality["roles"]["default_flag"]
    assert notes["mapped_text"] == {"no": 0, "yes": 1}
    assert notes["mapped_text_rows"] == {"no": texts.count("no"), "yes": texts.count("yes")}
    assert any(item["code"] == "default_flag_text_mapped" for item in result.warnings)
