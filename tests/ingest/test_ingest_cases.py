"""Edge cases of real-world exports: European number formats, encodings, laid-out workbooks."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from mmt.errors import ValidationError
from mmt.ingest import ingest_file

# Case 11: ';' separated, decimal comma, '.' thousands separator. The PD upload needs a
# default flag, so each file gets one extra column; the numbers are those of the case.
E1 = "loan_id;exposure;pd;lgd;default_flag\nL1;1.234,56;0,0125;0,45;0\nL2;980,00;0,0300;0,40;1\nL3;12.500,00;0,1500;0,35;0\n"
E2 = "loan_id;exposure;default_flag\nL1;1.234;0\nL2;980;1\nL3;12.500;0\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read(tmp_path: Path) -> dict:
    return pq.read_table(tmp_path / "out.parquet").to_pydict()


def test_case11_european_numbers(tmp_path):
    path = write(tmp_path, "e1.csv", E1.encode())
    result = ingest_file(path, "e1.csv", "pd", tmp_path / "out.parquet", options={"encoding": "utf-8"})
    data = read(tmp_path)
    assert data["exposure"] == [1234.56, 980.0, 12500.0]
    assert math.fsum(data["exposure"]) == 14714.56
    assert data["pd"] == [0.0125, 0.03, 0.15]
    assert data["lgd"] == [0.45, 0.40, 0.35]
    assert result.source_format["delimiter"] == ";"
    assert result.source_format["decimal"] == ","
    assert result.source_format["number_formats"]["exposure"] == {"decimal": ",", "thousands": "."}


def test_case11_thousands_only_is_ambiguous(tmp_path):
    path = write(tmp_path, "e2.csv", E2.encode())
    with pytest.raises(ValidationError) as caught:
        ingest_file(path, "e2.csv", "pd", tmp_path / "out.parquet", column_mapping={"score": "exposure"})
    assert caught.value.code == "ambiguous_number"
    assert caught.value.details["column"] == "exposure"
    assert caught.value.details["values"] == ["1.234", "12.500"]
    assert not (tmp_path / "out.parquet").exists()


def test_case11_declared_locale(tmp_path):
    path = write(tmp_path, "e2.csv", E2.encode())
    options = {"decimal": ",", "thousands": "."}
    ingest_file(path, "e2.csv", "pd", tmp_path / "out.parquet", column_mapping={"score": "exposure"}, options=options)
    data = read(tmp_path)
    assert data["score"] == [1234.0, 980.0, 12500.0]
    assert sum(data["score"]) == 14714


def test_case11_thousands_settled_by_other_columns(tmp_path):
    text = "loan_id;exposure;pd;default_flag\nL1;1.234;0,5;0\nL2;980;0,25;1\nL3;12.500;0,125;0\n"
    path = write(tmp_path, "e3.csv", text.encode())
    ingest_file(path, "e3.csv", "pd", tmp_path / "out.parquet")
    assert read(tmp_path)["exposure"] == [1234, 980, 12500]


def test_case11_names_real_offending_value(tmp_path):
    text = "a;b;default_flag\na;1,20;0\nb;22,3;1\nc;1.234,56;0\nd;1.23,4;0\n"
    path = write(tmp_path, "bad.csv", text.encode())
    with pytest.raises(ValidationError) as caught:
        ingest_file(path, "bad.csv", "pd", tmp_path / "out.parquet", column_mapping={"pd": "b", "obligor_id": "a"})
    error = caught.value
    assert error.code == "non_numeric"
    assert error.details["rows"] == [4]
    assert error.details["lines"] == [5]
    assert error.details["values"] == ["1.23,4"]
    assert error.details["column"] == "b"


def test_case11_valid_values_before_bad_one(tmp_path):
    text = "a;b;default_flag\na;1,20;0\nb;22,3;1\nc;1.234,56;0\n"
    path = write(tmp_path, "ok.csv", text.encode())
    ingest_file(path, "ok.csv", "pd", tmp_path / "out.parquet", column_mapping={"score": "b"})
    assert read(tmp_path)["score"] == [1.2, 22.3, 1234.56]


def test_case12_bom_and_quoted_header(tmp_path):
    path = write(tmp_path, "f1.csv", b'\xef\xbb\xbf"loan_id","pd","default_flag"\nL1,0.02,0\nL2,0.10,1\n')
    result = ingest_file(path, "f1.csv", "pd", tmp_path / "out.parquet")
    assert result.roles == {"obligor_id": "loan_id", "pd": "pd", "default_flag": "default_flag"}
    assert result.columns == ["obligor_id", "pd", "default_flag"]
    assert result.source_format["encoding"] == "utf-8"
    assert result.source_format["bom"] is True
    assert read(tmp_path)["pd"] == [0.02, 0.10]


def test_case12_latin1_semicolon_decimal_comma(tmp_path):
    text = "obligor;sector;pd;default_flag\nA1;Agroalimentaire - Fabrication de crème;0,02;0\nA2;Bâtiment;0,05;1\n"
    path = write(tmp_path, "f2.csv", text.encode("latin-1"))
    result = ingest_file(path, "f2.csv", "pd", tmp_path / "out.parquet")
    data = read(tmp_path)
    assert data["sector"] == ["Agroalimentaire - Fabrication de crème", "Bâtiment"]
    assert data["pd"] == [0.02, 0.05]
    assert result.source_format["encoding"] == "cp1252"


def test_case12_utf8_not_read_as_latin1(tmp_path):
    path = write(tmp_path, "f3.csv", "obligor;sector;pd;default_flag\nA1;Bâtiment;0,1;0\n".encode("utf-8"))
    result = ingest_file(path, "f3.csv", "pd", tmp_path / "out.parquet")
    assert read(tmp_path)["sector"] == ["Bâtiment"]
    assert result.source_format["encoding"] == "utf-8"


def test_case12_bytes_undefined_in_cp1252(tmp_path):
    path = write(tmp_path, "f4.csv", b"obligor,pd,default_flag,note\nA1,0.1,0,x\x81y\n")
    result = ingest_file(path, "f4.csv", "pd", tmp_path / "out.parquet")
    assert result.source_format["encoding"] == "latin-1"
    assert read(tmp_path)["note"] == ["x\x81y"]


def build_case16(path: Path, formula_in_data: bool = False) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "portfolio"
    sheet["A1"] = "PD monitoring extract Q4 2025"
    sheet.merge_cells("A1:E1")
    sheet["A2"] = "Obligor"
    sheet.merge_cells("A2:B2")
    sheet["C2"] = "Risk parameters"
    sheet.merge_cells("C2:D2")
    sheet["E2"] = "Outcome"
    for column, name in enumerate(["id", "segment", "pd", "lgd", "default_flag"], start=1):
        sheet.cell(3, column, name)
    sheet.append(["L1", "Retail", 0.02, 0.45, 0])
    sheet.append(["L2", None, 0.10, 0.40, 1])
    sheet.append(["L3", "SME", 0.05, 0.35, 0])
    sheet.merge_cells("B4:B5")
    sheet.cell(8, 1, "Total")
    sheet.cell(8, 3, "=AVERAGE(C4:C6)")
    if formula_in_data:
        sheet["C6"] = "=C4*2"
    workbook.save(path)


def test_case16_laid_out_workbook(tmp_path):
    path = tmp_path / "case16.xlsx"
    build_case16(path)
    result = ingest_file(path, "case16.xlsx", "pd", tmp_path / "out.parquet")
    data = read(tmp_path)
    table = pq.read_table(tmp_path / "out.parquet")
    assert data["obligor_id"] == ["L1", "L2", "L3"]
    assert data["segment"] == ["Retail", "Retail", "SME"]
    assert data["pd"] == [0.02, 0.10, 0.05]
    assert data["lgd"] == [0.45, 0.40, 0.35]
    assert data["default_flag"] == [0, 1, 0]
    assert str(table.schema.field("default_flag").type) == "int8"
    assert result.n_rows == 3
    assert result.source_format["header_row"] == 3
    assert result.source_format["sheet"] == "portfolio"
    codes = [warning["code"] for warning in result.warnings]
    assert "merged_cells_filled" in codes
    assert "footer_row_excluded" in codes
    merged = next(item for item in result.warnings if item["code"] == "merged_cells_filled")
    assert merged["details"]["range"] == "B4:B5"
    footer = next(item for item in result.warnings if item["code"] == "footer_row_excluded")
    assert footer["details"]["sheet_row"] == 8
    assert {"reason": "blank row", "count": 1} in result.quality["dropped_rows"]


def test_case16_header_row_option(tmp_path):
    path = tmp_path / "case16.xlsx"
    build_case16(path)
    result = ingest_file(
        path, "case16.xlsx", "pd", tmp_path / "out.parquet", options={"header_row": 3, "sheet": "portfolio"}
    )
    assert result.n_rows == 3
    assert not any(item["code"] == "header_row_detected" for item in result.warnings)


def test_case16_formula_without_value_in_data(tmp_path):
    path = tmp_path / "case16.xlsx"
    build_case16(path, formula_in_data=True)
    with pytest.raises(ValidationError) as caught:
        ingest_file(path, "case16.xlsx", "pd", tmp_path / "out.parquet")
    assert caught.value.code == "formula_without_value"
    assert caught.value.details["cells"] == ["C6"]
    assert caught.value.details["role"] == "pd"
