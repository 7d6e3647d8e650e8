"""LGD and EAD pages (``/api/lgd/options``, ``POST /api/analyze/lgd`` and ``/ead``) under the profile.

Metrics are compared with scikit-learn on the sample files, the decile
grid with a pandas ``qcut`` cross-tabulation, and the dropdown rows with
the distinct combinations of the whole file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_percentage_error, r2_score

from tests.compat.conftest import assert_numbers, is_number, read_ead, read_lgd, strict_json, upload_file

REL = 1e-9


def _page_fields(body: dict, kind: str) -> None:
    assert is_number(body["metrics"]["MAPE"])
    assert is_number(body["metrics"]["R-squared"])
    actual = body["plot_data"][f"actual_{kind}"]
    predicted = body["plot_data"][f"predicted_{kind}"]
    assert_numbers(actual, f"actual_{kind}")
    assert_numbers(predicted, f"predicted_{kind}")
    assert len(actual) == len(predicted)
    assert body["additional_data"]
    for row in body["additional_data"]:
        for key in ("Quarter", "Portfolio", "ModelName"):
            assert isinstance(row[key], str), key
    if "decile_data" in body:
        deciles = body["decile_data"]
        assert is_number(deciles["total_count"])
        assert [row["actual_decile"] for row in deciles["data"]] == [f"D{i}" for i in range(1, 11)]
        for row in deciles["data"]:
            assert len(row["values"]) == 10
            assert_numbers(row["values"], "decile values")


def _combinations(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(frame[["Quarter", "Portfolio", "ModelName"]].astype(str).itertuples(index=False, name=None))


def _rows(body: dict) -> set[tuple[str, str, str]]:
    return {(row["Quarter"], row["Portfolio"], row["ModelName"]) for row in body["additional_data"]}


def test_lgd_options_lists(page_responses):
    body = page_responses("lgd_options")
    frame = read_lgd()
    assert body["quarters"] == sorted(frame["Quarter"].unique())
    assert body["portfolios"] == sorted(frame["Portfolio"].unique())
    assert body["modelNames"] == sorted(frame["ModelName"].unique())


@pytest.mark.parametrize("key", ["lgd_first", "lgd_all_models", "lgd_quarter", "lgd_cell"])
def test_lgd_page_fields_and_metrics(page_responses, key):
    from tests.compat.conftest import PAGE_REQUESTS

    body = page_responses(key)
    _page_fields(body, "lgd")
    request = PAGE_REQUESTS[key][2]
    frame = read_lgd()
    if "quarter" in request:
        frame = frame[frame["Quarter"] == request["quarter"]]
    if "portfolio" in request:
        frame = frame[frame["Portfolio"] == request["portfolio"]]
    if "modelName" in request:
        frame = frame[frame["ModelName"].isin(request["modelName"].split(","))]
    actual, predicted = frame["actual_lgd"], frame["predicted_lgd"]
    assert body["metrics"]["MAPE"] == pytest.approx(100 * mean_absolute_percentage_error(actual, predicted), rel=REL)
    assert body["metrics"]["R-squared"] == pytest.approx(r2_score(actual, predicted), rel=REL)
    assert sorted(body["plot_data"]["actual_lgd"]) == sorted(actual.tolist())
    # Dropdown rows cover the whole file, so the page keeps every choice after a filter.
    assert _rows(body) == _combinations(read_lgd())


def test_lgd_decile_grid_matches_qcut(page_responses):
    deciles = page_responses("lgd_first")["decile_data"]
    frame = read_lgd()
    table = pd.crosstab(pd.qcut(frame["actual_lgd"], 10, labels=False), pd.qcut(frame["predicted_lgd"], 10, labels=False))
    table = table.reindex(index=range(10), columns=range(10), fill_value=0) / len(frame) * 100
    assert deciles["total_count"] == len(frame)
    np.testing.assert_allclose([row["values"] for row in deciles["data"]], table.to_numpy(), rtol=REL)


def test_lgd_small_slice_leaves_deciles_out(page_responses):
    body = page_responses("lgd_cell")
    assert len(body["plot_data"]["actual_lgd"]) < 10
    assert "decile_data" not in body


def test_lgd_filters_without_rows_keep_page_usable(loaded):
    response = loaded.post("/api/analyze/lgd", json={"quarter": "2020Q1", "portfolio": "Retail", "modelName": "Unknown_LGD"})
    assert response.status_code == 200
    body = strict_json(response)
    assert body["plot_data"] == {"actual_lgd": [], "predicted_lgd": []}
    assert body["metrics"]["MAPE"] is None
    assert body["metrics"]["R-squared"] is None
    assert "decile_data" not in body
    assert "No LGD rows match" in body["interpretation"]
    assert _rows(body) == _combinations(read_lgd())


def test_lgd_undefined_r_squared_is_null_with_reason(compat_client, tmp_path):
    path = tmp_path / "constant_lgd.csv"
    pd.DataFrame({"Quarter": ["2020Q1"] * 12, "Portfolio": ["Retail"] * 12, "ModelName": ["M"] * 12,
                  "actual_lgd": [0.5] * 12, "predicted_lgd": np.linspace(0.3, 0.5, 12)}).to_csv(path, index=False)
    assert upload_file(compat_client, "lgd", path).status_code == 200
    body = strict_json(compat_client.post("/api/analyze/lgd", json={}))
    assert body["metrics"]["R-squared"] is None
    assert is_number(body["metrics"]["MAPE"])
    assert "R-squared is not computable" in body["interpretation"]


def test_lgd_options_without_upload_are_empty(compat_client):
    response = compat_client.get("/api/lgd/options")
    assert response.status_code == 200
    body = strict_json(response)
    assert body["quarters"] == []
    assert body["portfolios"] == []
    assert body["modelNames"] == []
    assert isinstance(body["message"], str)


@pytest.mark.parametrize("key", ["ead_first", "ead_model", "ead_cell"])
def test_ead_page_fields_and_metrics(page_responses, key):
    from tests.compat.conftest import PAGE_REQUESTS

    body = page_responses(key)
    _page_fields(body, "ead")
    request = PAGE_REQUESTS[key][2]
    frame = read_ead()
    if "quarter" in request:
        frame = frame[frame["Quarter"] == request["quarter"]]
    if "portfolio" in request:
        frame = frame[frame["Portfolio"] == request["portfolio"]]
    if "modelName" in request:
        frame = frame[frame["ModelName"] == request["modelName"]]
    actual, predicted = frame["Exposure"], frame["predicted_exposure"]
    assert body["metrics"]["MAPE"] == pytest.approx(100 * mean_absolute_percentage_error(actual, predicted), rel=REL)
    assert body["metrics"]["R-squared"] == pytest.approx(r2_score(actual, predicted), rel=REL)
    assert len(body["plot_data"]["actual_ead"]) == len(frame)
    assert _rows(body) == _combinations(read_ead())


def test_ead_every_page_cell_answers(loaded):
    # The original backend returned 500 for one of these eight cells, so each is requested here.
    frame = read_ead()
    for quarter in ("2024Q1", "2023Q4"):
        for portfolio in ("retail", "corporate"):
            for model in sorted(frame["ModelName"].unique()):
                body = {"quarter": quarter, "portfolio": portfolio, "modelName": model, "request_id": "r"}
                response = loaded.post("/api/analyze/ead", json=body)
                assert response.status_code == 200, body
                _page_fields(strict_json(response), "ead")


def test_ead_filters_without_rows_answer_empty(loaded):
    response = loaded.post("/api/analyze/ead", json={"quarter": "2024Q1", "portfolio": "retail", "modelName": "model9"})
    assert response.status_code == 200
    body = strict_json(response)
    assert body["plot_data"] == {"actual_ead": [], "predicted_ead": []}
    assert body["metrics"]["MAPE"] is None
    assert _rows(body) == _combinations(read_ead())
