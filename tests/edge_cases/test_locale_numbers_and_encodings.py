"""Uploads in European number formats and legacy encodings.

Faults guarded against:

* ``;`` files with decimal commas read with default settings: decimal parts
  become columns, ``1.234,56`` stays text, and ``12.500`` is silently read as
  12.5 (a 1000-fold error). MMT detects the marks per column from the values,
  refuses a column it cannot settle (``ambiguous_number``), warns when the
  other columns settled it (``number_format_from_file``), and names the row,
  column and value of a bad number;
* a UTF-8 byte-order mark glued to the first column name (``KeyError:
  'loan_id'``), cp1252 files that fail to decode, and the "always latin-1"
  fallback that turns UTF-8 accents into mojibake, so category levels differ
  between periods and the CSI breaks. MMT tries BOM, then strict UTF-8, then
  cp1252, and reports the encoding it used;
* date texts in several locales: each unambiguous spelling gives its date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmt.ingest import ingest_file
from mmt.ingest.dates import parse_date_text
from tests.edge_cases.product import analyze, stored_dataset, upload_bytes

REL = 1e-12
E1 = b"loan_id;exposure;pd;lgd;default_flag\nL1;1.234,56;0,0125;0,45;0\nL2;980,00;0,0300;0,40;1\nL3;12.500,00;0,1500;0,35;0\n"
E2 = b"loan_id;exposure;default_flag\nL1;1.234;0\nL2;980;1\nL3;12.500;0\n"


def column_quality(client, dataset_id: int, column: str) -> dict:
    return stored_dataset(client, dataset_id)["quality"]["columns"][column]


def test_decimal_comma_and_thousands_dot_give_the_exposures_of_the_file(client):
    upload = upload_bytes(client, "pd", "e1.csv", E1)

    source_format = upload["dataset"]["source_format"]
    assert (source_format["delimiter"], source_format["decimal"]) == (";", ",")
    assert source_format["number_formats"]["exposure"] == {"decimal": ",", "thousands": "."}
    exposure = column_quality(client, upload["dataset_id"], "exposure")
    assert (exposure["dtype"], exposure["min"], exposure["max"]) == ("double", 980.0, 12500.0)
    assert exposure["mean"] * 3 == pytest.approx(14714.56, rel=REL)
    pd_quality = column_quality(client, upload["dataset_id"], "pd")
    assert (pd_quality["min"], pd_quality["max"]) == (0.0125, 0.15)
    assert column_quality(client, upload["dataset_id"], "lgd")["max"] == 0.45
    # An analysis that depends on the parsed values: one exposure on each side of 1000 and 10000.
    entry = analyze(client, "woe", dataset_id=upload["dataset_id"], columns=["exposure"],
                    cut_points={"exposure": [1000, 10000]})["results"]["columns"]["exposure"]
    assert [row["count"] for row in entry["bins"]] == [1, 1, 1, 0]


def test_thousands_only_column_is_refused_when_no_other_column_settles_it(client):
    body = upload_bytes(client, "pd", "e2.csv", E2, columns={"score": "exposure"}, expect=422)

    assert body["code"] == "ambiguous_number"
    assert body["details"] == {"column": "exposure", "values": ["1.234", "12.500"]}


def test_declared_locale_reads_thousands_only_column(client):
    upload = upload_bytes(client, "pd", "e2.csv", E2, columns={"score": "exposure"},
                          options={"decimal": ",", "thousands": "."})

    score = column_quality(client, upload["dataset_id"], "score")
    assert (score["min"], score["max"]) == (980, 12500)
    assert score["mean"] * 3 == pytest.approx(14714, rel=REL)
    assert not any(warning["code"] == "number_format_from_file" for warning in upload["warnings"])


def test_thousands_only_column_follows_decimal_comma_of_other_columns_with_a_warning(client):
    data = b"loan_id;exposure;pd;default_flag\nL1;1.234;0,1;0\nL2;980;0,2;1\nL3;12.500;0,3;0\n"

    upload = upload_bytes(client, "pd", "e2_comma.csv", data)

    exposure = column_quality(client, upload["dataset_id"], "exposure")
    assert (exposure["min"], exposure["max"]) == (980, 12500)
    assert exposure["mean"] * 3 == pytest.approx(14714, rel=REL)
    warning = next(item for item in upload["warnings"] if item["code"] == "number_format_from_file")
    assert warning["details"] == {"column": "exposure", "values": ["1.234", "12.500"], "decimal": ",", "thousands": "."}


def test_thousands_like_column_in_decimal_point_file_is_not_read_silently(client):
    # Without the warning, 12.500 became 12.5 here without a word: a 1000-fold error if it meant 12500.
    data = b"loan_id;exposure;pd;default_flag\nL1;1.234;0.1;0\nL2;980;0.2;1\nL3;12.500;0.3;0\n"

    upload = upload_bytes(client, "pd", "e2_point.csv", data)

    exposure = column_quality(client, upload["dataset_id"], "exposure")
    assert (exposure["min"], exposure["max"]) == (1.234, 980.0)
    warning = next(item for item in upload["warnings"] if item["code"] == "number_format_from_file")
    assert warning["details"]["column"] == "exposure"
    assert warning["details"]["values"] == ["1.234", "12.500"]
    assert warning["details"]["decimal"] == "."
    assert "decimal and thousands" in warning["message"]


def test_bad_number_is_named_by_its_own_row_column_and_value(client):
    data = b"a;b;default_flag\na;1,20;0\nb;22,3;1\nc;1.234,56;0\nd;1.23,4;0\n"

    body = upload_bytes(client, "pd", "bad.csv", data, columns={"pd": "b", "obligor_id": "a"}, expect=422)

    assert body["code"] == "non_numeric"
    assert body["details"]["column"] == "b"
    assert body["details"]["rows"] == [4]
    assert body["details"]["values"] == ["1.23,4"]


def test_utf8_bom_and_quoted_header_give_clean_column_names(client):
    data = b'\xef\xbb\xbf"loan_id","pd","default_flag"\nL1,0.02,0\nL2,0.10,1\n'

    upload = upload_bytes(client, "pd", "f1.csv", data)

    dataset = upload["dataset"]
    assert dataset["columns"] == ["obligor_id", "pd", "default_flag"]
    assert dataset["roles"] == {"pd": "pd", "default_flag": "default_flag", "obligor_id": "loan_id"}
    assert (dataset["source_format"]["encoding"], dataset["source_format"]["bom"]) == ("utf-8", True)
    assert column_quality(client, upload["dataset_id"], "pd")["max"] == 0.10


F2_TEXT = "obligor;sector;pd;default_flag\nA1;Agroalimentaire - Fabrication de crème;0,02;0\nA2;Bâtiment;0,05;1\n"
SECTORS = ["Agroalimentaire - Fabrication de crème", "Bâtiment"]


@pytest.mark.parametrize(("encoding", "reported"), [("cp1252", "cp1252"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8")])
def test_accented_levels_are_read_the_same_in_every_encoding(client, encoding, reported):
    upload = upload_bytes(client, "pd", "f2.csv", F2_TEXT.encode(encoding))

    assert upload["dataset"]["source_format"]["encoding"] == reported
    pd_quality = column_quality(client, upload["dataset_id"], "pd")
    assert (pd_quality["min"], pd_quality["max"]) == (0.02, 0.05)
    entry = analyze(client, "woe", dataset_id=upload["dataset_id"], columns=["sector"])["results"]["columns"]["sector"]
    assert sorted(row["label"] for row in entry["bins"][:-1]) == SECTORS


def test_csi_between_a_cp1252_and_a_utf8_upload_sees_the_same_levels(client):
    reference = upload_bytes(client, "pd_baseline", "ref.csv", F2_TEXT.encode("cp1252"))
    current = upload_bytes(client, "pd", "cur.csv", F2_TEXT.encode("utf-8"))

    results = analyze(client, "stability", dataset_id=current["dataset_id"],
                      reference_dataset_id=reference["dataset_id"], columns=["sector"])["results"]

    entry = results["columns"]["sector"]
    assert entry["statistic"] == 0.0
    assert not any("unseen in reference" in row["flags"] for row in entry["bins"])
    assert sorted(row["label"] for row in entry["bins"][:-1]) == SECTORS


# --- the whole kind: random numbers and dates in random locale spellings ---


@st.composite
def european_numbers(draw):
    decimal = draw(st.sampled_from([",", "."]))
    thousands = draw(st.sampled_from([".", " ", "\u00a0", None])) if decimal == "," else None
    values = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 10**9), st.text("0123456789", max_size=4)),
                           min_size=1, max_size=12))
    return decimal, thousands, values


def spell(negative: bool, whole: int, fraction: str, decimal: str, thousands: str | None) -> str:
    digits = f"{whole:,}".replace(",", thousands) if thousands else str(whole)
    return ("-" if negative else "") + digits + (decimal + fraction if fraction else "")


def expected_value(negative: bool, whole: int, fraction: str) -> float:
    return float(("-" if negative else "") + f"{whole}.{fraction or '0'}")


@settings(max_examples=200, deadline=None)
@given(european_numbers(), st.sampled_from([";", "\t"]))
def test_numbers_in_random_european_spellings_parse_to_their_values(spelling, delimiter):
    decimal, thousands, values = spelling
    # A PD column with a fraction in the same locale settles the decimal mark for the file.
    lines = [delimiter.join(["obligor_id", "pd", "default_flag", "amount"])]
    for index, value in enumerate(values):
        lines.append(delimiter.join([f"O{index}", f"0{decimal}5", str(index % 2), spell(*value, decimal, thousands)]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "numbers.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

        result = ingest_file(path, "numbers.csv", "pd", Path(folder) / "out.parquet")
        amounts = pq.read_table(Path(folder) / "out.parquet").column("amount").to_pylist()

    assert amounts == [expected_value(*value) for value in values]
    assert all(math.isfinite(amount) for amount in amounts)
    assert not any(warning["code"] == "numbers_kept_as_text" for warning in result.warnings)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(european_numbers())
def test_uploaded_european_numbers_reach_the_stored_dataset(client, spelling):
    decimal, thousands, values = spelling
    lines = ["obligor_id;pd;default_flag;amount"]
    lines += [f"O{index};0{decimal}5;{index % 2};{spell(*value, decimal, thousands)}" for index, value in enumerate(values)]

    upload = upload_bytes(client, "pd", "numbers.csv", ("\n".join(lines) + "\n").encode("cp1252"))

    amount = column_quality(client, upload["dataset_id"], "amount")
    expected = [expected_value(*value) for value in values]
    assert (amount["min"], amount["max"]) == (min(expected), max(expected))
    assert amount["mean"] == pytest.approx(math.fsum(expected) / len(expected), rel=1e-9, abs=1e-9)


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)),
       st.sampled_from(["iso", "slash_ymd", "dmy_dot", "dmy_slash", "mdy_slash", "compact", "day_month_name",
                        "month_name_day", "quarter", "quarter_first", "month_compact", "month_iso"]))
def test_dates_in_random_unambiguous_spellings_parse_to_their_day_or_period_end(day, spelling):
    if spelling in ("dmy_dot", "dmy_slash", "mdy_slash") and day.day <= 12 and day.day != day.month:
        day = day.replace(day=13 + day.day % 15)
    quarter_end_month = 3 * ((day.month - 1) // 3 + 1)
    texts = {
        "iso": (day.isoformat(), day),
        "slash_ymd": (f"{day.year}/{day.month:02d}/{day.day:02d}", day),
        "dmy_dot": (f"{day.day:02d}.{day.month:02d}.{day.year}", day),
        "dmy_slash": (f"{day.day}/{day.month}/{day.year}", day),
        "mdy_slash": (f"{day.month:02d}/{day.day:02d}/{day.year}", day),
        "compact": (day.strftime("%Y%m%d"), day),
        "day_month_name": (f"{day.day} {MONTHS[day.month - 1]} {day.year}", day),
        "month_name_day": (f"{MONTHS[day.month - 1]} {day.day}, {day.year}", day),
        "quarter": (f"{day.year}Q{quarter_end_month // 3}",
                    dt.date(day.year, quarter_end_month, calendar.monthrange(day.year, quarter_end_month)[1])),
        "quarter_first": (f"Q{quarter_end_month // 3} {day.year}",
                          dt.date(day.year, quarter_end_month, calendar.monthrange(day.year, quarter_end_month)[1])),
        "month_compact": (f"{day.year}{day.month:02d}",
                          dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])),
        "month_iso": (f"{day.year}-{day.month:02d}",
                      dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])),
    }
    text, expected = texts[spelling]

    parsed = parse_date_text(text)

    assert parsed.error is None, text
    assert dt.date(1970, 1, 1) + dt.timedelta(days=parsed.days) == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1990, 2040))
def test_day_month_order_that_cannot_be_told_apart_is_refused_not_guessed(first, second, year):
    parsed = parse_date_text(f"{first:02d}/{second:02d}/{year}")

    if first == second:
        assert parsed.error is None
    else:
        assert parsed.error == "ambiguous"
        assert parsed.days is None
    assert parse_date_text(f"{first:02d}/{second:02d}/{year % 100:02d}").error == "ambiguous"
