"""Hypothesis against the file reader with hostile, well-formed containers.

tests/ingest/test_ingest_properties.py flips random bytes, which mostly
breaks ZIP checksums before any sheet is read. Here the containers stay
valid (correct checksums) while their content is hostile: random cells,
formulas without cached values, random XML spliced into a sheet, false
declared sizes, compressed Parquet with far more rows than allowed. The
reader may accept or refuse, but only with an :class:`mmt.errors.MMTError`
of status 4xx, naming no server path, and leaving nothing behind.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmt.errors import MMTError
from mmt.ingest import ingest_file
from tests.reliability.figures import record
from tests.security.test_hostile_input import declare_size, rebuilt

HEADERS = [["obligor_id", "pd", "default_flag"], ["PD", "Default", "ID", "Score"], ["a", "b"]]
PAYLOADS = ["=1+1", "=HYPERLINK(\"http://x\")", "@SUM(A1)", "+1", "-1", "\tx", "=cmd|' /C calc'!A0", "é", "𝔘", ""]
cells = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(PAYLOADS), st.text(max_size=20).filter(lambda text: all(ord(ch) >= 32 for ch in text)),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
)
SPLICES = [b"<row>", b"</sheetData>", b"<c r=\"ZZZ999999\"><v>1</v></c>", b"<![CDATA[x]]>", b"&lt;", b"<f>", b"\xff\xfe",
           b"<row r=\"-1\">", b"<c t=\"s\"><v>99999</v></c>", b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>", b"&a;"]

RESULTS = {"accepted": 0, "refused": 0}


def workbook(header, rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        try:
            sheet.append(row)
        except (ValueError, TypeError):  # openpyxl refuses some values itself (too-large ints)
            sheet.append([None for _ in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(content: bytes, suffix: str = ".xlsx", max_rows: int | None = None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / f"upload{suffix}"
        source.write_bytes(content)
        target = Path(folder) / "out.parquet"
        try:
            ingest_file(source, source.name, "pd", target, max_rows=max_rows)
        except MMTError as error:
            assert 400 <= error.status < 500, error.code
            assert folder not in error.message
            assert folder not in repr(error.details)
            assert not target.exists()
            RESULTS["refused"] += 1
        else:
            assert target.exists()
            RESULTS["accepted"] += 1
        leftovers = [path.name for path in Path(folder).iterdir() if path.name not in (source.name, "out.parquet")]
        assert leftovers == []


@settings(max_examples=60, deadline=None)
@given(header=st.sampled_from(HEADERS), rows=st.lists(st.lists(cells, min_size=1, max_size=5), max_size=15))
def test_random_workbook_cells(header, rows):
    read(workbook(header, rows))


valid_rows = st.lists(st.tuples(st.integers(0, 10**6).map(lambda n: f"C{n}"), st.floats(0, 1),
                                 st.integers(0, 1), cells), min_size=1, max_size=15, unique_by=lambda row: row[0])


@settings(max_examples=60, deadline=None)
@given(rows=valid_rows)
def test_hostile_text_column(rows):
    read(workbook(["obligor_id", "pd", "default_flag", "note"], [list(row) for row in rows]))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=10),
       splice=st.sampled_from(SPLICES), position=st.floats(0, 1), part=st.sampled_from(
           ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml", "[Content_Types].xml"]))
def test_spliced_xml_with_valid_checksums(rows, splice, position, part):
    content = workbook(HEADERS[0], rows)
    xml = zipfile.ZipFile(io.BytesIO(content)).read(part)
    cut = int(position * len(xml))
    read(rebuilt(content, replace={part: xml[:cut] + splice + xml[cut:]}))


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=10),
       part=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/sharedStrings.xml",
                             "xl/styles.xml", "[Content_Types].xml"]),
       size=st.integers(0, 2**32 - 1))
def test_false_declared_sizes(rows, part, size):
    content = workbook(HEADERS[0], rows)
    if part not in zipfile.ZipFile(io.BytesIO(content)).namelist():
        part = "xl/worksheets/sheet1.xml"
    read(declare_size(content, part, size))


def test_parquet_row_bomb():
    rows = 5_000_000
    table = pa.table({
        "obligor_id": pa.repeat(pa.scalar("C1"), rows),
        "pd": pa.repeat(pa.scalar(0.05), rows),
        "default_flag": pa.repeat(pa.scalar(0), rows),
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", row_group_size=rows)
    content = buffer.getvalue()
    started = time.perf_counter()
    with pytest.raises(MMTError) as raised:
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "bomb.parquet"
            source.write_bytes(content)
            ingest_file(source, "bomb.parquet", "pd", Path(folder) / "out.parquet", max_rows=1000)
    seconds = time.perf_counter() - started
    assert raised.value.code == "too_many_rows"
    assert raised.value.status == 413
    assert seconds < 20
    record("parquet_row_bomb", {"file_kb": round(len(content) / 1024, 1), "rows_declared": rows, "max_rows": 1000,
                                "refused_in_seconds": round(seconds, 2)})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=600), st.sampled_from([b"", b"\x00" * 50, b"PK\x03\x04", b"PAR1PAR1"])),
       name=st.text(max_size=40))
def test_random_uploads_no_server_error(client, app, content, name):
    state = app.extensions["mmt"]
    before = client.get("/api/datasets").get_json()["total"]
    response = client.post("/api/upload/pd", data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert response.status_code < 500, response.get_json()
    after = client.get("/api/datasets").get_json()["total"]
    assert after == before + (1 if response.status_code == 200 else 0)
    assert list(state.files.tmp_dir.iterdir()) == []


def test_zz_record_reader_figures():
    if RESULTS["accepted"] + RESULTS["refused"]:
        record("reader_fuzz", dict(RESULTS))
