"""Break-it findings: sparse sheets, hidden sheets, thousands separators, bad options and messages."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from mmt.errors import PayloadTooLargeError, UnreadableFileError, ValidationError
from mmt.ingest import ingest_file

REPOSITORY = Path(__file__).parents[2]


def ingest(path: Path, model_type: str = "pd", **kwargs):
    return ingest_file(path, path.name, model_type, path.parent / "out.parquet", **kwargs)


def error_of(path: Path, model_type: str = "pd", **kwargs):
    with pytest.raises((ValidationError, UnreadableFileError, PayloadTooLargeError)) as caught:
        ingest(path, model_type, **kwargs)
    return caught.value


def codes(result) -> list[str]:
    return [warning["code"] for warning in result.warnings]


# -- stray cell far to the right -------------------------------------------------------


def write_stray_workbook(path: Path, rows: int = 5000) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("data")
    sheet.write_row(0, 0, ["obligor_id", "snapshot_date", "pd", "default_flag"])
    for index in range(1, rows + 1):
        sheet.write_row(index, 0, [f"O{index}", "2024-01-31", 0.01, index % 2])
    sheet.write(rows, 16383, "x")
    book.close()
    return path


def test_stray_cell_read_in_bounded_memory(tmp_path):
    path = write_stray_workbook(tmp_path / "stray.xlsx")
    script = textwrap.dedent(
        f"""
        import json, resource, time
        from pathlib import Path
        from mmt.ingest import ingest_file
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        result = ingest_file(Path({str(path)!r}), "stray.xlsx", "pd", Path({str(tmp_path / "out.parquet")!r}))
        seconds = time.perf_counter() - start
        growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        print(json.dumps({{"rows": result.n_rows, "warnings": result.warnings, "seconds": seconds, "growth_mb": growth_mb}}))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPOSITORY, capture_output=True, text=True, timeout=120, check=True
    )
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["rows"] == 5000
    assert outcome["seconds"] < 5
    assert outcome["growth_mb"] < 200
    warning = next(item for item in outcome["warnings"] if item["code"] == "stray_cells_ignored")
    assert warning["details"]["cells"] == ["XFD5001"]
    assert "column D" in warning["message"]


def test_stray_cells_keep_values(tmp_path):
    path = write_stray_workbook(tmp_path / "stray.xlsx", rows=30)
    result = ingest(path)
    assert result.n_rows == 30
    assert result.columns == ["obligor_id", "snapshot_date", "pd", "default_flag"]


def test_dense_wide_sheet_rejected_before_loading(tmp_path):
    path = tmp_path / "wide.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("data")
    sheet.write_row(0, 0, ["obligor_id", "pd", "default_flag"] + [f"f{index}" for index in range(2100)])
    sheet.write_row(1, 0, ["A", 0.1, 0] + [1] * 2100)
    book.close()
    error = error_of(path)
    assert error.code == "too_many_columns"
    assert error.details["columns"] == 2103


# -- sheet choice ----------------------------------------------------------------------


def rows_of(count: int, prefix: str) -> list[list]:
    return [["obligor_id", "pd", "default_flag"]] + [[f"{prefix}{index}", 0.1, index % 2] for index in range(count)]


def test_hidden_first_sheet_skipped(tmp_path):
    path = tmp_path / "hidden.xlsx"
    book = openpyxl.Workbook()
    old = book.active
    old.title = "old"
    for row in rows_of(10, "H"):
        old.append(row)
    old.sheet_state = "hidden"
    data = book.create_sheet("data")
    for row in rows_of(1000, "D"):
        data.append(row)
    book.active = 1
    book.save(path)
    result = ingest(path)
    assert result.source_format["sheet"] == "data"
    assert result.n_rows == 1000
    assert "sheet_chosen" not in codes(result)


def test_active_sheet_preferred_and_others_named(tmp_path):
    path = tmp_path / "two.xlsx"
    book = openpyxl.Workbook()
    first = book.active
    first.title = "first"
    for row in rows_of(5, "F"):
        first.append(row)
    second = book.create_sheet("second")
    for row in rows_of(7, "S"):
        second.append(row)
    book.active = 1
    book.save(path)
    result = ingest(path)
    assert result.source_format["sheet"] == "second"
    warning = next(item for item in result.warnings if item["code"] == "sheet_chosen")
    assert warning["details"]["other_sheets"] == ["first"]
    assert "sheet option" in warning["message"]


def test_sheet_with_required_columns_chosen(tmp_path):
    path = tmp_path / "notes.xlsx"
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "readme"
    notes.append(["This workbook holds the PD snapshot"])
    data = book.create_sheet("data")
    for row in rows_of(4, "D"):
        data.append(row)
    book.save(path)
    result = ingest(path)
    assert result.source_format["sheet"] == "data"
    warning = next(item for item in result.warnings if item["code"] == "sheet_chosen")
    assert "readme" in warning["message"]


# -- empty required column -------------------------------------------------------------


def test_empty_pd_column_rejected(tmp_path):
    path = tmp_path / "empty_pd.csv"
    path.write_text("obligor_id,snapshot_date,pd,default_flag\nA,2024-01-31,,0\nB,2024-01-31,,1\n")
    error = error_of(path)
    assert error.code == "empty_column"
    assert error.details["role"] == "pd"
    assert error.details["column"] == "pd"


def test_empty_pd_accepted_when_score_has_values(tmp_path):
    path = tmp_path / "score.csv"
    path.write_text("obligor_id,pd,score,default_flag\nA,,610,0\nB,,580,1\n")
    assert ingest(path).n_rows == 2


# -- encoding option -------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["rot13", "base64", "hex", "zlib", 123, "no-such-codec"])
def test_encoding_option_rejects_non_text_codecs(tmp_path, encoding):
    path = tmp_path / "plain.csv"
    path.write_text("obligor_id,pd,default_flag\nA,0.1,0\n")
    error = error_of(path, options={"encoding": encoding})
    assert isinstance(error, ValidationError)
    assert error.code == "invalid_option"
    assert error.details["option"] == "encoding"
    assert "utf-8" in error.message


def test_encoding_option_accepts_text_codec(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_bytes("obligor_id,pd,default_flag\nÄ,0.1,0\n".encode("cp1252"))
    assert ingest(path, options={"encoding": "cp1252"}).n_rows == 1


# -- UTF-16 without byte-order mark ----------------------------------------------------


def test_utf16_without_bom_decoded(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes("obligor_id,pd,default_flag\nA,0.1,0\nB,0.2,1\n".encode("utf-16-le"))
    result = ingest(path)
    assert result.n_rows == 2
    assert result.source_format["encoding"] == "utf-16-le"


def test_utf16_with_wrong_encoding_named(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes("obligor_id,pd,default_flag\nA,0.1,0\n".encode("utf-16-le"))
    error = error_of(path, options={"encoding": "utf-8"})
    assert error.code == "unreadable_file"
    assert "utf-16-le" in error.message


def test_utf16_option_without_bom_read(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes("obligor_id,pd,default_flag\nA,0.1,0\n".encode("utf-16-be"))
    assert ingest(path, options={"encoding": "utf-16-be"}).n_rows == 1


def test_comma_grouped_feature_is_read_as_numbers(tmp_path):
    import pandas as pd

    from mmt.ingest import ingest_file
    from tests.conftest import DATA

    frame = pd.read_csv(DATA / "pd_germancredit.csv")
    frame["credit_amount"] = frame["credit_amount"].map(lambda value: f"{value:,.2f}")
    source = tmp_path / "grouped.csv"
    source.write_text(frame.to_csv(index=False))
    result = ingest_file(source, source.name, "pd", tmp_path / "out.parquet")
    stored = pd.read_parquet(tmp_path / "out.parquet")["credit_amount"]
    original = pd.read_csv(DATA / "pd_germancredit.csv")["credit_amount"]
    assert stored.dtype == "float64"
    assert stored.tolist() == original.astype(float).tolist()
    assert [warning["code"] for warning in result.warnings].count("thousands_separator_detected") == 1


def test_text_with_commas_stays_text(tmp_path):
    from mmt.ingest import ingest_file

    source = tmp_path / "text.csv"
    source.write_text('pd,default_flag,note\n0.1,0,"1,2"\n0.2,1,"a,b"\n')
    result = ingest_file(source, source.name, "pd", tmp_path / "out.parquet")
    assert "thousands_separator_detected" not in [warning["code"] for warning in result.warnings]
