"""The sample files ingest under their natural model type with the values pandas/openpyxl read."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from mmt.ingest import ingest_file, role_specs

DATA = Path(__file__).parents[2] / "data"

PD_ROLES = {
    "pd": "pd",
    "score": "score",
    "default_flag": "default_flag",
    "rating": "rating_grade",
    "snapshot_date": "snapshot_date",
    "obligor_id": "obligor_id",
}

SAMPLES = {
    "pd_germancredit.csv": ("pd", PD_ROLES),
    "pd_default_islp.csv": ("pd", PD_ROLES),
    "pd_lendingclub.csv": ("pd", PD_ROLES),
    "macro_quarterly.csv": ("macro", {"date": "date"}),
    "rating_transitions.csv": (
        "ratings",
        {"obligor_id": "obligor_id", "snapshot_date": "snapshot_date", "rating": "rating"},
    ),
    "lgd_synthetic.csv": (
        "lgd",
        {
            "lgd_predicted": "predicted_lgd",
            "lgd_realised": "realised_lgd",
            "segment": "segment",
            "period": "default_date",
            "ead": "ead_at_default",
            "collateral": "collateral_type",
            "workout_status": "workout_status",
            "facility_id": "facility_id",
        },
    ),
    "ead_synthetic.csv": (
        "ead",
        {
            "limit": "limit_amount",
            "drawn": "drawn_amount_ref",
            "ead_realised": "ead_at_default",
            "ccf_predicted": "predicted_ccf",
            "ead_predicted": "predicted_ead",
            "ccf_realised": "realised_ccf",
            "segment": "segment",
            "period": "default_date",
            "facility_id": "facility_id",
        },
    ),
    "mmt_original/Data_PD_Model.csv": (
        "pd",
        {
            "pd": " PD_1_YR ",
            "default_flag": "Def_Flag",
            "rating": "TTCReportingRating",
            "obligor_id": "InstrumentID",
            "segment": "Portfolio",
        },
    ),
    "mmt_original/Data_PD_Model_pvs_qtr.csv": (
        "pd_baseline",
        {
            "pd": "PD_1_YR",
            "default_flag": "Def_Flag",
            "rating": "TTCReportingRating",
            "obligor_id": "InstrumentID",
            "segment": "Portfolio",
        },
    ),
    "mmt_original/lgd_mock_data.csv": (
        "lgd",
        {
            "lgd_predicted": "predicted_lgd",
            "lgd_realised": "actual_lgd",
            "segment": "Portfolio",
            "period": "Quarter",
            "model_name": "ModelName",
        },
    ),
    "mmt_original/EAD_Mock_Data.xlsx": (
        "ead",
        {
            "drawn": "OutstandingBal",
            "ead_realised": "Exposure",
            "ead_predicted": "predicted_exposure",
            "segment": "Portfolio",
            "period": "Quarter",
            "model_name": "ModelName",
            "facility_id": "InstrumentID",
        },
    ),
    "mmt_original/MacroData_predicted_defaultrate.xlsx": ("macro", {"date": "snapshot_ccyymm"}),
}

# Reference tables, not uploads of any model type.
NOT_UPLOADS = {"master_scale.csv", "rating_transition_matrix_true.csv"}


def test_every_sample_file_is_covered():
    files = {path.name for path in DATA.glob("*.csv")} | {
        f"mmt_original/{path.name}" for path in (DATA / "mmt_original").iterdir() if path.suffix in (".csv", ".xlsx")
    }
    assert files == set(SAMPLES) | NOT_UPLOADS


def read_reference(path: Path) -> pd.DataFrame:
    """Read a sample independently: pandas for CSV, openpyxl cell values for XLSX."""
    if path.suffix == ".csv":
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    workbook = openpyxl.load_workbook(path, data_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=list(rows[0]), dtype=object)


def quarter_end(label: str) -> dt.date:
    match = re.fullmatch(r"(\d{4})Q([1-4])", label)
    year, quarter = int(match[1]), int(match[2])
    return dt.date(year, 3 * quarter, calendar.monthrange(year, 3 * quarter)[1])


def month_end(number: int) -> dt.date:
    year, month = divmod(int(number), 100)
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def plain(value):
    """pandas/openpyxl value -> plain Python value with None for missing."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def expected_column(values: list, kind: str | None) -> list:
    values = [plain(value) for value in values]
    if kind in ("id", "text"):
        return [
            None if value is None else str(int(value)) if isinstance(value, (int, float)) else str(value).strip()
            for value in values
        ]
    if kind == "binary":
        return [None if value is None else int(value) for value in values]
    return values


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_ingests(name, tmp_path):
    model_type, roles = SAMPLES[name]
    path = DATA / name
    target = tmp_path / "out.parquet"
    result = ingest_file(path, path.name, model_type, target)
    reference = read_reference(path)
    table = pq.read_table(target)

    assert result.roles == roles
    assert result.n_rows == len(reference)
    assert table.num_rows == len(reference)
    json.dumps(result.to_dict(), allow_nan=False)

    kinds = {spec.name: spec.kind for spec in role_specs(model_type)}
    role_of = {source: role for role, source in roles.items()}
    for source in reference.columns:
        if source is None or str(source).startswith("Unnamed"):
            assert all(plain(value) is None for value in reference[source])
            continue
        role = role_of.get(source)
        # A feature whose name is taken by a role column is stored under another name.
        renamed = {entry.get("source_column"): output for output, entry in result.quality["columns"].items()}
        name_out = role or renamed.get(source.strip(), source.strip())
        actual = table[name_out].to_pylist()
        values = reference[source].tolist()
        kind = kinds.get(role)
        if str(table.schema.field(name_out).type) == "date32[day]":
            check_dates(actual, values, table, name_out)
        else:
            assert actual == expected_column(values, kind), source


def check_dates(actual: list, values: list, table, name_out: str) -> None:
    expected = []
    labels = []
    for value in values:
        value = plain(value)
        if value is None:
            expected.append(None)
            labels.append(None)
        elif isinstance(value, (int, float)):
            expected.append(month_end(value))
            labels.append(str(int(value)))
        elif re.fullmatch(r"\d{4}Q[1-4]", value):
            expected.append(quarter_end(value))
            labels.append(value)
        else:
            expected.append(dt.date.fromisoformat(value))
            labels.append(value)
    assert actual == expected
    if f"{name_out}_label" in table.column_names:
        assert table[f"{name_out}_label"].to_pylist() == labels


def test_original_pd_keeps_padded_feature_name(tmp_path):
    result = ingest_file(DATA / "mmt_original/Data_PD_Model.csv", "Data_PD_Model.csv", "pd", tmp_path / "out.parquet")
    assert "OutstandingBal" in result.columns
    assert result.quality["columns"]["OutstandingBal"]["source_column"] == "OutstandingBal"
    reference = pd.read_csv(DATA / "mmt_original/Data_PD_Model.csv")
    assert result.quality["roles"]["default_flag"]["defaults"] == int(reference["Def_Flag"].sum())
    assert result.quality["roles"]["default_flag"]["default_rate"] == pytest.approx(
        reference["Def_Flag"].mean(), rel=1e-12
    )


def test_lgd_mock_drops_trailing_column(tmp_path):
    result = ingest_file(DATA / "mmt_original/lgd_mock_data.csv", "lgd_mock_data.csv", "lgd", tmp_path / "out.parquet")
    assert result.columns == ["period", "period_label", "segment", "model_name", "lgd_realised", "lgd_predicted"]
    assert any(item["code"] == "empty_column_dropped" for item in result.warnings)
    labels = pq.read_table(tmp_path / "out.parquet")["period_label"].to_pylist()
    assert set(labels) == {"2020Q1", "2020Q2"}


def test_lgd_realised_outside_unit_counted(tmp_path):
    result = ingest_file(DATA / "lgd_synthetic.csv", "lgd_synthetic.csv", "lgd", tmp_path / "out.parquet")
    realised = pd.read_csv(DATA / "lgd_synthetic.csv")["realised_lgd"]
    notes = result.quality["roles"]["lgd_realised"]
    assert notes["below_0"] == int((realised < 0).sum())
    assert notes["above_1"] == int((realised > 1).sum())
    assert notes["missing"] == int(realised.isna().sum())
    # The date of default wins over the reference/current labels of the "period" column.
    assert result.roles["period"] == "default_date"


def test_ead_undrawn_zero_counted(tmp_path):
    result = ingest_file(DATA / "ead_synthetic.csv", "ead_synthetic.csv", "ead", tmp_path / "out.parquet")
    frame = pd.read_csv(DATA / "ead_synthetic.csv")
    assert result.quality["checks"]["undrawn_zero"] == int((frame["limit_amount"] == frame["drawn_amount_ref"]).sum())
    assert result.quality["checks"]["drawn_above_limit"] == int(
        (frame["drawn_amount_ref"] > frame["limit_amount"]).sum()
    )


def test_quality_matches_pandas(tmp_path):
    result = ingest_file(DATA / "pd_lendingclub.csv", "pd_lendingclub.csv", "pd", tmp_path / "out.parquet")
    frame = pd.read_csv(DATA / "pd_lendingclub.csv")
    columns = result.quality["columns"]
    assert columns["pd"]["min"] == frame["pd"].min()
    assert columns["pd"]["max"] == frame["pd"].max()
    assert columns["pd"]["mean"] == pytest.approx(frame["pd"].mean(), rel=1e-12)
    assert columns["annual_inc"]["mean"] == pytest.approx(frame["annual_inc"].mean(), rel=1e-12)
    assert columns["lc_sub_grade"]["distinct"] == frame["lc_sub_grade"].nunique()
    assert columns["addr_state"]["distinct"] == frame["addr_state"].nunique()
    assert columns["obligor_id"]["distinct_more_than"] == 1000
    flags = result.quality["roles"]["default_flag"]
    assert flags["defaults"] == int(frame["default_flag"].sum())
    assert flags["default_rate"] == pytest.approx(frame["default_flag"].mean(), rel=1e-12)


def test_sha256_matches_file(tmp_path):
    import hashlib

    target = tmp_path / "out.parquet"
    result = ingest_file(DATA / "pd_germancredit.csv", "g.csv", "pd", target)
    assert result.parquet_sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
