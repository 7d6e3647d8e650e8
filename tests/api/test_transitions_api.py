"""Rating transitions over HTTP: rating histories, two extracts, and the original arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.conftest import DATA

MOODYS = ["Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3", "Ba1", "Ba2", "Ba3", "B1", "B2", "B3", "Caa1", "Caa2"]


def test_transitions_pooled_matrix_equals_crosstab(client, upload):
    dataset_id = upload("ratings", "rating_transitions.csv").get_json()["dataset_id"]
    response = client.post("/api/analyze/rating_transition", json={"dataset_id": dataset_id})
    assert response.status_code == 200, response.get_json()
    matrix = response.get_json()["results"]["pooled"]["matrix"]
    history = pd.read_csv(DATA / "rating_transitions.csv", dtype={"rating": str}).sort_values(["obligor_id", "snapshot_date"])
    history["next_rating"] = history.groupby("obligor_id")["rating"].shift(-1)
    dates = sorted(history["snapshot_date"].unique())
    next_date = dict(zip(dates[:-1], dates[1:]))
    history["next_date"] = history.groupby("obligor_id")["snapshot_date"].shift(-1)
    # Only consecutive yearly snapshots of non-defaulted obligors form a transition; a missing next row is an exit.
    starts = history[(history["rating"] != "D") & history["snapshot_date"].isin(next_date)]
    moved = starts[starts["next_date"] == starts["snapshot_date"].map(next_date)]
    crosstab = pd.crosstab(moved["rating"], moved["next_rating"])
    for row_index, grade in enumerate(matrix["rows"]):
        for column_index, target in enumerate(matrix["columns"]):
            if target == "Exit":
                continue
            expected = crosstab.loc[grade, target] if grade in crosstab.index and target in crosstab.columns else 0
            assert matrix["counts"][row_index][column_index] == expected, (grade, target)
    exits = matrix["columns"].index("Exit")
    expected_exits = starts.groupby("rating").size() - moved.groupby("rating").size().reindex(starts["rating"].unique(), fill_value=0)
    for row_index, grade in enumerate(matrix["rows"]):
        assert matrix["counts"][row_index][exits] == int(expected_exits.get(grade, 0))


def test_transitions_between_two_extracts_in_moodys_order(client, upload):
    previous = upload("pd_baseline", "mmt_original/Data_PD_Model_pvs_qtr.csv").get_json()["dataset_id"]
    current = upload("pd", "mmt_original/Data_PD_Model.csv").get_json()["dataset_id"]
    response = client.post("/api/analyze/rating_transition", json={"dataset_id": current, "reference_dataset_id": previous})
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert results["grade_order"][:-1] == [grade for grade in MOODYS if grade in results["grade_order"]]
    assert results["grade_order"][-1] == "D"
    matrix = results["pooled"]["matrix"]
    counts = np.asarray(matrix["counts"])
    assert counts.sum() == 4010
    previous_frame = pd.read_csv(DATA / "mmt_original/Data_PD_Model_pvs_qtr.csv")
    current_frame = pd.read_csv(DATA / "mmt_original/Data_PD_Model.csv")
    changed = int((previous_frame["TTCReportingRating"] != current_frame["TTCReportingRating"]).sum())
    assert counts.sum() - np.trace(counts[:, : len(matrix["rows"])]) == changed


def test_transitions_from_front_end_arrays(client):
    response = client.post("/api/analyze/rating_transition",
                           json={"previous_ratings": ["A", "B", "B", "C"], "current_ratings": ["A", "C", "B", "D"]})
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    for key in ("transition_matrix", "stability_rate", "unique_ratings", "total_transitions", "significant_migrations"):
        assert key in results
    assert results["total_transitions"] == 4
    assert results["stability_rate"] == 0.5


def test_transitions_unequal_arrays_rejected(client):
    response = client.post("/api/analyze/rating_transition", json={"previous_ratings": ["A"], "current_ratings": ["A", "B"]})
    assert response.status_code == 422
    assert "1" in response.get_json()["error"] and "2" in response.get_json()["error"]


def test_transitions_without_common_obligors_give_null_stability(client):
    import io

    csv = "obligor_id,snapshot_date,rating\nA,2023-12-31,1\nB,2023-12-31,2\nC,2024-12-31,1\nD,2024-12-31,2\n"
    upload = client.post("/api/upload/ratings", data={"file": (io.BytesIO(csv.encode()), "r.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 200, upload.get_json()
    results = client.post("/api/analyze/rating_transition", json={}).get_json()["results"]
    # A and B exit, so they count in the denominator, while no obligor is rated at both dates.
    assert results["total_transitions"] == 2
    assert results["stability_rate"] is None
    assert any("No obligor has a rating at two consecutive dates" in warning for warning in results["warnings"])


def test_transitions_default_to_the_latest_rating_history(client, upload):
    history = upload("ratings", "rating_transitions.csv").get_json()["dataset_id"]
    upload("pd", "pd_germancredit.csv")
    results = client.post("/api/analyze/rating_transition", json={}).get_json()["results"]
    assert results["dataset"]["id"] == history


def test_transitions_reject_dataset_as_own_reference(client, upload):
    current = upload("pd", "mmt_original/Data_PD_Model.csv").get_json()["dataset_id"]
    response = client.post("/api/analyze/rating_transition", json={"dataset_id": current, "reference_dataset_id": current})
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == "reference_equals_current"
    assert body["details"] == {"dataset_id": current, "reference_dataset_id": current}


def test_transitions_warn_when_extracts_are_equal(client, upload):
    previous = upload("pd_baseline", "mmt_original/Data_PD_Model.csv").get_json()["dataset_id"]
    current = upload("pd", "mmt_original/Data_PD_Model.csv").get_json()["dataset_id"]
    response = client.post("/api/analyze/rating_transition", json={"dataset_id": current, "reference_dataset_id": previous})
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    same = [warning for warning in results["warnings"] if "has the same content" in warning]
    assert len(same) == 1
    assert same[0].startswith(f"Reference dataset {previous} has the same content as dataset {current}")
    counts = np.asarray(results["pooled"]["matrix"]["counts"])
    assert counts.sum() == np.trace(counts[:, : len(results["pooled"]["matrix"]["rows"])])


def test_empty_period_text_rejected(client, upload):
    dataset_id = upload("ratings", "rating_transitions.csv").get_json()["dataset_id"]
    response = client.post("/api/analyze/rating_transition", json={"dataset_id": dataset_id, "periods": [""]})
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["code"] == "invalid_periods"
    assert body["details"]["value"] == ""
