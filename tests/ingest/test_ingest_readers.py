"""Readers: format sniffing, CSV details, options, restarts, Parquet and XLSX inputs."""

from __future__ import annotations

import datetime as dt
import gzip
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import mmt.ingest.columns as columns_module
import mmt.ingest.csv_source as csv_module
import mmt.ingest.pipeline as pipeline_module
import mmt.ingest.sniff as sniff_module
import mmt.ingest.xlsx_source as xlsx_module
from mmt.errors import PayloadTooLargeError, UnreadableFileError, ValidationError
from mmt.ingest import MODEL_TYPES, ingest_file, role_specs

HEADER = "obligor_id,pd,default_flag"


def write(tmp_path: Path, data: bytes | str, name: str = "upload.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def ingest(path: Path, model_type: str = "pd", **kwargs):
    return ingest_file(path, path.name, model_type, path.parent / "out.parquet", **kwargs)


def error_of(path: Path, model_type: str = "pd", **kwargs):
    (path.parent / "out.parquet").unlink(missing_ok=True)
    with pytest.raises((ValidationError, UnreadableFileError, PayloadTooLargeError)) as caught:
        ingest(path, model_type, **kwargs)
    assert not (path.parent / "out.parquet").exists()
    return caught.value


def read(path: Path) -> dict:
    return pq.read_table(path.parent / "out.parquet").to_pydict()


# -- format sniffing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "detected"),
    [
        (gzip.compress(b"a,b\n1,2\n"), "a gzip archive"),
        (b"%PDF-1.7 something", "a PDF document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "ole2"),
        (b"a,b\n\x00\x01\x02,3\n", "binary"),
        (b"a,b\n" + b"\x01\x02\x03\x04,5\n" * 20, "binary"),
    ],
)
def test_binary_content_rejected(tmp_path, content, detected):
    error = error_of(write(tmp_path, content))
    assert error.status == 415
    assert error.details["detected"] == detected


def test_old_xls_message(tmp_path):
    error = error_of(write(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.xls"))
    assert ".xls" in error.message


def test_zip_without_workbook(tmp_path):
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    error = error_of(path)
    assert error.code == "unreadable_file"
    assert "not an Excel workbook" in error.message


def test_damaged_zip(tmp_path):
    error = error_of(write(tmp_path, b"PK\x03\x04" + b"garbage" * 10, "broken.xlsx"))
    assert error.code == "unreadable_file"


def test_blank_text_is_empty(tmp_path):
    assert error_of(write(tmp_path, "\n  \n\t\n")).code == "empty_file"
    assert error_of(write(tmp_path, b"\xef\xbb\xbf")).code == "empty_file"


def test_utf16_with_bom(tmp_path):
    text = "obligor_id\tpd\tdefault_flag\tsector\r\nA1\t0,5\t1\tBâtiment\r\n"
    result = ingest(write(tmp_path, text.encode("utf-16")))
    assert result.source_format["encoding"] == "utf-16-le"
    assert result.source_format["delimiter"] == "\t"
    assert read(tmp_path / "upload.csv") == {
        "obligor_id": ["A1"],
        "pd": [0.5],
        "default_flag": [1],
        "sector": ["Bâtiment"],
    }


# -- CSV details -----------------------------------------------------------------------


def test_crlf_quotes_and_multiline_values(tmp_path):
    text = 'obligor_id,pd,default_flag,note\r\nA1,0.1,0,"two\r\nlines"\r\n\r\nA2,0.2,1,"say ""hi"""\r\nA3,abc,0,x\r\n'
    path = write(tmp_path, text)
    error = error_of(path)
    assert error.code == "non_numeric"
    assert error.details["rows"] == [3]
    assert error.details["lines"] == [6]
    fixed = write(tmp_path, text.replace("abc", "0.3"))
    ingest(fixed)
    assert read(fixed)["note"] == ["two\r\nlines", 'say "hi"', "x"]


def test_header_row_option_skips_title(tmp_path):
    path = write(tmp_path, "Portfolio extract\n\nobligor_id,pd,default_flag\nA1,0.1,0\nA2,x,1\n")
    error = error_of(path, options={"header_row": 2})
    assert error.code == "non_numeric"
    assert error.details["lines"] == [5]
    assert error.details["rows"] == [2]
    fixed = write(tmp_path, "Portfolio extract\n\nobligor_id,pd,default_flag\nA1,0.1,0\nA2,0.2,1\n")
    result = ingest(fixed, options={"header_row": 2})
    assert result.n_rows == 2
    assert result.source_format["header_row"] == 2


def test_header_row_beyond_file(tmp_path):
    error = error_of(write(tmp_path, f"{HEADER}\nA1,0.1,0\n"), options={"header_row": 5})
    assert error.code == "invalid_option"


def test_explicit_delimiter_and_encoding(tmp_path):
    path = write(tmp_path, "obligor_id|pd|default_flag|sector\nA1|0.1|0|Bâtiment\n".encode("cp1252"))
    result = ingest(path, options={"delimiter": "|", "encoding": "cp1252"})
    assert result.source_format["delimiter"] == "|"
    assert result.source_format["encoding"] == "cp1252"
    assert read(path)["sector"] == ["Bâtiment"]


def test_explicit_encoding_that_fails(tmp_path):
    path = write(tmp_path, "obligor_id,pd,default_flag,s\nA1,0.1,0,é\n".encode("cp1252"))
    error = error_of(path, options={"encoding": "utf-8"})
    assert error.code == "unreadable_file"
    assert error.details["encoding"] == "utf-8"


def test_unnamed_column_with_values(tmp_path):
    error = error_of(write(tmp_path, "obligor_id,pd,,default_flag\nA1,0.1,,0\nA2,0.2,x,1\n"))
    assert error.code == "unnamed_column"
    assert error.details["column_number"] == 3
    assert error.details["rows"] == [2]
    assert error.details["lines"] == [3]


def test_unnamed_empty_column_dropped(tmp_path):
    result = ingest(write(tmp_path, "obligor_id,,pd,default_flag\nA1,,0.1,0\n"))
    assert result.columns == ["obligor_id", "pd", "default_flag"]
    assert result.quality["dropped_columns"] == [{"column_number": 2, "reason": "no name and no values"}]


def test_duplicate_names_after_trimming_and_case(tmp_path):
    error = error_of(write(tmp_path, "obligor_id, PD ,pd,default_flag\nA1,0.1,0.1,0\n"))
    assert error.code == "duplicate_columns"
    assert error.details["duplicates"] == {"PD": [2, 3]}


def test_unclosed_quote_short_row(tmp_path):
    # A quote that never closes swallows the rest of the file into one field, so the row has
    # too few fields. The error names the quote rather than the field count.
    error = error_of(write(tmp_path, f'{HEADER}\nA1,0.1,0\nA2,"0.2,1\nA3,0.3,0\n'))
    assert error.code == "unclosed_quote"
    assert error.details == {"line": 3, "column": None}


# -- restarts --------------------------------------------------------------------------


def test_later_block_widens_feature_types(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_module, "BLOCK_SIZE", 4096)
    monkeypatch.setattr(columns_module, "SAMPLE_ROWS", 10)
    lines = [f"{HEADER},amount,code,grade"]
    values = []
    for index in range(3000):
        amount = str(index) if index < 1000 else (f"{index}.5" if index < 2000 else f"n{index}")
        values.append(amount)
        lines.append(f"A{index},0.1,0,{index},{index},{index % 9 + 1 if index < 2500 else 'D'}")
        lines[-1] = f"A{index},0.1,0,{amount},{index},{index % 9 + 1 if index < 2500 else 'D'}"
    path = write(tmp_path, "\n".join(lines) + "\n")
    result = ingest(path)
    data = read(path)
    assert data["amount"] == values
    assert data["code"] == list(range(3000))
    assert data["rating"] == [str(index % 9 + 1) if index < 2500 else "D" for index in range(3000)]
    assert result.quality["columns"]["amount"]["dtype"] == "string"


def test_later_block_float_feature(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_module, "BLOCK_SIZE", 4096)
    monkeypatch.setattr(columns_module, "SAMPLE_ROWS", 10)
    rows = [f"A{index},0.1,0,{index if index < 1500 else index + 0.25}" for index in range(3000)]
    path = write(tmp_path, f"{HEADER},amount\n" + "\n".join(rows) + "\n")
    ingest(path)
    assert read(path)["amount"] == [float(index) if index < 1500 else index + 0.25 for index in range(3000)]


def test_later_block_encoding_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_module, "BLOCK_SIZE", 4096)
    monkeypatch.setattr(sniff_module, "SAMPLE_BYTES", 200)
    rows = [f"A{index},0.1,0,plain" for index in range(2000)] + ["B1,0.2,1,Bâtiment", "B2,0.3,1,x\x81y"]
    data = (f"{HEADER},sector\n" + "\n".join(rows) + "\n").encode("latin-1")
    path = write(tmp_path, data)
    result = ingest(path)
    assert result.source_format["encoding"] == "latin-1"
    assert read(path)["sector"][-2:] == ["Bâtiment", "x\x81y"]


def test_later_block_cp1252(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_module, "BLOCK_SIZE", 4096)
    monkeypatch.setattr(sniff_module, "SAMPLE_BYTES", 200)
    rows = [f"A{index},0.1,0,plain" for index in range(2000)] + ["B1,0.2,1,Bâtiment €"]
    path = write(tmp_path, (f"{HEADER},sector\n" + "\n".join(rows) + "\n").encode("cp1252"))
    result = ingest(path)
    assert result.source_format["encoding"] == "cp1252"
    assert read(path)["sector"][-1] == "Bâtiment €"


# -- limits and options ------------------------------------------------------------------


def test_max_rows(tmp_path):
    path = write(tmp_path, HEADER + "\n" + "".join(f"A{index},0.1,0\n" for index in range(50)))
    error = error_of(path, max_rows=10)
    assert isinstance(error, PayloadTooLargeError)
    assert error.code == "too_many_rows"
    assert error.status == 413
    assert ingest(path, max_rows=50).n_rows == 50


def test_too_many_columns(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline_module, "MAX_COLUMNS", 3)
    error = error_of(write(tmp_path, f"{HEADER},extra\nA1,0.1,0,1\n"))
    assert error.code == "too_many_columns"


@pytest.mark.parametrize(
    "options",
    [
        {"colour": "red"},
        {"delimiter": ":"},
        {"decimal": ";"},
        {"thousands": "x"},
        {"decimal": ",", "thousands": ","},
        {"header_row": 0},
        {"header_row": "first"},
        {"date_format": "dd/mm/yyyy"},
        {"encoding": "klingon"},
    ],
)
def test_invalid_options(tmp_path, options):
    error = error_of(write(tmp_path, f"{HEADER}\nA1,0.1,0\n"), options=options)
    assert error.code == "invalid_option"


def test_space_thousands_option(tmp_path):
    path = write(tmp_path, "obligor_id;pd;default_flag;amount\nA1;0,1;0;1 234,5\nA2;0,2;1;12 000\n")
    result = ingest(path, options={"delimiter": "tab" if False else ";", "decimal": ",", "thousands": "space"})
    assert read(path)["amount"] == [1234.5, 12000.0]
    assert result.source_format["thousands"] == " "


def test_space_thousands_detected(tmp_path):
    path = write(tmp_path, "obligor_id;pd;default_flag;amount\nA1;0,1;0;1\u00a0234,5\nA2;0,2;1;12 000\n")
    ingest(path)
    assert read(path)["amount"] == [1234.5, 12000.0]


def test_unknown_model_type(tmp_path):
    error = error_of(write(tmp_path, f"{HEADER}\nA1,0.1,0\n"), model_type="cds")
    assert error.code == "unknown_model_type"


def test_role_specs_cover_model_types():
    for model_type in MODEL_TYPES:
        specs = role_specs(model_type)
        assert specs
        assert all(spec.to_dict()["name"] == spec.name for spec in specs)
    assert [spec.name for spec in role_specs("pd")] == [spec.name for spec in role_specs("pd_baseline")]


# -- Parquet input -----------------------------------------------------------------------


def test_parquet_input(tmp_path):
    table = pa.table(
        {
            "Obligor_ID": ["A1", "A2", None],
            "PD": [0.1, 0.2, None],
            "Def_Flag": pa.array([0, 1, 1], pa.int64()),
            "Snapshot_Date": pa.array([dt.date(2024, 3, 31)] * 3, pa.date32()),
            "sector": pa.array(["x", "y", "x"]).dictionary_encode(),
            "weight": pa.array([1.5, None, 2.0]),
        }
    )
    source = tmp_path / "input.parquet"
    pq.write_table(table, source)
    result = ingest_file(source, "input.parquet", "pd", tmp_path / "out.parquet")
    data = pq.read_table(tmp_path / "out.parquet").to_pydict()
    assert result.source_format["format"] == "parquet"
    assert data["obligor_id"] == ["A1", "A2", None]
    assert data["pd"] == [0.1, 0.2, None]
    assert data["default_flag"] == [0, 1, 1]
    assert data["snapshot_date"] == [dt.date(2024, 3, 31)] * 3
    assert data["sector"] == ["x", "y", "x"]
    assert data["weight"] == [1.5, None, 2.0]


def test_parquet_bad_values_have_no_lines(tmp_path):
    source = tmp_path / "input.parquet"
    pq.write_table(pa.table({"pd": [0.1, 1.5], "default_flag": [0, 1]}), source)
    error = error_of(source)
    assert error.code == "out_of_range"
    assert error.details["rows"] == [2]
    assert error.details["lines"] == [None]


def test_parquet_nested_rejected(tmp_path):
    source = tmp_path / "input.parquet"
    pq.write_table(pa.table({"pd": [0.1], "default_flag": [0], "tags": [["a", "b"]]}), source)
    error = error_of(source)
    assert error.code == "unreadable_file"
    assert error.details["columns"] == ["tags"]


def test_parquet_damaged(tmp_path):
    error = error_of(write(tmp_path, b"PAR1" + b"\x00junk" * 20, "broken.parquet"))
    assert error.code == "unreadable_file"


def test_parquet_without_rows(tmp_path):
    source = tmp_path / "input.parquet"
    pq.write_table(pa.table({"pd": pa.array([], pa.float64()), "default_flag": pa.array([], pa.int64())}), source)
    assert error_of(source).code == "no_data_rows"


# -- XLSX input --------------------------------------------------------------------------


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_sheet_choice(tmp_path):
    path = workbook(
        tmp_path / "book.xlsx",
        {
            "notes": [],
            "first": [["obligor_id", "pd", "default_flag"], ["A1", 0.1, 0]],
            "second": [["obligor_id", "pd", "default_flag"], ["B1", 0.2, 1], ["B2", 0.3, 0]],
        },
    )
    assert ingest(path).source_format["sheet"] == "first"
    assert ingest(path, options={"sheet": "second"}).n_rows == 2
    assert ingest(path, options={"sheet": 3}).source_format["sheet"] == "second"
    assert ingest(path, options={"sheet": "2"}).source_format["sheet"] == "first"
    error = error_of(path, options={"sheet": "missing"})
    assert error.code == "invalid_option"
    assert error.details["sheets"] == ["notes", "first", "second"]


def test_xlsx_empty_and_header_only(tmp_path):
    assert error_of(workbook(tmp_path / "empty.xlsx", {"data": []})).code == "empty_file"
    assert (
        error_of(workbook(tmp_path / "header.xlsx", {"data": [["obligor_id", "pd", "default_flag"]]})).code
        == "no_data_rows"
    )


def test_xlsx_header_row_out_of_sheet(tmp_path):
    path = workbook(tmp_path / "book.xlsx", {"data": [["obligor_id", "pd", "default_flag"], ["A1", 0.1, 0]]})
    assert error_of(path, options={"header_row": 9}).code == "invalid_option"


def test_xlsx_cell_types(tmp_path):
    rows = [
        ["obligor_id", "pd", "default_flag", "snapshot_date", "opened", "active", "limit", "rating"],
        [101, 0.1, True, dt.date(2024, 3, 31), dt.datetime(2020, 1, 2, 3, 4), True, 1000, 3],
        [102, 0.2, False, dt.datetime(2024, 6, 30), dt.datetime(2021, 5, 6, 7, 8), False, 1500.5, 4],
    ]
    path = workbook(tmp_path / "book.xlsx", {"data": rows})
    ingest(path)
    data = read(path)
    assert data["obligor_id"] == ["101", "102"]
    assert data["default_flag"] == [1, 0]
    assert data["snapshot_date"] == [dt.date(2024, 3, 31), dt.date(2024, 6, 30)]
    assert data["opened"] == [dt.datetime(2020, 1, 2, 3, 4), dt.datetime(2021, 5, 6, 7, 8)]
    assert data["active"] == [True, False]
    assert data["limit"] == [1000.0, 1500.5]
    assert data["rating"] == [3, 4]


def test_xlsx_text_in_number_column(tmp_path):
    rows = [["obligor_id", "pd", "default_flag"], ["A1", 0.1, 0], ["A2", "n/a", 1], ["A3", dt.date(2024, 1, 1), 0]]
    error = error_of(workbook(tmp_path / "book.xlsx", {"data": rows}))
    assert error.code == "non_numeric"
    assert error.details["rows"] == [2, 3]
    assert error.details["lines"] == [3, 4]
    assert "sheet row 3" in error.message


def test_xlsx_date_cells_in_number_role(tmp_path):
    rows = [["obligor_id", "pd", "default_flag"], ["A1", dt.date(2024, 1, 1), 0]]
    error = error_of(workbook(tmp_path / "book.xlsx", {"data": rows}))
    assert error.code == "non_numeric"


def test_xlsx_note_row_and_feature_formula(tmp_path):
    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["obligor_id", "pd", "default_flag", "weight"])
    sheet.append(["A1", 0.1, 0, 1])
    sheet.append(["A2", 0.2, 1, "=D2*2"])
    sheet.append([None, None, None, "source: risk data mart"])
    book.save(path)
    result = ingest(path)
    assert result.n_rows == 2
    codes = [warning["code"] for warning in result.warnings]
    assert "footer_row_excluded" in codes
    formula = next(warning for warning in result.warnings if warning["code"] == "formula_without_value")
    assert formula["details"]["cells"] == ["D3"]
    assert read(path)["weight"] == [1, None]


def test_xlsx_merged_range_beyond_data(tmp_path):
    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["obligor_id", "pd", "default_flag", "segment"])
    sheet.append(["A1", 0.1, 0, "Retail"])
    sheet.append(["A2", 0.2, 1, None])
    sheet.merge_cells("D2:D3")
    book.save(path)
    ingest(path)
    assert read(path)["segment"] == ["Retail", "Retail"]


# -- decompression bombs ------------------------------------------------------------------


def zipped_workbook(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def test_workbook_expanding_too_far(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_module, "MAX_UNCOMPRESSED_BYTES", 1000)
    path = zipped_workbook(tmp_path / "big.xlsx", {"xl/workbook.xml": b"<workbook/>" * 200})
    error = error_of(path)
    assert error.code == "workbook_too_large"
    assert error.status == 413


def test_workbook_with_too_many_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_module, "MAX_ARCHIVE_MEMBERS", 3)
    path = zipped_workbook(tmp_path / "parts.xlsx", {f"xl/part{index}.xml": b"<x/>" for index in range(5)})
    error = error_of(path)
    assert error.code == "unreadable_file"
    assert error.details["parts"] == 5


def test_workbook_part_compressing_like_a_bomb(tmp_path):
    path = zipped_workbook(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": b"\0" * (4 * 1024 * 1024)})
    error = error_of(path)
    assert error.code == "unreadable_file"
    assert error.details["part"] == "xl/worksheets/sheet1.xml"
