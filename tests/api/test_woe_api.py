"""POST /api/analyze/woe through the HTTP layer: hand computations, optbinning and errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from optbinning import OptimalBinning

from tests.conftest import DATA

REL = 1e-9


def hand_woe_iv(events: list[float], non_events: list[float], adjustment: float = 0.5):
    """WOE per bin and IV with the math module: a zero count of a pure bin becomes ``adjustment``, totals kept."""
    total_events, total_non_events = sum(events), sum(non_events)
    woe, iv = [], 0.0
    for bad, good in zip(events, non_events, strict=True):
        if bad + good == 0:
            woe.append(None)
            continue
        bad, good = bad or adjustment, good or adjustment
        value = math.log((bad / total_events) / (good / total_non_events))
        woe.append(value)
        iv += (bad / total_events - good / total_non_events) * value
    return woe, iv


def parse_strict(response) -> dict:
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
    return client.post("/api/analyze/woe", json=payload)


@pytest.fixture(scope="module")
def german() -> pd.DataFrame:
    return pd.read_csv(DATA / "pd_germancredit.csv")


@pytest.fixture
def german_id(upload) -> int:
    response = upload("pd", "pd_germancredit.csv")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["dataset_id"]


def test_levels_and_quantiles_match_hand(client, german_id, german):
    response = analyze(client, dataset_id=german_id, n_bins=5)

    assert response.status_code == 200, response.get_json()
    results = parse_strict(response)["results"]
    column = "status_of_existing_checking_account"
    counts = german.groupby(column)["default_flag"].agg(["sum", "count"])
    levels = sorted(counts.index, key=lambda level: (-counts.loc[level, "count"], level))
    events = [int(counts.loc[level, "sum"]) for level in levels] + [0]
    non_events = [int(counts.loc[level, "count"] - counts.loc[level, "sum"]) for level in levels] + [0]
    woe, iv = hand_woe_iv(events, non_events)
    entry = results["columns"][column]
    assert entry["iv"] == pytest.approx(iv, rel=REL)
    assert entry["iv"] == pytest.approx(0.6660115034, abs=1e-9)
    assert entry["chart"]["y"][:-1] == pytest.approx(woe[:-1], rel=REL)
    assert entry["strength"] == "suspicious"

    values = german["duration_in_month"].astype(float).to_numpy()
    edges = np.unique(np.quantile(values, [0.2, 0.4, 0.6, 0.8]))
    codes = [sum(1 for edge in edges if edge < value) for value in values]
    flags = german["default_flag"].tolist()
    events = [sum(1 for code, flag in zip(codes, flags) if code == bin_ and flag == 1) for bin_ in range(5)] + [0]
    non_events = [sum(1 for code, flag in zip(codes, flags) if code == bin_ and flag == 0) for bin_ in range(5)] + [0]
    _, iv = hand_woe_iv(events, non_events)
    assert results["columns"]["duration_in_month"]["iv"] == pytest.approx(iv, rel=REL)
    assert [item["column"] for item in results["ranking"]][0] == column
    assert results["target"] == "default_flag"


def test_optimal_bins_match_optbinning(client, german_id, german):
    response = analyze(client, dataset_id=german_id, method="optimal", columns=["duration_in_month", "purpose"],
                       monotonic_trend="ascending")

    assert response.status_code == 200, response.get_json()
    columns = parse_strict(response)["results"]["columns"]
    target = german["default_flag"].to_numpy()
    for column, dtype in (("duration_in_month", "numerical"), ("purpose", "categorical")):
        binning = OptimalBinning(name=column, dtype=dtype, monotonic_trend="ascending")
        values = german[column].to_numpy(dtype=float if dtype == "numerical" else object)
        binning.fit(values, target)
        table = binning.binning_table.build(add_totals=False)
        table = table[table["Bin"].astype(str) != "Special"]
        entry = columns[column]
        assert len(entry["bins"]) == len(table)
        for row, (_, expected) in zip(entry["bins"], table.iterrows(), strict=True):
            assert row["count"] == expected["Count"]
            assert row["events"] == expected["Event"]
            if row["count"]:
                assert row["woe"] == pytest.approx(-expected["WoE"], rel=REL, abs=1e-12)
                assert row["iv_bin"] == pytest.approx(expected["IV"], rel=REL, abs=1e-15)
        assert entry["iv"] == pytest.approx(binning.binning_table.iv, rel=REL)
    assert columns["duration_in_month"]["woe_trend"] == "ascending"


def test_optimal_run_stores_left_closed(client, german_id, tmp_path):
    response = analyze(client, dataset_id=german_id, method="optimal", columns=["duration_in_month", "purpose"])
    assert response.status_code == 200, response.get_json()
    result_id = response.get_json()["analysis_result_id"]

    record = client.get(f"/api/analyses/{result_id}").get_json()["analysis_result"]
    assert record["parameters"]["closed"] == "left"
    assert record["result_data"]["parameters"]["closed"] == "left"
    assert record["result_data"]["columns"]["duration_in_month"]["binning"]["closed"] == "left"

    html = client.get(f"/api/analyses/{result_id}/report.html").get_data(as_text=True)
    assert "<tr><td>closed</td><td>left</td></tr>" in html
    assert "<tr><td>closed</td><td>right</td></tr>" not in html

    workbook_path = tmp_path / "report.xlsx"
    workbook_path.write_bytes(client.get(f"/api/analyses/{result_id}/report.xlsx").data)
    sheet = openpyxl.load_workbook(workbook_path)["Parameters"]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert values["closed"] == "left"


def test_pure_bin_and_missing_bin_through_upload(client, tmp_path):
    # x = 5 has no defaults; 40 rows have no x, half of them defaults.
    frame = pd.DataFrame({
        "obligor_id": [f"O{index}" for index in range(260)],
        "pd": 0.05,
        "x": [5.0] * 50 + [15.0] * 110 + [25.0] * 60 + [None] * 40,
        "default_flag": [0] * 50 + [0] * 100 + [1] * 10 + [0] * 50 + [1] * 10 + [1] * 20 + [0] * 20,
    })
    dataset_id = upload_frame(client, tmp_path, "pd", frame, "pure.csv")

    response = analyze(client, dataset_id=dataset_id, columns=["x"], method="user", cut_points={"x": [10, 20]},
                       adjustment=0.5)

    assert response.status_code == 200, response.get_json()
    results = parse_strict(response)["results"]
    entry = results["columns"]["x"]
    woe, iv = hand_woe_iv([0, 10, 10, 20], [50, 100, 50, 20])
    assert [row["label"] for row in entry["bins"]] == ["[-inf, 10]", "(10, 20]", "(20, inf]", "Missing"]
    assert [row["woe"] for row in entry["bins"]] == pytest.approx(woe, rel=REL)
    assert entry["iv"] == pytest.approx(iv, rel=REL)
    assert entry["bins"][0]["pure"] is True
    assert entry["bins"][3]["count"] == 40
    assert any(warning["code"] == "pure_bin" for warning in results["warnings"])


def test_baseline_dataset_accepted(client, tmp_path, german):
    dataset_id = upload_frame(client, tmp_path, "pd_baseline", german, "german_baseline.csv")

    response = analyze(client, dataset_id=dataset_id, columns=["purpose"])

    assert response.status_code == 200, response.get_json()
    assert parse_strict(response)["results"]["dataset"]["model_type"] == "pd_baseline"


def test_latest_pd_dataset_by_default(client, german_id):
    response = analyze(client, columns=["purpose"])

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["results"]["dataset"]["id"] == german_id


def test_lgd_dataset_rejected(client, upload):
    dataset_id = upload("lgd", "lgd_synthetic.csv").get_json()["dataset_id"]

    response = analyze(client, dataset_id=dataset_id)

    assert response.status_code == 400
    assert response.get_json()["code"] == "wrong_dataset_type"
    assert f"Dataset {dataset_id} is an 'lgd' upload" in response.get_json()["error"]


def test_reference_dataset_rejected(client, german_id):
    response = analyze(client, dataset_id=german_id, reference_dataset_id=german_id)

    assert response.status_code == 422
    assert "stability" in response.get_json()["error"]


def test_missing_columns_named(client, german_id):
    response = analyze(client, dataset_id=german_id, columns=["purpose", "ltv"])

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "missing_column"
    assert body["details"]["missing"] == ["ltv"]


def test_invalid_option_value_rejected(client, german_id):
    response = analyze(client, dataset_id=german_id, method="tree")

    assert response.status_code == 400
    assert response.get_json()["success"] is False
