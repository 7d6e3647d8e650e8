"""POST /api/analyze/stability through the HTTP layer, checked against hand computations on the sample files."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import DATA

REL = 1e-9
FLOOR = 1e-4


def hand_psi(reference: list[float], current: list[float], floor: float = FLOOR) -> float:
    """PSI with the math module: empty shares floored, bins empty in both periods skipped."""
    reference_total, current_total = sum(reference), sum(current)
    total = 0.0
    for expected_count, actual_count in zip(reference, current, strict=True):
        expected, actual = expected_count / reference_total, actual_count / current_total
        if expected == 0 and actual == 0:
            continue
        expected, actual = expected or floor, actual or floor
        total += (actual - expected) * math.log(actual / expected)
    return total


def quantile_psi(reference: list[float], current: list[float], n_bins: int = 10) -> float:
    """PSI on right-closed bins at the reference quantiles, plus an empty Missing bin."""
    edges = np.unique(np.quantile(np.asarray(reference, dtype=float), np.arange(1, n_bins) / n_bins)).tolist()

    def counts(values: list[float]) -> list[int]:
        bins = [0] * (len(edges) + 2)
        for value in values:
            bins[sum(1 for edge in edges if edge < value)] += 1
        return bins

    return hand_psi(counts(reference), counts(current))


def level_psi(reference: pd.Series, current: pd.Series, levels: list) -> float:
    return hand_psi([int((reference == level).sum()) for level in levels] + [int(reference.isna().sum())],
                    [int((current == level).sum()) for level in levels] + [int(current.isna().sum())])


def parse_strict(response) -> dict:
    """Parse the body, failing on NaN or Infinity tokens."""
    def reject(token: str) -> None:
        raise AssertionError(f"non-finite number {token} in the response")

    body = json.loads(response.data, parse_constant=reject)
    json.dumps(body, allow_nan=False)
    return body


def upload_frame(client, tmp_path: Path, model_type: str, frame: pd.DataFrame, name: str) -> int:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    with open(path, "rb") as handle:
        response = client.post(f"/api/upload/{model_type}", data={"file": (handle, name)},
                               content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["dataset_id"]


def analyze(client, **payload):
    return client.post("/api/analyze/stability", json=payload)


@pytest.fixture
def islp_id(upload) -> int:
    response = upload("pd", "pd_default_islp.csv")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["dataset_id"]


@pytest.fixture(scope="module")
def islp() -> pd.DataFrame:
    return pd.read_csv(DATA / "pd_default_islp.csv")


def test_periods_of_one_dataset_match_hand(client, islp_id, islp):
    response = analyze(client, dataset_id=islp_id)

    assert response.status_code == 200, response.get_json()
    body = parse_strict(response)
    results = body["results"]
    reference = islp[islp["snapshot_date"] == "2023-12-31"]
    latest = islp[islp["snapshot_date"] == "2024-12-31"]
    assert results["periods"]["reference"] == ["2023-12-31"]
    assert results["periods"]["current"] == ["2024-12-31"]
    for column in ("pd", "score", "balance", "income"):
        expected = quantile_psi(reference[column].tolist(), latest[column].tolist())
        assert results["columns"][column]["statistic"] == pytest.approx(expected, rel=REL), column
    assert results["columns"]["student"]["statistic"] == pytest.approx(
        level_psi(reference["student"], latest["student"], ["No", "Yes"]), rel=REL)
    grades = sorted(islp["rating_grade"].unique())
    assert results["columns"]["rating"]["statistic"] == pytest.approx(
        level_psi(reference["rating_grade"], latest["rating_grade"], grades), rel=REL)
    assert [row["label"] for row in results["columns"]["rating"]["bins"]] == [str(grade) for grade in grades] + [
        "Missing"]
    assert body["analysis_result_id"] > 0
    assert body["warnings"] == results["warnings"]


def test_trend_per_quarter_matches_hand(client, islp_id, islp):
    results = parse_strict(analyze(client, dataset_id=islp_id, columns=["pd", "student"]))["results"]

    reference = islp[islp["snapshot_date"] == "2023-12-31"]
    quarters = ["2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31"]
    assert [point["period"] for point in results["trend"]["pd"]] == quarters
    for point, quarter in zip(results["trend"]["pd"], quarters, strict=True):
        current = islp[islp["snapshot_date"] == quarter]
        assert point["statistic"] == pytest.approx(quantile_psi(reference["pd"].tolist(), current["pd"].tolist()),
                                                   rel=REL)
        assert point["status"] in ("green", "amber", "red")
    for point, quarter in zip(results["trend"]["student"], quarters, strict=True):
        current = islp[islp["snapshot_date"] == quarter]
        assert point["statistic"] == pytest.approx(level_psi(reference["student"], current["student"], ["No", "Yes"]),
                                                   rel=REL)


def test_result_stored_with_parameters(client, islp_id):
    body = parse_strict(analyze(client, dataset_id=islp_id, columns=["pd"], n_bins=5))

    stored = client.get(f"/api/analyses/{body['analysis_result_id']}").get_json()["analysis_result"]
    assert stored["analysis_type"] == "stability"
    assert stored["dataset_id"] == islp_id
    assert stored["parameters"]["n_bins"] == 5
    assert stored["parameters"]["columns"] == ["pd"]
    assert stored["parameters"]["reference_period"] == ["2023-12-31"]
    assert stored["statuses"] == body["results"]["summary_statuses"]


def test_two_datasets_match_hand(client, tmp_path):
    frame = pd.read_csv(DATA / "pd_germancredit.csv")
    reference = frame[frame["period"] == "reference"]
    current = frame[frame["period"] == "current"]
    reference_id = upload_frame(client, tmp_path, "pd_baseline", reference, "german_reference.csv")
    current_id = upload_frame(client, tmp_path, "pd", current, "german_current.csv")

    response = analyze(client, dataset_id=current_id, reference_dataset_id=reference_id)

    assert response.status_code == 200, response.get_json()
    results = parse_strict(response)["results"]
    assert results["reference"]["dataset"]["id"] == reference_id
    assert results["parameters"]["reference_dataset_id"] == reference_id
    counts = reference["purpose"].value_counts()
    levels = sorted(counts.index, key=lambda level: (-counts[level], level))
    levels += [level for level in current["purpose"].unique() if level not in counts.index]
    assert results["columns"]["purpose"]["statistic"] == pytest.approx(
        level_psi(reference["purpose"], current["purpose"], levels), rel=REL)
    for column in ("credit_amount", "pd"):
        expected = quantile_psi(reference[column].tolist(), current[column].tolist())
        assert results["columns"][column]["statistic"] == pytest.approx(expected, rel=REL)
    # Each side contains one snapshot date, so the trend has the current one only.
    assert [point["period"] for point in results["trend"]["pd"]] == ["2024-12-31"]


def test_missing_columns_named(client, islp_id):
    response = analyze(client, dataset_id=islp_id, columns=["pd", "ltv", "region"])

    assert response.status_code == 422
    body = response.get_json()
    assert body["success"] is False
    assert body["code"] == "missing_column"
    assert body["details"]["missing"] == ["ltv", "region"]
    assert "ltv" in body["error"]
    assert "region" in body["error"]


def test_unknown_period_rejected(client, islp_id):
    response = analyze(client, dataset_id=islp_id, current_period=["2024-12-31", "2025-03-31"])

    assert response.status_code == 422
    assert response.get_json()["code"] == "unknown_period"
    assert "2025-03-31" in response.get_json()["error"]


def test_unknown_option_rejected(client, islp_id):
    response = analyze(client, dataset_id=islp_id, bins=5)

    assert response.status_code == 400
    assert "bins" in response.get_json()["error"]


def test_front_end_keys_accepted(client, islp_id):
    response = analyze(client, datasetId=islp_id, request_id="abc123")

    assert response.status_code == 200, response.get_json()
    assert parse_strict(response)["results"]["dataset"]["id"] == islp_id


def test_edge_cases_flagged_and_finite(client, tmp_path):
    # Reference 31 Dec 2023, current 31 Dec 2024: grade 3 has no obligors, grade 5 empties,
    # segment "New" appears, "unused" is all missing and "x" empties its low bins.
    reference = pd.DataFrame({
        "obligor_id": [f"R{index}" for index in range(40)],
        "snapshot_date": "2023-12-31",
        "pd": [0.01 + 0.001 * index for index in range(40)],
        "default_flag": [index % 2 for index in range(40)],
        "rating": [1] * 10 + [2] * 20 + [4] * 5 + [5] * 5,
        "segment": ["Retail"] * 30 + ["SME"] * 10,
        "unused": [None] * 40,
        "x": [float(index) for index in range(40)],
    })
    current = pd.DataFrame({
        "obligor_id": [f"C{index}" for index in range(30)],
        "snapshot_date": "2024-12-31",
        "pd": [0.02 + 0.001 * index for index in range(30)],
        "default_flag": [index % 2 for index in range(30)],
        "rating": [1] * 15 + [2] * 10 + [4] * 5,
        "segment": ["Retail"] * 20 + ["SME"] * 5 + ["New"] * 5,
        "unused": [None] * 30,
        "x": [35.0 + index / 10 for index in range(30)],
    })
    dataset_id = upload_frame(client, tmp_path, "pd", pd.concat([reference, current]), "edge.csv")

    response = analyze(client, dataset_id=dataset_id, columns=["rating", "segment", "unused", "x"],
                       grade_order=["1", "2", "3", "4", "5"])

    assert response.status_code == 200, response.get_json()
    columns = parse_strict(response)["results"]["columns"]
    rating = columns["rating"]
    assert [row["label"] for row in rating["bins"]] == ["1", "2", "3", "4", "5", "Missing"]
    assert rating["bins"][2]["flags"] == ["empty in both periods"]
    assert rating["bins"][4]["flags"] == ["empty in current"]
    assert rating["statistic"] == pytest.approx(hand_psi([10, 20, 0, 5, 5, 0], [15, 10, 0, 5, 0, 0]), rel=REL)
    segment = columns["segment"]
    assert segment["unseen_levels"] == ["New"]
    assert segment["statistic"] == pytest.approx(hand_psi([30, 10, 0, 0], [20, 5, 5, 0]), rel=REL)
    unused = columns["unused"]
    assert unused["statistic"] == 0.0
    assert {"all_missing_reference", "all_missing_current"} <= set(unused["flags"])
    x = columns["x"]
    assert "empty_bins" in x["flags"]
    assert x["statistic"] == pytest.approx(
        quantile_psi(reference["x"].tolist(), current["x"].tolist()), rel=REL)
    for entry in columns.values():
        assert math.isfinite(entry["statistic"])


@pytest.mark.parametrize(
    ("model_type", "name", "column", "period_column", "reference_label", "current_label"),
    [
        ("lgd", "lgd_synthetic.csv", "predicted_lgd", "period", "reference", "current"),
        ("ead", "ead_synthetic.csv", "predicted_ccf", "period", "reference", "current"),
        ("macro", "macro_quarterly.csv", "unemployment_rate_pct", "sample", "development", "out_of_time"),
    ],
)
def test_other_dataset_types(client, upload, model_type, name, column, period_column, reference_label,
                             current_label):
    frame = pd.read_csv(DATA / name)
    uploaded = upload(model_type, name).get_json()
    payload = {"dataset_id": uploaded["dataset_id"]}
    # The LGD and EAD files' "period" labels give way to the date of default as the period role
    # and are stored under another name, given in the upload's warnings.
    renamed = {warning["details"]["column"]: warning["details"]["stored_as"]
               for warning in uploaded["warnings"] if warning["code"] == "column_renamed"}
    if model_type == "macro" or period_column in renamed:
        payload["period_column"] = renamed.get(period_column, period_column)

    response = analyze(client, **payload)

    assert response.status_code == 200, response.get_json()
    results = parse_strict(response)["results"]
    stored_column = {"predicted_lgd": "lgd_predicted", "predicted_ccf": "ccf_predicted"}.get(column, column)
    reference = frame.loc[frame[period_column] == reference_label, column].tolist()
    current = frame.loc[frame[period_column] == current_label, column].tolist()
    assert results["periods"]["reference"] == [reference_label]
    assert results["columns"][stored_column]["statistic"] == pytest.approx(quantile_psi(reference, current), rel=REL)


def test_rating_histories(client, upload):
    frame = pd.read_csv(DATA / "rating_transitions.csv", dtype={"rating": str})
    dataset_id = upload("ratings", "rating_transitions.csv").get_json()["dataset_id"]

    response = analyze(client, dataset_id=dataset_id)

    assert response.status_code == 200, response.get_json()
    results = parse_strict(response)["results"]
    entry = results["columns"]["rating"]
    labels = [row["label"] for row in entry["bins"]][:-1]
    reference = frame.loc[frame["snapshot_date"] == "2019-12-31", "rating"]
    current = frame.loc[frame["snapshot_date"] == "2024-12-31", "rating"]
    assert set(labels) == set(frame["rating"].unique())
    assert entry["statistic"] == pytest.approx(level_psi(reference, current, labels), rel=REL)
    assert entry["index"] == "PSI"
    assert len(results["trend"]["rating"]) == 5


def test_same_period_twice_rejected(client, islp_id):
    response = analyze(client, dataset_id=islp_id, reference_period="2024-06-30", current_period="2024-06-30")

    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "reference_equals_current"
    assert "2024-06-30" in body["error"]
    assert body["details"]["periods"] == ["2024-06-30"]


def test_same_dataset_as_reference_rejected(client, islp_id):
    response = analyze(client, dataset_id=islp_id, reference_dataset_id=islp_id, columns=["pd"])

    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "reference_equals_current"
    assert "reference dataset contains the current data" in response.get_json()["error"]


def test_second_upload_as_reference_warned(client, islp_id, upload):
    second_upload = upload("pd", "pd_default_islp.csv").get_json()["dataset_id"]

    response = analyze(client, dataset_id=islp_id, reference_dataset_id=second_upload, columns=["pd"])

    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert results["columns"]["pd"]["statistic"] == 0.0
    same = [warning for warning in results["warnings"] if warning["code"] == "same_content"]
    assert len(same) == 1
    assert f"Reference dataset {second_upload} has the same content as dataset {islp_id}" in same[0]["message"]


def test_same_dataset_split_by_periods(client, islp_id, islp):
    both_periods = analyze(client, dataset_id=islp_id, reference_dataset_id=islp_id, columns=["pd"],
                           reference_period="2023-12-31", current_period="2024-12-31")
    reference_inside_current = analyze(client, dataset_id=islp_id, reference_dataset_id=islp_id, columns=["pd"],
                                       reference_period="2023-12-31")

    assert both_periods.status_code == 200, both_periods.get_json()
    reference = islp.loc[islp["snapshot_date"] == "2023-12-31", "pd"].tolist()
    latest = islp.loc[islp["snapshot_date"] == "2024-12-31", "pd"].tolist()
    statistic = both_periods.get_json()["results"]["columns"]["pd"]["statistic"]
    assert statistic == pytest.approx(quantile_psi(reference, latest), rel=REL)
    assert reference_inside_current.status_code == 200, reference_inside_current.get_json()
    warnings = reference_inside_current.get_json()["results"]["warnings"]
    overlap = [warning for warning in warnings if warning["code"] == "periods_overlap"]
    assert len(overlap) == 1
    assert overlap[0]["details"]["periods"] == ["2023-12-31"]


def upload_parquet(client, table: pa.Table, name: str) -> int:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    buffer.seek(0)
    response = client.post("/api/upload/pd", data={"file": (buffer, name)}, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["dataset_id"]


def test_nanosecond_periods_select_rows(client):
    generator = np.random.default_rng(7)
    reference, latest = generator.normal(size=150), generator.normal(0.5, 1.0, size=150)
    stamps = pd.to_datetime(["2023-12-31T00:00:00", "2024-03-31T12:30:00.000000001"], format="ISO8601")
    table = pa.table({
        "pd": generator.uniform(0.01, 0.3, 300),
        "default_flag": generator.integers(0, 2, 300),
        "x": np.concatenate([reference, latest]),
        "as_of": pa.array(np.repeat(stamps.to_numpy(), 150)).cast(pa.timestamp("ns")),
    })
    dataset_id = upload_parquet(client, table, "nanoseconds.parquet")

    for chosen in ({}, {"reference_period": "2023-12-31"},
                   {"reference_period": "2023-12-31", "current_period": "2024-03-31T12:30:00.000000001"}):
        response = analyze(client, dataset_id=dataset_id, period_column="as_of", columns=["x"], **chosen)

        assert response.status_code == 200, (chosen, response.get_json())
        results = parse_strict(response)["results"]
        assert results["periods"]["reference"] == ["2023-12-31"]
        assert results["periods"]["current"] == ["2024-03-31T12:30:00.000000001"]
        expected = quantile_psi(reference.tolist(), latest.tolist())
        assert results["columns"]["x"]["statistic"] == pytest.approx(expected, rel=REL)
        assert results["trend"]["x"][0]["statistic"] == pytest.approx(expected, rel=REL)


def test_nan_period_is_missing(client):
    generator = np.random.default_rng(8)
    x = generator.normal(size=300)
    vintage = np.repeat([2023.0, 2024.0, np.nan], 100)
    table = pa.table({
        "pd": generator.uniform(0.01, 0.3, 300),
        "default_flag": generator.integers(0, 2, 300),
        "x": x,
        "vintage": pa.array(vintage, from_pandas=False),
    })
    dataset_id = upload_parquet(client, table, "nan_vintage.parquet")

    response = analyze(client, dataset_id=dataset_id, period_column="vintage", columns=["x"])

    assert response.status_code == 200, response.get_json()
    results = parse_strict(response)["results"]
    assert results["periods"]["all"] == ["2023", "2024"]
    assert results["periods"]["current"] == ["2024"]
    assert results["columns"]["x"]["statistic"] == pytest.approx(quantile_psi(x[:100].tolist(), x[100:200].tolist()),
                                                                 rel=REL)
    missing = [warning for warning in results["warnings"] if warning["code"] == "rows_without_period"]
    assert missing[0]["details"]["rows"] == 100
