"""Property tests of the reader: random tables round-trip, random bytes never crash."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmt.errors import MMTError
from mmt.ingest import ingest_file

# Accented letters all encode to bytes >= 0xC0 in cp1252, which can never form valid
# UTF-8 (that needs continuation bytes 0x80-0xBF), so the encoding guess is not ambiguous.
TEXT_ALPHABET = "abcXYZ 019-_/().,;|'\"\näöüÄÖÜßéèçñ"

DELIMITERS = [",", ";", "\t", "|"]
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16"]


@st.composite
def tables(draw):
    rows = draw(st.integers(min_value=1, max_value=12))
    finite = st.floats(allow_nan=False, allow_infinity=False)
    return {
        "obligor_id": [f"OB{index}" for index in range(rows)],
        "pd": draw(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=rows, max_size=rows)),
        "default_flag": draw(st.lists(st.integers(0, 1), min_size=rows, max_size=rows)),
        "amount": draw(st.lists(st.one_of(st.none(), finite), min_size=rows, max_size=rows)),
        "count": draw(st.lists(st.integers(-(10**15), 10**15), min_size=rows, max_size=rows)),
        "note": draw(
            st.lists(st.text(TEXT_ALPHABET, max_size=12).map(lambda text: "t" + text), min_size=rows, max_size=rows)
        ),
    }


def number_text(value: float | None, decimal: str) -> str:
    if value is None:
        return ""
    return repr(value).replace(".", decimal)


def render(table: dict, delimiter: str, decimal: str, quoting: int, line_end: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=line_end)
    names = list(table)
    writer.writerow(names)
    for index in range(len(table["obligor_id"])):
        writer.writerow(
            [
                table["obligor_id"][index],
                number_text(table["pd"][index], decimal),
                str(table["default_flag"][index]),
                number_text(table["amount"][index], decimal),
                str(table["count"][index]),
                table["note"][index],
            ]
        )
    return buffer.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=tables(),
    delimiter=st.sampled_from(DELIMITERS),
    comma_decimal=st.booleans(),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    encoding=st.sampled_from(ENCODINGS),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def test_random_table_round_trips(table, delimiter, comma_decimal, quoting, encoding, line_end):
    decimal = "," if comma_decimal and delimiter != "," else "."
    text = render(table, delimiter, decimal, quoting, line_end)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "table.csv"
        source.write_bytes(text.encode(encoding))
        target = Path(folder) / "out.parquet"
        result = ingest_file(source, "table.csv", "pd", target)
        data = pq.read_table(target).to_pydict()
    assert result.n_rows == len(table["obligor_id"])
    assert result.source_format["delimiter"] == delimiter
    assert data["obligor_id"] == table["obligor_id"]
    assert data["pd"] == table["pd"]
    assert data["default_flag"] == table["default_flag"]
    assert data["amount"] == table["amount"]
    assert data["count"] == table["count"]
    assert data["note"] == table["note"]


@settings(max_examples=150, deadline=None)
@given(content=st.binary(max_size=3000))
def test_random_bytes_only_raise_mmt_errors(content):
    check_never_crashes(content)


@settings(max_examples=100, deadline=None)
@given(content=st.text(max_size=2000))
def test_random_text_only_raises_mmt_errors(content):
    check_never_crashes(content.encode("utf-8"))


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.text('pd,default_flag;01.x"\n ', max_size=30), max_size=8))
def test_random_csv_like_text_only_raises_mmt_errors(lines):
    check_never_crashes(("pd,default_flag\n" + "\n".join(lines)).encode("utf-8"))


def check_never_crashes(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "upload.csv"
        source.write_bytes(content)
        target = Path(folder) / "out.parquet"
        try:
            ingest_file(source, "upload.csv", "pd", target)
        except MMTError as error:
            assert 400 <= error.status < 500
            assert error.code
            assert not target.exists()
        else:
            assert target.exists()
        leftovers = [path.name for path in Path(folder).iterdir() if path.name not in ("upload.csv", "out.parquet")]
        assert leftovers == []


def damaged_copies(original: bytes, data) -> bytes:
    """Flip a few random bytes of ``original`` and maybe cut it short."""
    content = bytearray(original)
    for _ in range(data.draw(st.integers(1, 20))):
        content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        content = content[: data.draw(st.integers(0, len(content)))]
    return bytes(content)


SAMPLE_XLSX = (Path(__file__).parents[2] / "data" / "bad" / "valid_pd_germancredit.xlsx").read_bytes()


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_damaged_xlsx_only_raises_mmt_errors(data):
    check_never_crashes(damaged_copies(SAMPLE_XLSX, data))


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_damaged_parquet_only_raises_mmt_errors(data):
    buffer = io.BytesIO()
    table = pa_csv.read_csv(Path(__file__).parents[2] / "data" / "bad" / "no_defaults.csv")
    pq.write_table(table, buffer)
    check_never_crashes(damaged_copies(buffer.getvalue(), data))
