"""The summary: computed from stored results, per dataset, and marked when thresholds changed."""

from __future__ import annotations


def test_summary_lists_every_dataset_and_its_breaches(client, upload):
    first = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    second = upload("pd", "pd_lendingclub.csv").get_json()["dataset_id"]
    results = {}
    for dataset_id in (first, second):
        response = client.post("/api/analyze/pd", json={"dataset_id": dataset_id})
        assert response.status_code == 200
        results[dataset_id] = response.get_json()
    summary = client.get("/api/summary").get_json()
    assert summary["counts"]["datasets"] == 2
    assert summary["counts"]["analysis_results"] == 2
    # The latest result per type is the last one run; per dataset, both are listed.
    assert summary["latest"]["pd"]["dataset_id"] == second
    assert [entry["dataset_id"] for entry in summary["latest_by_dataset"]] == [first, second]
    expected = [
        (dataset_id, status["metric"], status["status"])
        for dataset_id, body in results.items()
        for status in body["results"]["summary_statuses"]
        if status["status"] in ("amber", "red")
    ]
    found = [(item["dataset_id"], item["metric"], item["status"]) for item in summary["breaches"]]
    assert found == expected
    assert summary["counts"]["breaches"] == len(expected)
    # The lending club model is weak (AUC about 0.70): its AUC breach is listed.
    assert (second, "discrimination.auc", "amber") in found


def test_summary_marks_results_evaluated_under_old_thresholds(client, upload):
    dataset_id = upload("pd", "pd_germancredit.csv").get_json()["dataset_id"]
    client.post("/api/analyze/pd", json={"dataset_id": dataset_id})
    entry = client.get("/api/summary").get_json()["latest"]["pd"]
    assert entry["thresholds_changed_since"] == []
    assert entry["note"] is None
    client.post("/api/thresholds", json={"auc_threshold": 0.8})
    entry = client.get("/api/summary").get_json()["latest"]["pd"]
    assert entry["thresholds_changed_since"] == ["auc_threshold"]
    assert "auc_threshold" in entry["note"]
    client.post("/api/analyze/pd", json={"dataset_id": dataset_id})
    summary = client.get("/api/summary").get_json()
    assert summary["latest"]["pd"]["thresholds_changed_since"] == []
    auc = next(item for item in summary["breaches"] if item["metric"] == "discrimination.auc")
    assert auc["status"] == "amber"
