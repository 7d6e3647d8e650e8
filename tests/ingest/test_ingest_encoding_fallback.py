"""A file read as cp1252 that contains UTF-8 sequences gets a warning; a real cp1252 file and a header alone do not."""

from __future__ import annotations

import pytest

from mmt.errors import ValidationError
from mmt.ingest import ingest_file


def _ingest(tmp_path, raw: bytes, options: dict | None = None):
    path = tmp_path / "upload.csv"
    path.write_bytes(raw)
    return ingest_file(path, "upload.csv", "pd", tmp_path / "upload.parquet", options=options)


def test_damaged_utf8_file_warns(tmp_path):
    raw = "obligor_id,pd,default_flag,name\n1,0.02,0,Zoë\n2,0.03,1,Zoë\n".encode("utf-8") + b"3,0.01,0,Zo\xff\n"
    result = _ingest(tmp_path, raw)
    warning = next(item for item in result.warnings if item["code"] == "encoding_fallback")
    assert warning["details"] == {"encoding": "cp1252"}
    assert result.source_format["encoding"] == "cp1252"


def test_cp1252_file_and_given_encoding_do_not_warn(tmp_path):
    raw = "obligor_id,pd,default_flag,name\n1,0.02,0,Zoë\n2,0.03,1,café\n".encode("cp1252")
    assert not any(item["code"] == "encoding_fallback" for item in _ingest(tmp_path, raw).warnings)
    damaged = "obligor_id,pd,default_flag,name\n1,0.02,0,Zoë\n".encode("utf-8") + b"2,0.01,0,Zo\xff\n"
    declared = _ingest(tmp_path, damaged, {"encoding": "cp1252"})
    assert not any(item["code"] == "encoding_fallback" for item in declared.warnings)


def test_header_without_line_break_has_no_data_rows(tmp_path):
    with pytest.raises(ValidationError) as caught:
        _ingest(tmp_path, b"obligor_id,pd,default_flag")
    assert caught.value.code == "no_data_rows"
