"""The upload view streams the file part to disk while hashing it, without holding it in memory."""

from __future__ import annotations

import hashlib
import io
import tracemalloc

from tests.conftest import DATA


def _call_upload_view(app, body: bytes, boundary: str):
    """Run the view in a request context: no before-request hook has parsed the body first."""
    from mmt.api.upload import upload

    with app.test_request_context("/api/upload/pd", method="POST", input_stream=io.BytesIO(body),
                                  content_type=f"multipart/form-data; boundary={boundary}",
                                  content_length=len(body)):
        return upload("pd")


def _multipart(boundary: str, filename: str, content: bytes, **fields: str) -> bytes:
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode()
             for name, value in fields.items()]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                 "Content-Type: text/csv\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_streamed_upload_is_stored_with_its_hash(app):
    content = (DATA / "pd_germancredit.csv").read_bytes()
    response = _call_upload_view(app, _multipart("b0undary", "german.csv", content, name="streamed"), "b0undary")
    body = response.get_json()
    assert body["dataset"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["dataset"]["size_bytes"] == len(content) and body["dataset"]["name"] == "streamed"


def test_streamed_upload_of_50_mb_never_sits_in_memory(app):
    # A valid header and 50 MB of rows: ingest rejects nothing here, only the parsing is measured.
    row = b"GC0001,2024-12-31,0.05,0\n"
    content = b"obligor_id,snapshot_date,pd,default_flag\n" + row * (50 * 1024 * 1024 // len(row))
    body = _multipart("b0undary", "big.csv", content, **{"async": "true"})
    tracemalloc.start()
    response = _call_upload_view(app, body, "b0undary")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response[1] == 202
    # The request body itself is the test's; the view adds well under a tenth of it.
    assert peak < 5 * 1024 * 1024, peak
    app.extensions["mmt"].jobs.shutdown(wait=True)


def test_missing_file_part_is_reported_and_leaves_no_staging_file(app):
    from mmt.errors import MMTError

    body = b"--b0undary\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b0undary--\r\n"
    try:
        _call_upload_view(app, body, "b0undary")
    except MMTError as error:
        assert error.code == "missing_file" and error.details["fields_received"] == ["name"]
    else:
        raise AssertionError("a body without a file part must be rejected")
    assert list(app.extensions["mmt"].files.tmp_dir.iterdir()) == []
