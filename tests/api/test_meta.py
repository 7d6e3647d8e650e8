"""Health, OpenAPI document, error envelope, CORS and request ids."""

from __future__ import annotations

import json


def test_health_reports_database(client):
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok"
    assert body["database"] in ("sqlite", "postgresql")


def test_openapi_lists_contract_routes(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for model_type in ("pd", "pd_baseline", "lgd", "ead", "macro"):
        assert "post" in paths[f"/api/upload/{model_type}"]
    for analysis_type in ("pd", "lgd", "ead", "macro", "rating_transition", "stability"):
        assert "post" in paths[f"/api/analyze/{analysis_type}"]
    for path in ("/api/thresholds", "/api/user-thresholds", "/api/summary", "/api/database/datasets",
                 "/api/database/analysis-results", "/api/database/download/{dataset_id}"):
        assert path in paths
    schemas = document["components"]["schemas"]
    assert "PDAnalyzeRequest" in schemas
    assert "dataset_id" in schemas["PDAnalyzeRequest"]["properties"]


def test_unknown_route_gives_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    body = response.get_json()
    assert body["success"] is False
    assert isinstance(body["error"], str)
    assert body["code"] == "not_found"


def test_wrong_method_gives_json_405(client):
    response = client.delete("/api/summary")
    assert response.status_code == 405
    assert response.get_json()["code"] == "method_not_allowed"


def test_unknown_analysis_option_rejected(client):
    response = client.post("/api/analyze/pd", json={"dataset_id": 1, "n_binz": 5})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "invalid_request"
    assert body["details"]["fields"][0]["field"] == "n_binz"


def test_request_id_echoed(client):
    response = client.get("/api/health", headers={"X-Request-ID": "abc123"})
    assert response.headers["X-Request-ID"] == "abc123"
    generated = client.get("/api/health").headers["X-Request-ID"]
    assert len(generated) == 16


def test_cors_preflight_answered(client):
    response = client.options(
        "/api/analyze/pd",
        headers={"Origin": "http://127.0.0.1:5173", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "Content-Type"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://127.0.0.1:5173")
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_summary_empty_database(client):
    body = client.get("/api/summary").get_json()
    assert body["counts"]["datasets"] == 0
    assert body["counts"]["analysis_results"] == 0
    assert body["latest"] == {}
    assert body["breaches"] == []


def test_strict_json_provider_replaces_non_finite(app):
    with app.app_context():
        text = app.json.dumps({"a": float("nan"), "b": [float("inf"), 1.5]})
    assert json.loads(text) == {"a": None, "b": [None, 1.5]}


def test_misspelt_option_suggests_the_accepted_name(client):
    body = client.post("/api/analyze/pd", json={"dataset_id": 1, "n_bin": 5}).get_json()
    assert body["error"].startswith("Unknown option n_bin (did you mean n_bins?)")
    assert "n_bins" in body["details"]["accepted"]


def test_dataset_id_must_be_an_integer(client):
    for value in (True, "1", 1.5):
        response = client.post("/api/analyze/pd", json={"dataset_id": value})
        assert response.status_code == 400, value
        assert response.get_json()["code"] == "invalid_request"
