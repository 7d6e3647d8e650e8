"""Values: dates and periods, numbers, flags, roles and column mapping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmt.errors import ValidationError
from mmt.ingest import ingest_file
from mmt.ingest.dates import DateParser, parse_date_text
from mmt.ingest.numbers import NumberFormat, gather_evidence, parse_floats, resolve_format
from mmt.ingest.specs import clean_header, match_key, match_roles, role_specs

EPOCH = dt.date(1970, 1, 1)


def days(year: int, month: int, day: int) -> int:
    return (dt.date(year, month, day) - EPOCH).days


def write(tmp_path: Path, text: str, name: str = "upload.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def ingest(path: Path, model_type: str = "pd", **kwargs):
    return ingest_file(path, path.name, model_type, path.parent / "out.parquet", **kwargs)


def error_of(path: Path, model_type: str = "pd", **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        ingest(path, model_type, **kwargs)
    assert not (path.parent / "out.parquet").exists()
    return caught.value


def read(path: Path) -> dict:
    return pq.read_table(path.parent / "out.parquet").to_pydict()


# -- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "period"),
    [
        ("2023-12-31", days(2023, 12, 31), False),
        ("2023-12-31T10:15:00Z", days(2023, 12, 31), False),
        ("2023-12-31 10:15", days(2023, 12, 31), False),
        ("2023/12/31", days(2023, 12, 31), False),
        ("2023.12.31", days(2023, 12, 31), False),
        ("31/12/2023", days(2023, 12, 31), False),
        ("12/31/2023", days(2023, 12, 31), False),
        ("31.12.2023", days(2023, 12, 31), False),
        ("05-05-2023", days(2023, 5, 5), False),
        ("20231231", days(2023, 12, 31), False),
        ("200312", days(2003, 12, 31), True),
        ("2024-02", days(2024, 2, 29), True),
        ("2020Q1", days(2020, 3, 31), True),
        ("2020-Q2", days(2020, 6, 30), True),
        ("2020 q3", days(2020, 9, 30), True),
        ("Q4 2020", days(2020, 12, 31), True),
        ("Q1-2021", days(2021, 3, 31), True),
        ("Dec 31 2023", days(2023, 12, 31), False),
        ("December 31, 2023", days(2023, 12, 31), False),
        ("31 Dec 2023", days(2023, 12, 31), False),
        ("31-Dec-2023", days(2023, 12, 31), False),
        ("Dec 2023", days(2023, 12, 31), True),
        ("February-2024", days(2024, 2, 29), True),
    ],
)
def test_date_texts(text, expected, period):
    parsed = parse_date_text(text)
    assert parsed.error is None
    assert parsed.days == expected
    assert parsed.period is period


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("03/04/2023", "ambiguous"),
        ("31/12/23", "ambiguous"),
        ("2023-02-30", "invalid"),
        ("13/13/2023", "invalid"),
        ("202313", "invalid"),
        ("reference", "invalid"),
        ("2023Q5", "invalid"),
        ("12.5", "invalid"),
    ],
)
def test_date_texts_rejected(text, error):
    assert parse_date_text(text).error == error


def test_date_format_option_resolves_ambiguity():
    assert parse_date_text("03/04/2023", "%d/%m/%Y").days == days(2023, 4, 3)
    assert parse_date_text("03/04/2023", "%m/%d/%Y").days == days(2023, 3, 4)
    assert parse_date_text("2023-12-31", "%d/%m/%Y").days == days(2023, 12, 31)


def test_date_parser_numbers_and_types():
    parser = DateParser()
    numbers = parser.parse(pa.array([200312.0, 20231231, None, 2023.5]))
    assert numbers.dates.to_pylist() == [dt.date(2003, 12, 31), dt.date(2023, 12, 31), None, None]
    assert numbers.invalid.to_pylist() == [False, False, False, True]
    assert numbers.any_period is True
    stamps = parser.parse(pa.array([dt.datetime(2024, 1, 31, 13, 0)], pa.timestamp("us")))
    assert stamps.dates.to_pylist() == [dt.date(2024, 1, 31)]
    flags = parser.parse(pa.array([True, None]))
    assert flags.invalid.to_pylist() == [True, False]
    empty = parser.parse(pa.nulls(2))
    assert empty.parsed_count == 0


def test_snapshot_quarters_get_label(tmp_path):
    path = write(tmp_path, "obligor_id,quarter,pd,default_flag\nA1,2023Q4,0.1,0\nA2,2024-Q1,0.2,1\n")
    result = ingest(path)
    data = read(path)
    assert result.roles["snapshot_date"] == "quarter"
    assert data["snapshot_date"] == [dt.date(2023, 12, 31), dt.date(2024, 3, 31)]
    assert data["snapshot_date_label"] == ["2023Q4", "2024-Q1"]


def test_blank_date_is_missing(tmp_path):
    path = write(tmp_path, "obligor_id,snapshot_date,pd,default_flag\nA1,2023-12-31,0.1,0\nA2,  ,0.2,1\n")
    result = ingest(path)
    assert read(path)["snapshot_date"] == [dt.date(2023, 12, 31), None]
    assert result.quality["roles"]["snapshot_date"]["missing"] == 1


def test_invalid_date_named(tmp_path):
    path = write(tmp_path, "obligor_id,snapshot_date,pd,default_flag\nA1,2023-12-31,0.1,0\nA2,soon,0.2,1\n")
    error = error_of(path)
    assert error.code == "invalid_date"
    assert error.details["values"] == ["soon"]
    assert error.details["lines"] == [3]


def test_text_period_labels_unmapped_for_pd(tmp_path):
    path = write(tmp_path, "obligor_id,period,pd,default_flag\nA1,reference,0.1,0\nA2,current,0.2,1\n")
    result = ingest(path)
    assert "snapshot_date" not in result.roles
    assert any(warning["code"] == "role_not_mapped" for warning in result.warnings)
    assert read(path)["period"] == ["reference", "current"]


def test_text_period_labels_mapped_explicitly(tmp_path):
    path = write(tmp_path, "obligor_id,period,pd,default_flag\nA1,reference,0.1,0\nA2,current,0.2,1\n")
    error = error_of(path, column_mapping={"snapshot_date": "period"})
    assert error.code == "invalid_date"
    assert error.details["count"] == 2


def test_lgd_period_mixing_dates_and_text(tmp_path):
    text = "predicted_lgd,actual_lgd,quarter\n0.1,0.2,2020Q1\n0.3,,later\n"
    error = error_of(write(tmp_path, text), "lgd")
    assert error.code == "invalid_date"
    assert error.details["role"] == "period"
    assert error.details["values"] == ["later"]


def test_macro_date_required(tmp_path):
    error = error_of(write(tmp_path, "gdp,unemployment\n1.0,5.0\n"), "macro")
    assert error.code == "missing_column"
    assert error.details["role"] == "date"


# -- numbers and flags -------------------------------------------------------------------


def test_number_evidence_and_formats():
    assert resolve_format(gather_evidence(pa.array(["1.234", "12.500"])), set()) is None
    assert resolve_format(gather_evidence(pa.array(["1.234.567", "980"])), set()) == NumberFormat(",", ".")
    assert resolve_format(gather_evidence(pa.array(["1.234", "12.500"])), {"."}) == NumberFormat(".", None)
    assert resolve_format(gather_evidence(pa.array(["1 234", "980"])), set()) == NumberFormat(",", " ")
    assert resolve_format(gather_evidence(pa.array(["1", "2"])), set()) == NumberFormat(".", None)
    assert not gather_evidence(pa.array(["a", "b", "1"])).numeric
    assert not gather_evidence(pa.array([None], pa.string())).numeric


def test_parse_floats_marks_bad_values():
    numbers, invalid = parse_floats(pa.array(["1.5", "inf", "x", None, "nan"]), NumberFormat())
    assert numbers.to_pylist() == [1.5, None, None, None, None]
    assert invalid.to_pylist() == [False, True, True, False, True]
    numbers, invalid = parse_floats(pa.array(["1'234.5", "7"]), NumberFormat(".", "'"))
    assert numbers.to_pylist() == [1234.5, 7.0]


def test_numbers_with_spaces_and_signs(tmp_path):
    path = write(tmp_path, "obligor_id,pd,default_flag,amount\nA1, 0.1 ,0, +5 \nA2,.2,1,-1e3\n")
    ingest(path)
    data = read(path)
    assert data["pd"] == [0.1, 0.2]
    assert data["amount"] == [5.0, -1000.0]


def test_infinite_pd_rejected(tmp_path):
    error = error_of(write(tmp_path, "obligor_id,pd,default_flag\nA1,inf,0\nA2,0.1,1\n"))
    assert error.code == "non_numeric"
    assert error.details["values"] == ["inf"]


def test_flag_spellings(tmp_path):
    text = "obligor_id,pd,default_flag\nA1,0.1,TRUE\nA2,0.1,false\nA3,0.1,Y\nA4,0.1,n\nA5,0.1,1.0\nA6,0.1, 0 \n"
    result = ingest(write(tmp_path, text))
    assert read(tmp_path / "upload.csv")["default_flag"] == [1, 0, 1, 0, 1, 0]
    assert result.quality["roles"]["default_flag"]["mapped_text"] == {"false": 0, "n": 0, "true": 1, "y": 1}


def test_flag_from_numbers(tmp_path):
    source = tmp_path / "input.parquet"
    pq.write_table(pa.table({"pd": [0.1, 0.2, 0.3], "default_flag": [1.0, 0.0, 2.0]}), source)
    with pytest.raises(ValidationError) as caught:
        ingest_file(source, "input.parquet", "pd", tmp_path / "out.parquet")
    assert caught.value.code == "invalid_default_flag"
    assert caught.value.details["rows"] == [3]


def test_all_defaults_warns(tmp_path):
    result = ingest(write(tmp_path, "obligor_id,pd,default_flag\nA1,0.1,1\nA2,0.2,1\n"))
    warning = next(item for item in result.warnings if item["code"] == "single_class")
    assert "only defaults" in warning["message"]


def test_required_role_empty(tmp_path):
    error = error_of(write(tmp_path, "obligor_id,pd,default_flag\nA1,0.1,\nA2,0.2,\n"))
    assert error.code == "empty_column"
    assert error.details["role"] == "default_flag"


def test_na_texts_in_feature(tmp_path):
    result = ingest(write(tmp_path, "obligor_id,pd,default_flag,income\nA1,0.1,0,NA\nA2,0.2,1,12.5\nA3,0.3,0,n/a\n"))
    assert read(tmp_path / "upload.csv")["income"] == [None, 12.5, None]
    assert result.quality["columns"]["income"]["missing_texts"] == 2


def test_leading_zero_codes_stay_text(tmp_path):
    ingest(write(tmp_path, "obligor_id,pd,default_flag,branch\nA1,0.1,0,0012\nA2,0.2,1,0400\n"))
    assert read(tmp_path / "upload.csv")["branch"] == ["0012", "0400"]


def test_iso_date_feature(tmp_path):
    ingest(write(tmp_path, "obligor_id,pd,default_flag,opened\nA1,0.1,0,2020-01-31\nA2,0.2,1,\n"))
    assert read(tmp_path / "upload.csv")["opened"] == [dt.date(2020, 1, 31), None]


def test_score_without_pd(tmp_path):
    result = ingest(write(tmp_path, "obligor_id,score,default_flag\nA1,620.5,0\nA2,540,1\n"))
    assert result.roles == {"obligor_id": "obligor_id", "score": "score", "default_flag": "default_flag"}
    assert read(tmp_path / "upload.csv")["score"] == [620.5, 540.0]


def test_missing_pd_and_score(tmp_path):
    error = error_of(write(tmp_path, "obligor_id,default_flag\nA1,0\n"))
    assert error.code == "missing_column"
    assert error.details["role"] == ["pd", "score"]
    assert "Accepted column names for pd: pd," in error.message
    assert "; for score: score," in error.message


def test_ead_needs_prediction(tmp_path):
    error = error_of(write(tmp_path, "ead_at_default,limit\n100,200\n"), "ead")
    assert error.code == "missing_column"
    assert error.details["role"] == ["ead_predicted", "ccf_predicted"]


def test_ratings_file(tmp_path):
    text = "customer_id,reporting_date,rating\nC1,2020-12-31,3\nC1,2021-12-31,D\nC2,2020-12-31,4\n"
    result = ingest(write(tmp_path, text), "ratings")
    assert result.roles == {"obligor_id": "customer_id", "snapshot_date": "reporting_date", "rating": "rating"}
    assert read(tmp_path / "upload.csv")["rating"] == ["3", "D", "4"]


def test_duplicates_without_time_role(tmp_path):
    text = "facility_id,predicted_lgd,actual_lgd\nF1,0.1,0.2\nF1,0.2,0.3\nF2,0.3,0.4\nF2,0.3,0.4\n"
    result = ingest(write(tmp_path, text), "lgd")
    warning = next(item for item in result.warnings if item["code"] == "duplicate_ids")
    assert warning["details"]["count"] == 2
    assert "F1" in warning["message"]
    assert "F2" in warning["message"]
    assert "in the file" in warning["message"]


# -- column mapping --------------------------------------------------------------------


def test_explicit_mapping_wins(tmp_path):
    text = "id,prob,flag,pd\nA1,0.1,0,0.9\nA2,0.2,1,0.8\n"
    result = ingest(write(tmp_path, text), column_mapping={"pd": "PROB", "default_flag": "flag", "obligor_id": "id"})
    assert result.roles == {"pd": "prob", "default_flag": "flag", "obligor_id": "id"}
    data = read(tmp_path / "upload.csv")
    assert data["pd"] == [0.1, 0.2]
    assert data["pd_4"] == [0.9, 0.8]
    renamed = [item for item in result.warnings if item["code"] == "column_renamed"]
    assert len(renamed) == 1
    assert renamed[0]["details"] == {"column": "pd", "stored_as": "pd_4"}
    assert 'stored as "pd_4": its name and its column number in the file.' in renamed[0]["message"]


def test_mapping_none_blocks_alias(tmp_path):
    result = ingest(
        write(tmp_path, "obligor_id,pd,default_flag,segment\nA1,0.1,0,R\n"), column_mapping={"segment": None}
    )
    assert "segment" not in result.roles
    assert result.quality["columns"]["segment"].get("role") is None


@pytest.mark.parametrize(
    ("mapping", "code"),
    [
        ({"lgd": "pd"}, "unknown_role"),
        ({"pd": "probability"}, "missing_column"),
        ({"pd": "pd", "score": "pd"}, "duplicate_mapping"),
    ],
)
def test_mapping_errors(tmp_path, mapping, code):
    assert error_of(write(tmp_path, "obligor_id,pd,default_flag\nA1,0.1,0\n"), column_mapping=mapping).code == code


def test_alias_matching_rules():
    assert clean_header('\ufeff " PD_1_YR " ') == "PD_1_YR"
    assert match_key("Default Flag") == match_key("default-flag") == "defaultflag"
    match = match_roles(role_specs("pd"), ["Obligor ID", "PD 1 YR", "Def-Flag", "Portfolio", "Asset Class"])
    assert match.roles == {"obligor_id": 0, "pd": 1, "default_flag": 2, "segment": 3}
    assert match.warnings[0]["code"] == "several_columns_fit_role"
