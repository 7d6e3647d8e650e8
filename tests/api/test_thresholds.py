"""Thresholds over HTTP: defaults, validation, persistence and history."""

from __future__ import annotations

from mmt.thresholds import DEFAULTS


def test_thresholds_defaults(client):
    response = client.get("/api/thresholds")
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    assert body["thresholds"]["auc_threshold"] == 0.7
    assert body["thresholds"]["gini_threshold"] == 0.4
    assert body["thresholds"]["psi_threshold"] == 0.1
    assert body["thresholds"]["psi_red_threshold"] == 0.25
    assert body["thresholds"] == DEFAULTS
    assert {spec["key"] for spec in body["specs"]} == set(DEFAULTS)


def test_thresholds_change_persists_with_history(client):
    response = client.post("/api/thresholds", json={"auc_threshold": 0.75, "psi_threshold": 0.15})
    assert response.status_code == 200
    assert response.get_json()["changed"] == {
        "auc_threshold": {"old": 0.7, "new": 0.75},
        "psi_threshold": {"old": 0.1, "new": 0.15},
    }
    again = client.get("/api/user-thresholds").get_json()["thresholds"]
    assert again["auc_threshold"] == 0.75
    assert again["psi_threshold"] == 0.15
    client.post("/api/thresholds", json={"auc_threshold": 0.72})
    history = client.get("/api/thresholds/history").get_json()["history"]
    assert [(row["key"], row["old_value"], row["new_value"]) for row in history] == [
        ("auc_threshold", 0.75, 0.72),
        ("psi_threshold", 0.1, 0.15),
        ("auc_threshold", 0.7, 0.75),
    ]


def test_thresholds_unknown_key_rejected(client):
    response = client.post("/api/thresholds", json={"auc_threshold": 0.8, "auc_treshold": 0.8})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "unknown_threshold"
    assert body["details"]["unknown_keys"] == ["auc_treshold"]
    assert "auc_treshold (did you mean auc_threshold?)" in body["error"]
    assert "Accepted keys: auc_red_threshold, auc_threshold," in body["error"]
    assert client.get("/api/thresholds").get_json()["thresholds"]["auc_threshold"] == 0.7


def test_thresholds_out_of_range_rejected(client):
    for payload in ({"auc_threshold": 1.5}, {"psi_threshold": -0.1}, {"gini_threshold": "high"},
                    {"auc_threshold": True}, {"auc_threshold": None}):
        response = client.post("/api/thresholds", json=payload)
        assert response.status_code == 400, payload
        assert response.get_json()["code"] == "invalid_threshold"
    assert client.get("/api/thresholds").get_json()["thresholds"] == DEFAULTS


def test_thresholds_inconsistent_pair_rejected(client):
    response = client.post("/api/thresholds", json={"psi_threshold": 0.3})
    assert response.status_code == 400
    assert response.get_json()["code"] == "inconsistent_thresholds"
    ok = client.post("/api/thresholds", json={"psi_threshold": 0.3, "psi_red_threshold": 0.5})
    assert ok.status_code == 200


def test_thresholds_body_must_be_object(client):
    assert client.post("/api/thresholds", data="[1, 2]", content_type="application/json").status_code == 400
    assert client.post("/api/thresholds", data="{not json", content_type="application/json").status_code == 400
    assert client.post("/api/thresholds", json={}).status_code == 400


def test_default_bands_agree(client):
    assert client.get("/api/thresholds").get_json()["warnings"] == []


def test_auc_band_alone_warned(client):
    response = client.post("/api/thresholds", json={"auc_threshold": 0.75})
    assert response.status_code == 200
    body = response.get_json()
    assert body["thresholds"]["auc_threshold"] == 0.75
    [warning] = body["warnings"]
    assert warning["code"] == "auc_gini_bands_disagree"
    # Gini = 2 AUC - 1: AUC 0.75 is Gini 0.5, and Gini 0.4 is AUC 0.7.
    assert "auc_threshold 0.75 and gini_threshold 0.4 disagree" in warning["message"]
    assert "Set gini_threshold to 0.5 or auc_threshold to 0.7" in warning["message"]
    assert warning["details"]["matching_gini"] == 0.5
    assert warning["details"]["matching_auc"] == 0.7
    assert client.get("/api/thresholds").get_json()["warnings"] == [warning]


def test_matching_bands_clear_warning(client):
    client.post("/api/thresholds", json={"auc_red_threshold": 0.65})
    warned = client.get("/api/thresholds").get_json()["warnings"]
    assert len(warned) == 1
    assert "auc_red_threshold 0.65 and gini_red_threshold 0.2" in warned[0]["message"]
    response = client.post("/api/thresholds", json={"gini_red_threshold": 2 * 0.65 - 1})
    assert response.get_json()["warnings"] == []


def test_matching_value_rounded(client):
    warned = client.post("/api/thresholds", json={"gini_threshold": 0.45}).get_json()["warnings"]
    # 2 * 0.7 - 1 is 0.3999999999999999 in doubles.
    assert warned[0]["details"]["matching_gini"] == 0.4
