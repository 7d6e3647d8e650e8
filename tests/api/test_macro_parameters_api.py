"""Stored macro parameters name the options used, defaults included, through the HTTP layer."""

from __future__ import annotations


def test_macro_stored_parameters_name_defaults(client, upload):
    assert upload("macro", "macro_quarterly.csv").status_code == 200

    response = client.post("/api/analyze/macro", json={})

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    stored = client.get(f"/api/analyses/{body['analysis_result_id']}").get_json()["analysis_result"]
    for parameters in (body["results"]["parameters"], stored["parameters"]):
        # The file's "sample" column splits the samples, and Phillips-Perron
        # takes adf_regression's default "c".
        assert parameters["sample_column"] == "sample"
        assert parameters["pp_trend"] == "c"
        assert parameters["date"] == "date"


def test_macro_split_overrides_sample_column(client, upload):
    assert upload("macro", "macro_quarterly.csv").status_code == 200

    response = client.post("/api/analyze/macro", json={"split": "2004Q4", "sample_column": "sample"})

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    stored = client.get(f"/api/analyses/{body['analysis_result_id']}").get_json()["analysis_result"]
    assert stored["parameters"]["sample_column"] is None
    assert stored["parameters"]["split"] == "2004Q4"
