"""PD analysis on awkward requests: grade orders, empty reference periods, baselines and small samples.

Every test goes through POST /api/analyze/pd (or the analyses sharing the
master scale) and checks the answer against a figure computed here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

DATA = Path(__file__).parents[2] / "data"

REL = 1e-9
GERMAN = "pd_germancredit.csv"


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


def german() -> pd.DataFrame:
    return pd.read_csv(DATA / GERMAN)


@pytest.fixture
def german_id(upload) -> int:
    response = upload("pd", GERMAN)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["dataset_id"]


def analyze(client, **payload):
    return client.post("/api/analyze/pd", json=payload)


def codes(body: dict) -> list[str]:
    return [warning["code"] for warning in body["results"]["warnings"]]


# 1. grade_order

def test_repeated_grade_in_order_is_rejected(client, german_id):
    response = analyze(client, dataset_id=german_id, grade_order=["10", "10"])
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "invalid_grade_order"
    assert body["details"]["repeated"] == ["10"]


@pytest.mark.parametrize("grade_order", [["x"], ["3", "4", "5"], ["3", "4", "5", "6", "7", "8", "9", "10"]])
def test_partial_grade_order_ranks_the_rest_on_the_scale(client, german_id, grade_order):
    frame = german()
    current = frame[frame["snapshot_date"] == "2024-12-31"]
    body = parse_strict(analyze(client, dataset_id=german_id, grade_order=grade_order))
    grade_auc = body["results"]["discrimination"]["grade_auc"]
    assert grade_auc["grade_order"] == [str(grade) for grade in sorted(current["rating_grade"].unique())]
    assert grade_auc["value"] == pytest.approx(roc_auc_score(current["default_flag"], current["rating_grade"]), rel=REL)
    calibration = body["results"]["calibration"]
    assert sum(grade["obligors"] for grade in calibration["grades"] if grade["obligors"]) == len(current)
    assert calibration["portfolio"]["defaults"] == int(current["default_flag"].sum())
    warnings = body["results"]["warnings"]
    messages = " ".join(warning["message"] for warning in warnings if warning["code"] == "grade_order")
    if "x" in grade_order:
        unused = [warning for warning in warnings if warning["code"] == "grade_order_unused"]
        assert unused[0]["details"]["absent_grades"] == ["x"]
    missing = [str(grade) for grade in sorted(current["rating_grade"].unique()) if str(grade) not in grade_order]
    for grade in missing:
        assert f"'{grade}'" in messages
    if not missing and "x" not in grade_order:
        assert "grade_order" not in codes(body)


def test_repeated_grade_order_in_rating_transitions_is_a_validation_error(client, upload):
    dataset_id = upload("ratings", "rating_transitions.csv").get_json()["dataset_id"]
    response = client.post("/api/analyze/rating_transition", json={"dataset_id": dataset_id, "grade_order": ["1", "1"]})
    assert response.status_code in (400, 422), response.get_json()
    assert response.get_json()["code"] == "invalid_grade_order"


def test_repeated_grade_order_in_stability_is_a_validation_error(client, german_id):
    response = client.post("/api/analyze/stability", json={"dataset_id": german_id, "columns": ["rating"],
                                                            "grade_order": ["3", "3"]})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "invalid_grade_order"
