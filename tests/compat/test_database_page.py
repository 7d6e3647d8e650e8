"""Database Manager page (``/api/database/*``) under the profile."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sklearn.metrics import roc_auc_score

from tests.compat.conftest import ORIGINAL, UPLOADS, is_number, read_pd, strict_json, upload_file

DISPOSITION = re.compile(r'attachment; filename="([^"]+)"')


def _upload_all(client) -> dict[str, int]:
    ids = {}
    for model_type, name in UPLOADS:
        response = upload_file(client, model_type, ORIGINAL / name)
        assert response.status_code == 200, response.get_json()
        ids[name] = response.get_json()["dataset_id"]
    return ids


def _datasets(client) -> list[dict]:
    response = client.get("/api/database/datasets")
    assert response.status_code == 200
    return strict_json(response)["datasets"]


def test_dataset_list_fields(compat_client):
    _upload_all(compat_client)
    datasets = _datasets(compat_client)
    assert [row["name"] for row in datasets] == [name for _, name in UPLOADS]
    for row in datasets:
        assert is_number(row["id"])
        assert isinstance(row["name"], str)
        assert row["description"] is None or isinstance(row["description"], str)
        assert row["file_type"] in ("pd", "lgd", "ead", "macro")
        assert row["file_size"] == (ORIGINAL / row["name"]).stat().st_size
        assert row["upload_date"].endswith("Z")
        dt.datetime.fromisoformat(row["upload_date"].replace("Z", "+00:00"))
        assert isinstance(row["is_baseline"], bool)
        assert isinstance(row["column_names"], list)
        assert is_number(row["row_count"])
    baseline = datasets[0]
    assert baseline["file_type"] == "pd"
    assert baseline["is_baseline"] is True
    assert all(row["is_baseline"] is False for row in datasets[1:])


def test_analysis_result_list_fields_and_filters(compat_client):
    ids = _upload_all(compat_client)
    for analysis_type in ("pd", "lgd", "ead", "macro"):
        assert compat_client.post(f"/api/analyze/{analysis_type}", json={}).status_code == 200
    response = compat_client.get("/api/database/analysis-results")
    assert response.status_code == 200
    results = strict_json(response)["analysis_results"]
    assert [row["analysis_type"] for row in results] == ["pd", "lgd", "ead", "macro"]
    for row in results:
        assert is_number(row["id"])
        assert is_number(row["dataset_id"])
        assert isinstance(row["analysis_type"], str)
        assert row["analysis_date"].endswith("Z")
        assert isinstance(row["parameters"], dict)
        assert isinstance(row["result_data"], dict)
    assert results[0]["dataset_id"] == ids["Data_PD_Model.csv"]
    filtered = strict_json(compat_client.get("/api/database/analysis-results?analysis_type=lgd"))["analysis_results"]
    assert [row["analysis_type"] for row in filtered] == ["lgd"]
    by_dataset = strict_json(compat_client.get(f"/api/database/analysis-results?dataset_id={ids['EAD_Mock_Data.xlsx']}"))
    assert [row["analysis_type"] for row in by_dataset["analysis_results"]] == ["ead"]


def test_dataset_update_and_baseline_toggle(compat_client):
    previous = upload_file(compat_client, "pd", ORIGINAL / "Data_PD_Model_pvs_qtr.csv").get_json()["dataset_id"]
    assert upload_file(compat_client, "pd", ORIGINAL / "Data_PD_Model.csv").status_code == 200
    body = strict_json(compat_client.post("/api/analyze/pd", json={"sortingMethod": "PD_1_YR", "request_id": "a"}))
    assert body["stability"]["psi"] is None
    response = compat_client.put(f"/api/database/datasets/{previous}",
                                 json={"name": "Previous quarter", "description": "baseline", "is_baseline": True})
    assert response.status_code == 200
    row = next(row for row in _datasets(compat_client) if row["id"] == previous)
    assert (row["name"], row["description"], row["is_baseline"]) == ("Previous quarter", "baseline", True)
    body = strict_json(compat_client.post("/api/analyze/pd", json={"sortingMethod": "PD_1_YR", "request_id": "b"}))
    assert body["stability"]["psi"] is not None
    current = read_pd("Data_PD_Model.csv")
    expected = 2 * roc_auc_score(current["default_flag"], current["pd"]) - 1
    assert body["discriminatory_power"]["gini"]["gini_coefficient"] == pytest.approx(expected, rel=1e-9)


def test_dataset_delete_removes_its_results(compat_client):
    ids = _upload_all(compat_client)
    assert compat_client.post("/api/analyze/lgd", json={}).status_code == 200
    response = compat_client.delete(f"/api/database/datasets/{ids['lgd_mock_data.csv']}")
    assert response.status_code == 200
    assert ids["lgd_mock_data.csv"] not in [row["id"] for row in _datasets(compat_client)]
    assert strict_json(compat_client.get("/api/database/analysis-results"))["analysis_results"] == []


def test_analysis_result_delete(compat_client):
    _upload_all(compat_client)
    result_id = strict_json(compat_client.post("/api/analyze/ead", json={}))["analysis_result_id"]
    assert compat_client.delete(f"/api/database/analysis-results/{result_id}").status_code == 200
    assert strict_json(compat_client.get("/api/database/analysis-results"))["analysis_results"] == []


@pytest.mark.parametrize("name", ["Data_PD_Model.csv", "EAD_Mock_Data.xlsx"])
def test_download_returns_file_bytes(compat_client, name):
    model_type = dict((file, kind) for kind, file in UPLOADS)[name]
    dataset_id = upload_file(compat_client, model_type, ORIGINAL / name).get_json()["dataset_id"]
    response = compat_client.get(f"/api/database/download/{dataset_id}")
    assert response.status_code == 200
    assert response.data == (ORIGINAL / name).read_bytes()
    assert "text/html" not in response.headers["Content-Type"]
    assert DISPOSITION.match(response.headers["Content-Disposition"]).group(1) == name


@pytest.mark.parametrize("method, path, body", [
    ("PUT", "/api/database/datasets/999", {"name": "x", "description": "", "is_baseline": False}),
    ("DELETE", "/api/database/datasets/999", None),
    ("DELETE", "/api/database/analysis-results/999", None),
    ("GET", "/api/database/download/999", None),
])
def test_missing_ids_answer_json_text(compat_client, method, path, body):
    response = compat_client.open(path, method=method, json=body) if body is not None else compat_client.open(path, method=method)
    assert response.status_code == 404
    assert response.is_json
    error = strict_json(response)
    assert isinstance(error["error"], str)
    assert "999" in error["error"]
    assert isinstance(error.get("details", ""), str)
