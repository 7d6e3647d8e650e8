"""PD analysis on awkward requests: grade orders, empty reference periods, baselines and small samples.

Every test goes through POST /api/analyze/pd (or the analyses sharing the
master scale) and checks the response against a figure computed here.
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


# Grade order

def test_repeated_grade_in_order_is_rejected(client, german_id):
    response = analyze(client, dataset_id=german_id, grade_order=["10", "10"])
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "invalid_grade_order"
    assert body["details"]["repeated"] == ["10"]


@pytest.mark.parametrize("grade_order", [["x"], ["3", "4", "5"], ["3", "4", "5", "6", "7", "8", "9", "10"]])
def test_partial_grade_order_natural_rest(client, german_id, grade_order):
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


def test_transitions_repeated_grade_order(client, upload):
    dataset_id = upload("ratings", "rating_transitions.csv").get_json()["dataset_id"]
    response = client.post("/api/analyze/rating_transition", json={"dataset_id": dataset_id, "grade_order": ["1", "1"]})
    assert response.status_code in (400, 422), response.get_json()
    assert response.get_json()["code"] == "invalid_grade_order"


def test_stability_repeated_grade_order(client, german_id):
    response = client.post("/api/analyze/stability", json={"dataset_id": german_id, "columns": ["rating"],
                                                            "grade_order": ["3", "3"]})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "invalid_grade_order"


# Reference period without rows

def reference_psi(reference: np.ndarray, current: np.ndarray, n_bins: int = 10) -> float:
    edges = np.unique(np.quantile(reference, np.arange(1, n_bins) / n_bins))
    ref_counts = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, current, side="left"), minlength=len(edges) + 1)
    expected = np.where(ref_counts == 0, 1e-4, ref_counts / ref_counts.sum())
    actual = np.where(cur_counts == 0, 1e-4, cur_counts / cur_counts.sum())
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def assert_stability_not_computable(body: dict) -> None:
    results = body["results"]
    stability = results["stability"]
    for name in ("psi", "grade_psi"):
        assert stability[name]["value"] is None
        assert stability[name]["status"] and stability[name]["reason"]
    for entry in stability.get("csi", {}).values():
        assert entry["value"] is None
        assert entry["reason"]
    assert "empty_reference" in codes(body)
    assert results["discrimination"]["auc"]["value"] is not None
    assert results["calibration"]["portfolio"]["defaults"] is not None


def test_segment_only_in_current_period_gives_null_psi(client, tmp_path):
    frame = german()
    frame["segment"] = np.where((frame["snapshot_date"] == "2024-12-31") & (frame.index % 2 == 0), "NEW_PRODUCT", "RETAIL")
    dataset_id = upload_frame(client, tmp_path, "pd", frame, "segments.csv")
    response = analyze(client, dataset_id=dataset_id, segment="NEW_PRODUCT")
    assert response.status_code == 200, response.get_json()
    body = parse_strict(response)
    assert_stability_not_computable(body)
    current = frame[frame["segment"] == "NEW_PRODUCT"]
    assert body["results"]["discrimination"]["auc"]["value"] == pytest.approx(
        roc_auc_score(current["default_flag"], current["pd"]), rel=REL)


def test_baseline_with_empty_pd_column_gives_null_psi(client, tmp_path):
    frame = german()
    reference = frame[frame["snapshot_date"] == "2023-12-31"].drop(columns=["snapshot_date"]).assign(pd="")
    current = frame[frame["snapshot_date"] == "2024-12-31"].drop(columns=["snapshot_date"])
    reference_id = upload_frame(client, tmp_path, "pd_baseline", reference, "empty_pd.csv")
    current_id = upload_frame(client, tmp_path, "pd", current, "current.csv")
    response = analyze(client, dataset_id=current_id, reference_dataset_id=reference_id)
    assert response.status_code == 200, response.get_json()
    assert_stability_not_computable(parse_strict(response))


def test_unknown_reference_snapshot_date_names_the_available_ones(client, german_id):
    response = analyze(client, dataset_id=german_id, reference_snapshot_date="2030-01-01")
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "unknown_snapshot_date"
    assert body["details"]["available"] == ["2023-12-31", "2024-12-31"]
    assert "2023-12-31" in body["error"]


def test_unknown_snapshot_date_details_are_iso_text(client, german_id):
    # Dates in details must be plain text, or an async job cannot store its error.
    response = analyze(client, dataset_id=german_id, snapshot_date="2030-01-01")
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["details"]["requested"] == ["2030-01-01"]
    assert body["details"]["available"] == ["2023-12-31", "2024-12-31"]
    json.dumps(body["details"])


# Reference equal to the current period

def test_default_reference_skips_current_snapshot(client, german_id):
    frame = german()
    response = analyze(client, dataset_id=german_id, snapshot_date="2023-12-31")
    assert response.status_code == 200, response.get_json()
    results = parse_strict(response)["results"]
    assert results["reference"]["reference_snapshots"] == ["2024-12-31"]
    reference = frame.loc[frame["snapshot_date"] == "2024-12-31", "pd"].to_numpy()
    current = frame.loc[frame["snapshot_date"] == "2023-12-31", "pd"].to_numpy()
    assert results["stability"]["psi"]["value"] == pytest.approx(reference_psi(reference, current), rel=REL)
    assert results["stability"]["psi"]["value"] > 0


@pytest.mark.parametrize("payload", [
    {"reference_dataset_id": None},
    {"reference_snapshot_date": "2024-12-31", "snapshot_date": "2024-12-31"},
    {"reference_dataset_id": None, "snapshot_date": "2024-12-31"},
])
def test_reference_equal_to_current_is_rejected(client, german_id, payload):
    payload = {key: (german_id if key == "reference_dataset_id" else value) for key, value in payload.items()}
    response = analyze(client, dataset_id=german_id, **payload)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "reference_equals_current"
    assert "reference_snapshot_date" in body["error"]
    json.dumps(body["details"])


def test_same_dataset_with_disjoint_snapshots_is_a_comparison(client, german_id):
    response = analyze(client, dataset_id=german_id, reference_dataset_id=german_id,
                       reference_snapshot_date="2023-12-31", snapshot_date="2024-12-31")
    assert response.status_code == 200, response.get_json()
    frame = german()
    reference = frame.loc[frame["snapshot_date"] == "2023-12-31", "pd"].to_numpy()
    current = frame.loc[frame["snapshot_date"] == "2024-12-31", "pd"].to_numpy()
    psi = parse_strict(response)["results"]["stability"]["psi"]["value"]
    assert psi == pytest.approx(reference_psi(reference, current), rel=REL)


# Every row without a PD or default flag

def test_empty_selection_message_counts_the_dropped_rows(client, tmp_path):
    frame = german()
    # Half the rows lack a PD, the other half a default flag, so that both columns have values.
    frame["pd"] = frame["pd"].where(frame.index % 2 == 1)
    frame["default_flag"] = frame["default_flag"].where(frame.index % 2 == 0).astype("Int64")
    dataset_id = upload_frame(client, tmp_path, "pd", frame, "no_flags.csv")
    response = analyze(client, dataset_id=dataset_id)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "empty_selection"
    current_rows = int((frame["snapshot_date"] == "2024-12-31").sum())
    assert f"{current_rows} of {current_rows}" in body["error"]
    assert "filter" not in body["error"]
    json.dumps(body["details"])

    response = analyze(client, dataset_id=dataset_id, snapshot_date="2024-12-31")
    assert response.status_code == 422
    assert "snapshot_date=2024-12-31" in response.get_json()["error"]


# Baselines chosen without a request

def german_periods(columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = german()
    reference = frame.loc[frame["snapshot_date"] == "2023-12-31", columns]
    current = frame.loc[frame["snapshot_date"] == "2024-12-31", columns]
    return reference, current


def test_baseline_with_other_grades_is_not_chosen(client, tmp_path):
    reference, current = german_periods(["obligor_id", "pd", "default_flag", "rating_grade"])
    letters = reference.assign(rating_grade=reference["rating_grade"].map(lambda grade: "ABCDEFGHIJK"[grade]))
    upload_frame(client, tmp_path, "pd_baseline", letters, "letters.csv")
    current_id = upload_frame(client, tmp_path, "pd", current, "current.csv")

    results = parse_strict(analyze(client, dataset_id=current_id))["results"]
    assert results["reference"]["source"] is None
    assert "reference_dataset_id" in results["reference"]["reason"] or "grades" in results["reference"]["reason"]
    assert results["stability"]["psi"] is None
    assert "baseline_chosen" not in [warning["code"] for warning in results["warnings"]]

    baseline_id = upload_frame(client, tmp_path, "pd_baseline", reference, "same_grades.csv")
    results = parse_strict(analyze(client, dataset_id=current_id))["results"]
    assert results["reference"]["dataset_id"] == baseline_id
    chosen = [warning for warning in results["warnings"] if warning["code"] == "baseline_chosen"]
    assert chosen[0]["details"] == {"dataset_id": baseline_id, "name": results["reference"]["name"]}
    assert str(baseline_id) in chosen[0]["message"]
    assert "reference_dataset_id" in chosen[0]["message"]
    assert results["stability"]["psi"]["value"] == pytest.approx(
        reference_psi(reference["pd"].to_numpy(), current["pd"].to_numpy()), rel=REL)


def test_no_features_no_rating_no_baseline(client, tmp_path):
    reference, current = german_periods(["obligor_id", "pd", "default_flag"])
    upload_frame(client, tmp_path, "pd_baseline", reference, "baseline.csv")
    current_id = upload_frame(client, tmp_path, "pd", current, "current.csv")
    results = parse_strict(analyze(client, dataset_id=current_id))["results"]
    assert results["reference"]["source"] is None
    assert "reference_dataset_id" in results["reference"]["reason"]
    assert results["stability"]["psi"] is None


# Small samples

def test_two_rows_get_a_small_sample_note(client, tmp_path):
    frame = pd.DataFrame({"obligor_id": ["A", "B"], "pd": [0.1, 0.9], "default_flag": [0, 1]})
    dataset_id = upload_frame(client, tmp_path, "pd", frame, "two.csv")
    body = parse_strict(analyze(client, dataset_id=dataset_id))
    results = body["results"]
    assert results["discrimination"]["auc"]["value"] == roc_auc_score(frame["default_flag"], frame["pd"])
    assert "small_sample" in codes(body)
    notes = {entry["metric"]: entry.get("note") for entry in results["summary_statuses"]}
    for metric in ("discrimination.auc", "discrimination.gini", "discrimination.ks"):
        assert notes[metric] and "1 default," in notes[metric]


def test_ninety_defaults_get_no_small_sample_note(client, german_id):
    body = parse_strict(analyze(client, dataset_id=german_id))
    assert "small_sample" not in codes(body)
    assert all("note" not in entry for entry in body["results"]["summary_statuses"]
               if entry["metric"].startswith("discrimination."))


def test_async_unknown_snapshot_date_fails_the_job(client, german_id):
    import time

    accepted = client.post("/api/analyze/pd", json={"dataset_id": german_id, "snapshot_date": "2030-01-01", "async": True})
    assert accepted.status_code == 202, accepted.get_json()
    job_url = accepted.get_json()["status_url"]
    deadline = time.monotonic() + 30
    job = client.get(job_url).get_json()
    while job["state"] not in ("completed", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.get(job_url).get_json()
    assert job["state"] == "failed", job
    assert "2030-01-01" in json.dumps(job)
