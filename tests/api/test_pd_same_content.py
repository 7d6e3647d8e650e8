"""The PD battery warns when the reference dataset has the same content as the current one."""

from __future__ import annotations


def analyze_pd(client, **payload):
    response = client.post("/api/analyze/pd", json=payload)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def same_content_warnings(results) -> list[dict]:
    return [warning for warning in results["warnings"] if isinstance(warning, dict) and warning.get("code") == "same_content"]


def test_same_file_as_baseline_warned(client, upload):
    current = upload("pd", "pd_default_islp.csv").get_json()["dataset_id"]
    baseline = upload("pd_baseline", "pd_default_islp.csv").get_json()["dataset_id"]

    results = analyze_pd(client, dataset_id=current, reference_dataset_id=baseline)

    warnings = same_content_warnings(results)
    assert len(warnings) == 1
    assert warnings[0]["details"] == {"dataset_id": current, "reference_dataset_id": baseline}
    assert f"Reference dataset {baseline} has the same content as dataset {current}" in warnings[0]["message"]
    assert results["stability"]["psi"]["value"] == 0.0


def test_automatic_baseline_with_same_content_warned(client, upload):
    # One snapshot only, so the latest compatible baseline is chosen as the reference.
    baseline = upload("pd_baseline", "mmt_original/Data_PD_Model.csv").get_json()["dataset_id"]
    current = upload("pd", "mmt_original/Data_PD_Model.csv").get_json()["dataset_id"]

    results = analyze_pd(client, dataset_id=current)

    codes = [warning.get("code") for warning in results["warnings"] if isinstance(warning, dict)]
    assert "baseline_chosen" in codes
    assert [warning["details"]["reference_dataset_id"] for warning in same_content_warnings(results)] == [baseline]


def test_other_baseline_not_warned(client, upload):
    baseline = upload("pd_baseline", "mmt_original/Data_PD_Model_pvs_qtr.csv").get_json()["dataset_id"]
    current = upload("pd", "mmt_original/Data_PD_Model.csv").get_json()["dataset_id"]

    results = analyze_pd(client, dataset_id=current, reference_dataset_id=baseline)

    assert same_content_warnings(results) == []
