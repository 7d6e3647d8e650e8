"""Double quotes that are never closed, where counting quote bytes cannot find them.

A quote opens a value only at the start of a field, so a literal quote inside
an unquoted value (an inch mark such as ``12" pipe``) makes the number of
quotes even although one value is still open. UTF-16 files need decoding
before their quotes can be found. A quote left open in the header swallows
every data row into the last column name.
"""

from __future__ import annotations

import io
import random

import pyarrow.parquet as pq
import pytest

from mmt.errors import ValidationError
from mmt.ingest import ingest_file
from mmt.ingest.csv_source import _QuoteScanner

HEADER = "obligor_id,pd,default_flag,note"


def _ingest(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "upload.csv"
    path.write_bytes(text.encode(encoding))
    result = ingest_file(path, "upload.csv", "pd", tmp_path / "upload.parquet")
    return result, pq.read_table(tmp_path / "upload.parquet")


def _error(tmp_path, text: str, encoding: str = "utf-8") -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        _ingest(tmp_path, text, encoding)
    assert not (tmp_path / "upload.parquet").exists()
    return caught.value


def _rows(count: int) -> list[str]:
    return [f"{index},0.0{index % 9 + 1},{index % 2},word{index}" for index in range(1, count + 1)]


def test_literal_quote_before_open_quote(tmp_path):
    rows = _rows(8)
    rows[2] = '3,0.02,0,12" pipe'
    rows[4] = '5,0.03,1,"open'
    error = _error(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    assert error.code == "unclosed_quote"
    # Header on line 1, so data row 5 is on line 6.
    assert error.details == {"line": 6, "column": "note"}


def test_literal_quotes_alone_are_kept(tmp_path):
    rows = _rows(4)
    rows[1] = '2,0.02,0,12" pipe'
    result, table = _ingest(tmp_path, HEADER + "\n" + "\n".join(rows) + '\n5,0.01,1,"two\nlines"\n')
    assert result.n_rows == 5
    assert table.column("note").to_pylist()[1] == '12" pipe'
    assert table.column("note").to_pylist()[4] == "two\nlines"


def test_open_quote_in_utf16_file(tmp_path):
    rows = _rows(6)
    rows[1] = '2,0.02,0,"Zürich'
    error = _error(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-16")
    assert error.code == "unclosed_quote"
    assert error.details == {"line": 3, "column": "note"}


def test_open_quote_with_carriage_returns_only(tmp_path):
    rows = _rows(5)
    rows[2] = '3,0.02,0,"open'
    error = _error(tmp_path, HEADER + "\r" + "\r".join(rows) + "\r")
    assert error.code == "unclosed_quote"
    assert error.details == {"line": 4, "column": "note"}


def test_open_quote_in_header(tmp_path):
    error = _error(tmp_path, 'obligor_id,pd,default_flag,"note\n' + "\n".join(_rows(5)) + "\n")
    assert error.code == "unclosed_quote"
    assert error.details == {"line": 1, "column": None}


def test_header_name_spanning_lines_is_kept(tmp_path):
    result, _table = _ingest(tmp_path, 'obligor_id,pd,default_flag,"note\n(free text)"\n' + "\n".join(_rows(3)) + "\n")
    assert result.n_rows == 3
    assert result.columns[-1] == "note\n(free text)"


def test_open_quote_across_blocks(tmp_path, monkeypatch):
    import mmt.ingest.csv_source as csv_source

    # A small block makes the open value run over many blocks, as in a large file.
    monkeypatch.setattr(csv_source, "BLOCK_SIZE", 1 << 10)
    rows = _rows(400)
    rows[3] = '4,0.02,0,5" disk'
    rows[10] = '11,0.02,1,"open'
    error = _error(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    assert error.code == "unclosed_quote"
    assert error.details["line"] == 12


def _reference_open_line(text: str, delimiter: str) -> int | None:
    """Arrow's quoting rules one character at a time: the line of the quote open at the end, or None."""
    state, line, quote_line, index = "field_start", 1, None, 0
    while index < len(text):
        character = text[index]
        if state == "field_start":
            if character == '"':
                state, quote_line = "quoted", line
            elif character not in (delimiter, "\r", "\n"):
                state = "unquoted"
        elif state == "unquoted":
            if character in (delimiter, "\r", "\n"):
                state = "field_start"
        elif character == '"':
            if index + 1 < len(text) and text[index + 1] == '"':
                index += 1
            else:
                state = "unquoted"
        # A line ends at LF, at CR LF (counted at its LF) or at a lone CR.
        line += character == "\n" or (character == "\r" and text[index + 1:index + 2] != "\n")
        index += 1
    return quote_line if state == "quoted" else None


@pytest.mark.parametrize("delimiter", [",", ";", "|"])
def test_scanner_matches_reference_in_any_pieces(delimiter):
    pieces = ["a", '"', '"', '""', delimiter, "\n", "\r\n", "\r", " ", 'x"y']
    generator = random.Random(20261204)
    for _ in range(3000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 25)))
        expected = _reference_open_line(text, delimiter)
        whole = _QuoteScanner(delimiter)
        whole.feed(text)
        assert whole.open_line() == expected, text
        # Pieces of one to four characters cut doubled quotes and \r\n in two.
        split = _QuoteScanner(delimiter)
        position = 0
        while position < len(text):
            step = generator.randint(1, 4)
            split.feed(text[position:position + step])
            position += step
        split.feed("")
        assert split.open_line() == expected, text


def test_scanner_quote_closing_at_end_of_text():
    scanner = _QuoteScanner(",")
    scanner.feed('a,"b')
    assert scanner.open_line() == 1
    scanner.feed('"')
    assert scanner.open_line() is None


def test_nothing_stored_over_http(client):
    listed = client.get("/api/datasets").get_json()["total"]
    rows = _rows(5)
    rows[1] = '2,0.02,0,3" bolt'
    rows[3] = '4,0.04,0,"open'
    body = io.BytesIO((HEADER + "\n" + "\n".join(rows) + "\n").encode("utf-16"))
    response = client.post("/api/upload/pd", data={"file": (body, "quotes.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_json()["code"] == "unclosed_quote"
    assert response.get_json()["details"] == {"line": 5, "column": "note"}
    assert client.get("/api/datasets").get_json()["total"] == listed
