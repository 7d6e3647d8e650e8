"""Summary page (``GET /api/summary``) under the profile: ``metrics`` and ``timeSeries`` from stored results."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_percentage_error, r2_score, roc_auc_score

from tests.compat.conftest import ORIGINAL, UPLOADS, is_number, read_ead, read_lgd, read_macro, read_pd, strict_json, upload_file
from tests.conftest import DATA

REL = 1e-9


def _summary(client) -> dict:
    response = client.get("/api/summary")
    assert response.status_code == 200
    return strict_json(response)


def test_summary_without_results_is_empty(compat_client):
    body = _summary(compat_client)
    assert body["metrics"] == {}
    assert body["timeSeries"] == []


def test_summary_metrics_from_stored_results(compat_client):
    for model_type, name in UPLOADS:
        assert upload_file(compat_client, model_type, ORIGINAL / name).status_code == 200
    for analysis_type in ("pd", "lgd", "ead", "macro"):
        assert compat_client.post(f"/api/analyze/{analysis_type}", json={}).status_code == 200
    # Later filtered runs, as the LGD and EAD pages send them, do not replace the whole-file figures.
    assert compat_client.post("/api/analyze/lgd", json={"quarter": "2020Q1"}).status_code == 200
    assert compat_client.post("/api/analyze/ead", json={"modelName": "model1"}).status_code == 200

    body = _summary(compat_client)
    pd_frame = read_pd("Data_PD_Model.csv")
    lgd, ead, macro = read_lgd(), read_ead(), read_macro()
    expected = {
        "PD Gini": 2 * roc_auc_score(pd_frame["default_flag"], pd_frame["pd"]) - 1,
        "LGD R²": r2_score(lgd["actual_lgd"], lgd["predicted_lgd"]),
        "EAD MAPE": 100 * mean_absolute_percentage_error(ead["Exposure"], ead["predicted_exposure"]),
        "Macro R²": r2_score(macro["Defaultrate"], macro["pred_dr"]),
    }
    assert set(body["metrics"]) == set(expected)
    for label, value in expected.items():
        assert is_number(body["metrics"][label]), label
        assert body["metrics"][label] == pytest.approx(value, rel=REL), label
    assert len(body["timeSeries"]) == 1
    point = body["timeSeries"][0]
    assert isinstance(point["date"], str)
    assert point["value"] == pytest.approx(roc_auc_score(pd_frame["default_flag"], pd_frame["pd"]), rel=REL)
    assert "counts" in body


def test_summary_names_filter_of_filtered_only_result(compat_client):
    assert upload_file(compat_client, "ead", ORIGINAL / "EAD_Mock_Data.xlsx").status_code == 200
    assert compat_client.post("/api/analyze/ead", json={"modelName": "model1"}).status_code == 200
    ead = read_ead()
    ead = ead[ead["ModelName"] == "model1"]
    body = _summary(compat_client)
    expected = 100 * mean_absolute_percentage_error(ead["Exposure"], ead["predicted_exposure"])
    assert body["metrics"] == {"EAD MAPE (modelName=model1)": pytest.approx(expected, rel=REL)}


def test_summary_time_series_per_snapshot(compat_client):
    assert upload_file(compat_client, "pd", DATA / "pd_germancredit.csv").status_code == 200
    assert compat_client.post("/api/analyze/pd", json={}).status_code == 200
    frame = pd.read_csv(DATA / "pd_germancredit.csv")
    snapshots = sorted(frame["snapshot_date"].unique())
    body = _summary(compat_client)
    assert [point["date"][:10] for point in body["timeSeries"]] == snapshots
    for point, snapshot in zip(body["timeSeries"], snapshots):
        part = frame[frame["snapshot_date"] == snapshot]
        assert point["value"] == pytest.approx(roc_auc_score(part["default_flag"], part["pd"]), rel=REL)
        assert 0.0 <= point["value"] <= 1.0
