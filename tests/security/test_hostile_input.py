"""Limits and hostile input: sizes, row and column caps, zip bombs, file names, JSON, CORS, headers, rate limits."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.reliability.figures import record
from tests.security.conftest import close_app, make_app
from tests.security.test_audit import post_upload, sample_bytes

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


@pytest.fixture
def limited(database_url, tmp_path):
    """An application with a 1 MB upload limit and at most 500 data rows."""
    application = make_app(database_url, tmp_path, max_upload_mb=1, max_rows=500)
    yield application
    close_app(application)


def stored_files(application) -> list[str]:
    root = application.extensions["mmt"].files.root
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def leftovers(application) -> list[str]:
    """Files outside a committed dataset's folder and the database's own files."""
    return [name for name in stored_files(application) if not name.startswith(("datasets/", ".migrate.lock"))]


def assert_refused(response, status: int, code: str):
    body = response.get_json()
    assert response.status_code == status, body
    assert body["success"] is False, body
    assert body["code"] == code, body
    return body


# -- sizes and caps -------------------------------------------------------------------------------


def test_upload_size_limit(limited):
    client = limited.test_client()
    content = sample_bytes(400)
    big = content + content.split(b"\n", 1)[1] * (1024 * 1024 // len(content) + 2)
    assert len(big) > 1024 * 1024
    body = assert_refused(post_upload(client, big), 413, "payload_too_large")
    assert body["details"]["limit_mb"] == 1
    assert client.get("/api/datasets").get_json()["total"] == 0
    assert leftovers(limited) == []


def test_row_cap(limited):
    client = limited.test_client()
    body = assert_refused(post_upload(client, sample_bytes(600)), 413, "too_many_rows")
    assert body["details"]["max_rows"] == 500
    assert client.get("/api/datasets").get_json()["total"] == 0
    assert leftovers(limited) == []
    assert post_upload(client, sample_bytes(500)).status_code == 200


def test_column_cap(client, app):
    from mmt.ingest.pipeline import MAX_COLUMNS

    header = ["obligor_id", "pd", "default_flag"] + [f"extra_{index}" for index in range(MAX_COLUMNS)]
    row = ["1", "0.1", "0"] + ["0"] * MAX_COLUMNS
    content = (",".join(header) + "\n" + ",".join(row) + "\n").encode()
    body = assert_refused(post_upload(client, content), 413, "too_many_columns")
    assert body["details"]["max_columns"] == MAX_COLUMNS
    assert leftovers(app) == []


# -- XLSX decompression bombs ---------------------------------------------------------------------


def workbook_bytes(rows: int = 60) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["obligor_id", "pd", "default_flag"])
    for index in range(rows):
        sheet.append([f"C{index}", 0.01 + (index % 900) / 1000, index % 2])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rebuilt(content: bytes, replace: dict[str, bytes] | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """Copy a workbook's parts, replacing or adding some, deflated at the highest level."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info.filename)))
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return buffer.getvalue()


def bomb_sheet(content: bytes, repeats: int) -> bytes:
    """The first sheet with ``repeats`` identical rows appended: it deflates several hundred times."""
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    row = b'<row r="99"><c r="A99"><v>1</v></c><c r="B99"><v>0.5</v></c><c r="C99"><v>0</v></c></row>'
    return sheet.replace(b"</sheetData>", row * repeats + b"</sheetData>")


def declare_size(content: bytes, member: str, size: int) -> bytes:
    """Write a false uncompressed size for ``member`` into its local header and the central directory."""
    data = bytearray(content)
    name = member.encode()
    for signature, name_length_at, size_at, header_length in ((b"PK\x03\x04", 26, 22, 30), (b"PK\x01\x02", 28, 24, 46)):
        position = data.find(signature)
        while position >= 0:
            length = struct.unpack_from("<H", data, position + name_length_at)[0]
            if data[position + header_length:position + header_length + length] == name:
                struct.pack_into("<I", data, position + size_at, size)
            position = data.find(signature, position + 4)
    return bytes(data)


def test_deflate_bomb_rejected_before_opening(client, app, monkeypatch):
    import python_calamine

    content = rebuilt(workbook_bytes(), replace={"xl/worksheets/sheet1.xml": bomb_sheet(workbook_bytes(), 400_000)})
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/worksheets/sheet1.xml")
    ratio = info.file_size / info.compress_size
    assert ratio > 100
    assert info.file_size > 30 * 1024 * 1024

    def never(*_args, **_kwargs):
        raise AssertionError("calamine opened a decompression bomb")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", never)
    body = assert_refused(post_upload(client, content, filename="bomb.xlsx"), 415, "unreadable_file")
    assert body["details"]["part"] == "xl/worksheets/sheet1.xml"
    assert body["details"]["ratio"] == round(ratio)
    assert leftovers(app) == []
    record("zip_bomb", {"uncompressed_mb": round(info.file_size / 2**20, 1), "compressed_kb": round(info.compress_size / 1024, 1),
                        "ratio": round(ratio), "refused_status": 415})


def test_workbook_total_size_limit(client, monkeypatch):
    from mmt.ingest import xlsx_source

    content = workbook_bytes(2000)
    total = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(content)).infolist())
    monkeypatch.setattr(xlsx_source, "MAX_UNCOMPRESSED_BYTES", total - 1)
    assert_refused(post_upload(client, content, filename="big.xlsx"), 413, "workbook_too_large")
    monkeypatch.setattr(xlsx_source, "MAX_UNCOMPRESSED_BYTES", total)
    assert post_upload(client, content, filename="big.xlsx").status_code == 200


def test_workbook_part_count_limit(client, monkeypatch):
    from mmt.ingest import xlsx_source

    content = rebuilt(workbook_bytes(), extra={f"customXml/item{index}.xml": b"<a/>" for index in range(30)})
    monkeypatch.setattr(xlsx_source, "MAX_ARCHIVE_MEMBERS", 20)
    body = assert_refused(post_upload(client, content, filename="parts.xlsx"), 415, "unreadable_file")
    assert body["details"]["parts"] > 20


@pytest.mark.parametrize("lying_part", ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"])
def test_part_larger_than_declared_rejected(client, app, lying_part):
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.append(["obligor_id", "pd", "default_flag"])
    for index in range(50):
        first.append([f"C{index}", 0.02, index % 2])
    second = workbook.create_sheet("notes")
    second["A1"] = "note"
    second["B1"] = "=1+1"  # a formula, so the formula scan reads every sheet
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read(lying_part)
    grown = sheet.replace(b"</sheetData>", b'<row r="90"><c r="A90"><v>1</v></c></row>' * 2000 + b"</sheetData>")
    content = declare_size(rebuilt(buffer.getvalue(), replace={lying_part: grown}), lying_part, len(sheet))
    response = post_upload(client, content, filename="liar.xlsx")
    assert 400 <= response.status_code < 500, response.get_json()
    assert response.get_json()["success"] is False
    assert leftovers(app) == []


# -- file names -----------------------------------------------------------------------------------


HOSTILE_NAMES = [
    "../../../../../../tmp/mmt-escape.csv",
    "..\\..\\..\\mmt-escape.csv",
    "/etc/mmt-escape.csv",
    "datasets/1/data.parquet",
    "a\x00b.csv",
    "portfolio\r\nSet-Cookie: x=1.csv",
    "C:\\Windows\\System32\\mmt-escape.csv",
    "%2e%2e%2fmmt-escape.csv",
]


def test_file_names_never_paths(client, app, tmp_path):
    before = set(stored_files(app))
    escaped = Path("/tmp/mmt-escape.csv")
    escaped.unlink(missing_ok=True)
    ids = []
    for number, name in enumerate(HOSTILE_NAMES):
        response = post_upload(client, sample_bytes(60 + number), filename=name)
        if "\n" in name and response.status_code == 400:
            # A line break ends the part header early: the file arrives as a plain form field.
            assert response.get_json()["code"] == "missing_file"
            continue
        assert response.status_code == 200, (name, response.get_json())
        dataset = response.get_json()["dataset"]
        ids.append(dataset["id"])
        stored = dataset["original_filename"]
        assert "/" not in stored, stored
        assert "\x00" not in stored, stored
        assert "\n" not in stored, stored
        assert "\r" not in stored, stored
        download = client.get(f"/api/datasets/{dataset['id']}/download")
        assert download.status_code == 200
        assert hashlib.sha256(download.data).hexdigest() == dataset["sha256"]
        disposition = download.headers["Content-Disposition"]
        assert "\n" not in disposition
        assert "\r" not in disposition
        assert "\x00" not in disposition
    assert not escaped.exists()
    assert not list(tmp_path.parent.glob("**/mmt-escape.csv"))
    # Everything stored sits in the dataset folders under fixed names.
    added = set(stored_files(app)) - before
    allowed = {"data.parquet", "original.bin", ".writer"}
    for name in added:
        parts = Path(name).parts
        assert parts[0] == "datasets", name
        assert parts[1] in {str(i) for i in ids}, name
        assert parts[2] in allowed, name


# -- JSON bodies ----------------------------------------------------------------------------------


def test_json_body_limit_with_and_without_length(client):
    from mmt.api.request_body import MAX_JSON_BYTES

    big = b'{"name": "' + b"x" * (MAX_JSON_BYTES + 10) + b'"}'
    body = assert_refused(client.put("/api/datasets/1", data=big, content_type="application/json"),
                          413, "payload_too_large")
    assert "request body" in body["error"]
    # Chunked: no Content-Length, so only the stream limit can stop it.
    chunked = client.put("/api/datasets/1", input_stream=io.BytesIO(big), content_type="application/json",
                         headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 413, chunked.get_json()


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deep_json_nesting(client, depth):
    body = ("[" * depth + "]" * depth).encode()
    assert_refused(client.post("/api/thresholds", data=body, content_type="application/json"), 400, "invalid_json")


def test_invalid_text_in_json_and_query(client, upload):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    assert_refused(client.put(f"/api/datasets/{dataset_id}", json={"name": "a\x00b"}), 400, "invalid_character")
    assert_refused(client.post("/api/analyze/pd", json={"dataset_id": dataset_id, "x\x00": 1}), 400, "invalid_character")
    assert_refused(client.get("/api/datasets?model_type=pd%00"), 400, "invalid_character")
    # An unpaired surrogate is valid JSON but cannot be encoded in any response.
    lone = b'{"name": "\\ud800"}'
    assert_refused(client.put(f"/api/datasets/{dataset_id}", data=lone, content_type="application/json"),
                   400, "invalid_character")
    assert_refused(client.post("/api/thresholds", data=b'{"\\udfff": 1}', content_type="application/json"),
                   400, "invalid_character")
    assert client.get(f"/api/datasets/{dataset_id}").get_json()["dataset"]["name"] == "pd_germancredit.csv"


def test_form_nul_replaced_when_stored(client):
    response = client.post("/api/upload/pd", data={"file": (io.BytesIO(sample_bytes(40)), "x.csv"),
                                                   "name": "Q4\x00 book", "description": "line\x00two"},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    dataset = response.get_json()["dataset"]
    assert dataset["name"] == "Q4\ufffd book"
    assert dataset["description"] == "line\ufffdtwo"


# -- CORS, headers ----------------------------------------------------------------------------------


def test_cors_configured_origins_only(database_url, tmp_path):
    application = make_app(database_url, tmp_path, cors_origins=("https://mmt.bank.example",))
    try:
        client = application.test_client()
        foreign = client.get("/api/summary", headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 200
        assert "Access-Control-Allow-Origin" not in foreign.headers
        preflight = client.options("/api/thresholds", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "Access-Control-Allow-Origin" not in preflight.headers
        own = client.get("/api/summary", headers={"Origin": "https://mmt.bank.example"})
        assert own.headers["Access-Control-Allow-Origin"] == "https://mmt.bank.example"
    finally:
        close_app(application)


def test_security_headers(client, upload):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    for response in (client.get("/api/datasets"), client.get("/api/datasets/999999"),
                     client.get(f"/api/datasets/{dataset_id}/download"), client.post("/api/thresholds", json=[1]),
                     client.get("/")):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (name, response.status_code)
        assert "Content-Security-Policy" in response.headers
    api = client.get("/api/datasets")
    assert api.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in api.headers["Content-Security-Policy"]


# -- rate limits ----------------------------------------------------------------------------------


def test_rate_limit_gives_429(database_url, tmp_path):
    application = make_app(database_url, tmp_path, rate_limit="3 per minute")
    try:
        client = application.test_client()
        responses = [client.get("/api/summary") for _ in range(4)]
        assert [response.status_code for response in responses] == [200, 200, 200, 429]
        # Successes carry the limit and the remaining count, but no request to wait.
        assert responses[0].headers["X-RateLimit-Remaining"] == "2"
        assert "Retry-After" not in responses[0].headers
        assert "Retry-After" in responses[3].headers
        limited = client.get("/api/summary")
        body = assert_refused(limited, 429, "rate_limited")
        assert "3 per 1 minute" in body["error"]
        assert int(limited.headers["Retry-After"]) > 0
        assert all(client.get("/api/health").status_code == 200 for _ in range(10))
    finally:
        close_app(application)


@pytest.mark.skipif(not os.environ.get("MMT_TEST_REDIS_URL"), reason="MMT_TEST_REDIS_URL not set")
def test_rate_limit_shared_in_redis(tmp_path):
    import redis

    url = os.environ["MMT_TEST_REDIS_URL"]
    database = f"sqlite:///{tmp_path / 'mmt.sqlite3'}"
    first = make_app(database, tmp_path, rate_limit="3 per minute", redis_url=url)
    second = make_app(database, tmp_path, rate_limit="3 per minute", redis_url=url)
    other = make_app(f"sqlite:///{tmp_path / 'other.sqlite3'}", tmp_path / "other", rate_limit="3 per minute",
                     redis_url=url)
    try:
        one, two = first.test_client(), second.test_client()
        assert [one.get("/api/summary").status_code, two.get("/api/summary").status_code,
                one.get("/api/summary").status_code, two.get("/api/summary").status_code] == [200, 200, 200, 429]
        # Another installation (another data folder) counts on its own.
        assert other.test_client().get("/api/summary").status_code == 200
        client = redis.Redis.from_url(url)
        assert any(b"mmt-" in key for key in client.scan_iter(count=1000))
    finally:
        for application in (first, second, other):
            close_app(application)


# -- exports --------------------------------------------------------------------------------------

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def test_formula_payloads_stay_text_in_excel_reports(client):
    content = sample_bytes(400).decode()
    content = content.replace("radio/television", '"=HYPERLINK(""http://evil.example"")"')
    content = content.replace("car (new)", "@SUM(1+1)")
    response = client.post("/api/upload/pd", data={"file": (io.BytesIO(content.encode()), "-2+3.csv"),
                                                   "name": "=cmd|' /C calc'!A0"},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    dataset_id = response.get_json()["dataset_id"]
    payload_cells = 0
    for analysis in ("pd", "woe"):
        result = client.post(f"/api/analyze/{analysis}", json={"dataset_id": dataset_id})
        assert result.status_code == 200, result.get_json()
        report = client.get(f"/api/analyses/{result.get_json()['analysis_result_id']}/report.xlsx")
        assert report.status_code == 200
        workbook = openpyxl.load_workbook(io.BytesIO(report.data))
        for sheet in workbook:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(FORMULA_TRIGGERS), (sheet.title, cell.coordinate, cell.value)
                        if any(mark in cell.value for mark in ("HYPERLINK", "@SUM", "cmd|")):
                            payload_cells += 1
                            assert cell.value.startswith("'")
    # The payloads did reach the workbooks: the dataset name on each, the category levels in the bin tables.
    assert payload_cells >= 4
    record("formula_injection", {"reports_checked": 2, "payload_cells_found_neutralised": payload_cells,
                                 "formula_cells": 0})


def test_markup_is_escaped_in_html_reports(client):
    marker = "<script>alert('mmt')</script>"
    response = client.post("/api/upload/pd", data={"file": (io.BytesIO(sample_bytes(300)), "x.csv"), "name": marker},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    result = client.post("/api/analyze/pd", json={"dataset_id": response.get_json()["dataset_id"]})
    report = client.get(f"/api/analyses/{result.get_json()['analysis_result_id']}/report.html")
    assert report.status_code == 200
    page = report.get_data(as_text=True)
    assert marker not in page
    assert "&lt;script&gt;" in page
    assert "script-src" in report.headers["Content-Security-Policy"]
