"""What every route of the profile shares: CORS pre-flight, error bodies, and the default profile left as it was."""

from __future__ import annotations

import pytest

from mmt.compat.errors import details_as_text, rewrite_error_body
from tests.compat.conftest import FRONTEND_ORIGIN, ORIGINAL, PROFILE, close_app, make_app, strict_json, upload_file

FRONTEND_ROUTES = [
    ("POST", "/api/analyze/pd"),
    ("POST", "/api/analyze/lgd"),
    ("GET", "/api/lgd/options"),
    ("POST", "/api/analyze/ead"),
    ("POST", "/api/analyze/macro"),
    ("GET", "/api/summary"),
    ("POST", "/api/upload/pd"),
    ("POST", "/api/upload/pd_baseline"),
    ("POST", "/api/upload/lgd"),
    ("POST", "/api/upload/ead"),
    ("POST", "/api/upload/macro"),
    ("GET", "/api/user-thresholds"),
    ("POST", "/api/user-thresholds"),
    ("GET", "/api/database/datasets"),
    ("PUT", "/api/database/datasets/1"),
    ("DELETE", "/api/database/datasets/1"),
    ("GET", "/api/database/analysis-results"),
    ("DELETE", "/api/database/analysis-results/1"),
    ("GET", "/api/database/download/1"),
]


@pytest.mark.parametrize("method, path", FRONTEND_ROUTES)
def test_preflight_allows_frontend_origin(compat_client, method, path):
    response = compat_client.options(path, headers={
        "Origin": FRONTEND_ORIGIN,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type",
    })
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] in ("*", FRONTEND_ORIGIN)
    assert method in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()


def test_cross_origin_get_carries_allow_origin(compat_client):
    response = compat_client.get("/api/summary", headers={"Origin": FRONTEND_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] in ("*", FRONTEND_ORIGIN)


def test_upload_error_details_are_text(compat_client, tmp_path):
    path = tmp_path / "no_pd.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    response = upload_file(compat_client, "pd", path)
    assert 400 <= response.status_code < 500
    body = strict_json(response)
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body.get("details", ""), str)


def test_missing_file_error_is_text(compat_client):
    response = compat_client.post("/api/upload/lgd", data={"description": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400
    body = strict_json(response)
    assert "field 'file'" in body["error"]
    assert isinstance(body["details"], str)


def test_invalid_json_error_is_text(compat_client):
    response = compat_client.post("/api/analyze/lgd", data="{not json", content_type="application/json")
    assert response.status_code == 400
    body = strict_json(response)
    assert isinstance(body["error"], str)


def test_default_profile_keeps_details_object(client):
    response = client.post("/api/upload/lgd", data={"description": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert isinstance(strict_json(response)["details"], dict)


def test_default_profile_keeps_readme_contract(client, upload):
    assert upload("pd", "mmt_original/Data_PD_Model.csv").status_code == 200
    body = strict_json(client.post("/api/analyze/pd", json={"sortingMethod": "PD_1_YR", "request_id": "x"}))
    assert body["success"] is True
    assert "results" in body
    assert "discriminatory_power" not in body
    listing = strict_json(client.get("/api/database/datasets"))
    assert {"datasets", "total", "page", "per_page"} <= set(listing)


def test_profile_and_default_share_numbers(client, upload, tmp_path):
    assert upload("lgd", "mmt_original/lgd_mock_data.csv").status_code == 200
    default = strict_json(client.post("/api/analyze/lgd", json={"quarter": "2020Q2"}))["results"]
    compat_app = make_app(tmp_path / "profile", **PROFILE)
    try:
        compat_client = compat_app.test_client()
        assert upload_file(compat_client, "lgd", ORIGINAL / "lgd_mock_data.csv").status_code == 200
        compat = strict_json(compat_client.post("/api/analyze/lgd", json={"quarter": "2020Q2"}))
    finally:
        close_app(compat_app)
    for name in ("MAPE", "R-squared", "MAE", "Bias"):
        assert compat["metrics"][name] == default["metrics"][name], name
    assert compat["plot_data"]["actual_lgd"] == default["plot_data"]["actual_lgd"]


def test_details_as_text_reads_nested_values():
    details = {"filters": {"quarter": ["2021Q1"]}, "missing_columns": [], "rows": [4, 9]}
    assert details_as_text(details) == "filters: (quarter: [2021Q1]); missing_columns: []; rows: [4, 9]"
    assert details_as_text("already text") == "already text"
    assert details_as_text([1, None]) == "[1, none]"


def test_rewrite_fills_error_and_details():
    assert rewrite_error_body({"details": {}}, 500) == {"error": "Request failed with status 500."}
    assert rewrite_error_body({"error": ["a"], "message": "Readable"}, 400)["error"] == "Readable"
    assert rewrite_error_body({"error": "x", "details": {"a": 1}}, 400) == {"error": "x", "details": "a: 1"}
