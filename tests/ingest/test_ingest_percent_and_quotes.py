"""Probabilities written as percentages, and double quotes that are never closed."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
import pytest

from mmt.errors import ValidationError
from mmt.ingest import ingest_file


def _ingest(tmp_path, text: str, model_type: str = "pd", name: str = "upload.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = ingest_file(path, name, model_type, tmp_path / "upload.parquet")
    return result, pq.read_table(tmp_path / "upload.parquet")


def test_percent_pd_read_as_the_nearest_double(tmp_path):
    result, table = _ingest(tmp_path, "obligor_id,pd,default_flag\n1,2.2%,0\n2,0.5 %,1\n3,0.031,0\n")
    # float("2.2e-2") is the double nearest to 0.022; 2.2 / 100 would be 0.022000000000000002.
    assert table.column("pd").to_pylist() == [float("2.2e-2"), float("0.5e-2"), 0.031]
    assert 2.2 / 100 != float("2.2e-2")
    warning = next(item for item in result.warnings if item["code"] == "percent_values_converted")
    assert warning["details"] == {"column": "pd", "role": "pd", "count": 2, "example": "2.2%"}
    assert '2 values written as percentages (for example "2.2%"); they were read' in warning["message"]


def test_percent_with_decimal_comma(tmp_path):
    _result, table = _ingest(tmp_path, "obligor_id;pd;default_flag\n1;2,2%;0\n2; 1,5 % ;1\n3;0,005;0\n")
    assert table.column("pd").to_pylist() == [0.022, 0.015, 0.005]


def test_percent_above_one_hundred_is_out_of_range(tmp_path):
    with pytest.raises(ValidationError) as caught:
        _ingest(tmp_path, "obligor_id,pd,default_flag\n1,150%,0\n2,1%,1\n")
    assert caught.value.code == "out_of_range"
    assert caught.value.details["values"] == ["150%"]


def test_percent_in_ratio_roles(tmp_path):
    text = "facility_id,lgd_predicted,lgd_realised\nF1,30%,45%\nF2,0.2,110%\nF3,0.1,0.05\n"
    result, table = _ingest(tmp_path, text, "lgd")
    assert table.column("lgd_predicted").to_pylist() == [0.3, 0.2, 0.1]
    # Realised LGD may exceed 100 %; it is kept and counted, as a fraction.
    assert table.column("lgd_realised").to_pylist() == [0.45, 1.1, 0.05]
    converted = {item["details"]["column"]: item["details"]["count"]
                 for item in result.warnings if item["code"] == "percent_values_converted"}
    assert converted == {"lgd_predicted": 1, "lgd_realised": 2}
    text = "facility_id,ead_realised,ccf_predicted,ccf_realised,limit,drawn\nF1,120,50%,60%,200,100\nF2,90,0.4,0.5,100,50\n"
    _result, table = _ingest(tmp_path, text, "ead")
    assert table.column("ccf_predicted").to_pylist() == [0.5, 0.4]
    assert table.column("ccf_realised").to_pylist() == [0.6, 0.5]


def test_percent_in_an_amount_role_stays_an_error(tmp_path):
    text = "facility_id,ead_predicted,ead_realised\nF1,100%,120\nF2,80,90\n"
    with pytest.raises(ValidationError) as caught:
        _ingest(tmp_path, text, "ead")
    assert caught.value.code == "non_numeric"


def test_unclosed_quote_names_line_and_column(tmp_path):
    text = 'obligor_id,pd,default_flag,note\n1,0.02,0,"a ""quoted"" word"\n2,0.01,1,"open\n3,0.05,0,x\n'
    with pytest.raises(ValidationError) as caught:
        _ingest(tmp_path, text)
    assert caught.value.code == "unclosed_quote"
    assert caught.value.details == {"line": 3, "column": "note"}
    assert not (tmp_path / "upload.parquet").exists()


def test_closed_quotes_spanning_lines_are_kept(tmp_path):
    text = 'obligor_id,pd,default_flag,note\n1,0.02,0,"two\nlines"\n2,0.01,1,"last ""one"""\n'
    result, table = _ingest(tmp_path, text)
    assert result.n_rows == 2
    assert table.column("note").to_pylist() == ["two\nlines", 'last "one"']
    warning = next(item for item in result.warnings if item["code"] == "values_span_lines")
    assert warning["details"] == {"column": "note", "count": 1, "rows": [1]}


def test_quote_closed_by_a_stray_quote_is_named(tmp_path):
    rows = [f"{index},0.0{index % 9 + 1},{index % 2},word{index}" for index in range(1, 21)]
    rows[4] = '5,0.02,1,"open'
    rows[11] = '12,0.02,1,12" pipe'
    result, table = _ingest(tmp_path, "obligor_id,pd,default_flag,note\n" + "\n".join(rows) + "\n")
    # Lines 6 to 13 of the file became one value: 13 rows instead of 20.
    assert result.n_rows == 13
    warning = next(item for item in result.warnings if item["code"] == "values_span_lines")
    assert warning["details"] == {"column": "note", "count": 1, "rows": [5]}
    assert "1 value that spans several lines (rows 5)" in warning["message"]


def test_unclosed_quote_longer_than_a_block(tmp_path, monkeypatch):
    import mmt.ingest.csv_source as csv_source

    # A small block makes Arrow meet the open quote across block boundaries, as in a large file.
    monkeypatch.setattr(csv_source, "BLOCK_SIZE", 1 << 10)
    rows = [f"{index},0.0{index % 9 + 1},{index % 2},word{index}" for index in range(1, 400)]
    rows[10] = '11,0.02,1,"open'
    with pytest.raises(ValidationError) as caught:
        _ingest(tmp_path, "obligor_id,pd,default_flag,note\n" + "\n".join(rows) + "\n")
    assert caught.value.code == "unclosed_quote"
    assert caught.value.details["line"] == 12


def test_over_http(client):
    body = io.BytesIO(b"obligor_id,pd,default_flag,note\n1,0.02,0,x\n2,0.01,1,\"open\n3,0.05,0,y\n")
    response = client.post("/api/upload/pd", data={"file": (body, "quotes.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_json()["code"] == "unclosed_quote"
    assert "line 3" in response.get_json()["error"]
    body = io.BytesIO(b"obligor_id,pd,default_flag\n1,2.5%,0\n2,1%,1\n")
    response = client.post("/api/upload/pd", data={"file": (body, "percent.csv")}, content_type="multipart/form-data")
    assert response.status_code in (200, 201)
    codes = [item["code"] for item in response.get_json()["warnings"]]
    assert "percent_values_converted" in codes
