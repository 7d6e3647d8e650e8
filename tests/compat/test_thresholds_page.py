"""User Inputs page (``GET`` and ``POST /api/user-thresholds``) under the profile."""

from __future__ import annotations

from tests.compat.conftest import PROFILE, close_app, is_number, make_app, strict_json

FRONTEND_BODY = {
    "pdCriteria": [
        {"metric": "Gini Coefficient", "threshold": 0.25, "description": "Minimum Gini"},
        {"metric": "KS Statistic", "threshold": 0.35, "description": "Minimum KS"},
        {"metric": "PSI", "threshold": 0.2, "description": "Maximum PSI"},
    ],
    "macroThresholds": [
        {"metric": "R-squared", "threshold": 0.6, "description": "Minimum R-squared"},
        {"metric": "P-value", "threshold": 0.01, "description": "Significance"},
    ],
    "eadThresholds": [
        {"metric": "MAPE", "threshold": 12.5, "description": "Maximum MAPE (%)"},
        {"metric": "R-squared", "threshold": 0.85, "description": "Minimum R-squared"},
    ],
}


def _lists_are_well_formed(body: dict) -> None:
    for name in ("pdCriteria", "macroThresholds", "eadThresholds"):
        assert body[name], name
        for entry in body[name]:
            assert isinstance(entry["metric"], str), name
            assert is_number(entry["threshold"]), name
            assert isinstance(entry["description"], str), name


def test_user_thresholds_default_to_thresholds_in_force(compat_client):
    body = strict_json(compat_client.get("/api/user-thresholds"))
    typed = strict_json(compat_client.get("/api/thresholds"))["thresholds"]
    _lists_are_well_formed(body)
    pd_values = {entry["metric"]: entry["threshold"] for entry in body["pdCriteria"]}
    assert pd_values == {"Gini Coefficient": typed["gini_threshold"], "KS Statistic": typed["ks_threshold"],
                         "PSI": typed["psi_threshold"]}
    macro_values = {entry["metric"]: entry["threshold"] for entry in body["macroThresholds"]}
    assert macro_values == {"R-squared": typed["r2_threshold"], "P-value": typed["significance_level"]}
    ead_values = {entry["metric"]: entry["threshold"] for entry in body["eadThresholds"]}
    assert ead_values == {"MAPE": typed["ead_mape_threshold"], "R-squared": typed["ead_r2_threshold"]}


def test_user_thresholds_saved_and_persisted(compat_app, database_url, tmp_path):
    client = compat_app.test_client()
    response = client.post("/api/user-thresholds", json=FRONTEND_BODY)
    assert response.status_code == 200
    assert strict_json(client.get("/api/user-thresholds"))["eadThresholds"] == FRONTEND_BODY["eadThresholds"]
    restarted = make_app(tmp_path / "restart", database_url, **PROFILE)
    try:
        body = strict_json(restarted.test_client().get("/api/user-thresholds"))
    finally:
        close_app(restarted)
    for name, value in FRONTEND_BODY.items():
        assert body[name] == value, name


def test_user_thresholds_keep_typed_thresholds(compat_client):
    before = strict_json(compat_client.get("/api/thresholds"))["thresholds"]
    assert compat_client.post("/api/user-thresholds", json=FRONTEND_BODY).status_code == 200
    assert strict_json(compat_client.get("/api/thresholds"))["thresholds"] == before


def test_user_thresholds_partial_save_keeps_others(compat_client):
    defaults = strict_json(compat_client.get("/api/user-thresholds"))
    response = compat_client.post("/api/user-thresholds", json={"pdCriteria": FRONTEND_BODY["pdCriteria"]})
    assert response.status_code == 200
    body = strict_json(compat_client.get("/api/user-thresholds"))
    assert body["pdCriteria"] == FRONTEND_BODY["pdCriteria"]
    assert body["macroThresholds"] == defaults["macroThresholds"]
    assert body["eadThresholds"] == defaults["eadThresholds"]


def test_user_thresholds_accept_numeric_text(compat_client):
    body = {"eadThresholds": [{"metric": "MAPE", "threshold": "17.5", "description": "typed in a text field"}]}
    assert compat_client.post("/api/user-thresholds", json=body).status_code == 200
    saved = strict_json(compat_client.get("/api/user-thresholds"))["eadThresholds"]
    assert saved == [{"metric": "MAPE", "threshold": 17.5, "description": "typed in a text field"}]


def test_user_thresholds_reject_invalid_entries(compat_client):
    cases = [
        {"pdCriteria": [{"metric": "Gini Coefficient", "threshold": "high", "description": ""}]},
        {"pdCriteria": [{"metric": "Gini Coefficient", "threshold": None, "description": ""}]},
        {"pdCriteria": [{"metric": "", "threshold": 0.2, "description": ""}]},
        {"pdCriteria": [{"metric": "PSI", "threshold": 0.1}, {"metric": "PSI", "threshold": 0.2}]},
        {"pdCriteria": {"metric": "PSI", "threshold": 0.1}},
        {"lgdCriteria": []},
        {"pdCriteria": [], "extra": 1},
    ]
    for body in cases:
        response = compat_client.post("/api/user-thresholds", json=body)
        assert response.status_code == 400, body
        error = strict_json(response)
        assert isinstance(error["error"], str), body
        assert isinstance(error.get("details", ""), str), body
    saved = strict_json(compat_client.get("/api/user-thresholds"))["pdCriteria"]
    assert [entry["metric"] for entry in saved] == ["Gini Coefficient", "KS Statistic", "PSI"]


def test_default_profile_keeps_typed_user_thresholds(client):
    body = strict_json(client.get("/api/user-thresholds"))
    assert "thresholds" in body
    assert "pdCriteria" not in body
