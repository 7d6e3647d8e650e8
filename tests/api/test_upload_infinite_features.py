"""Stability, WOE and the PD battery through the HTTP layer on a CSV feature with ``inf`` and ``-Infinity``.

The CSV upload stores the feature as floats, as a Parquet upload of the same
values does. The bin counts are checked against the reported edges (with
-inf in the first bin and +inf in the last), the CSI, WOE and IV against
hand computations with the math module, and both against the Parquet upload.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROWS = 400
REFERENCE, CURRENT = "2023-12-31", "2024-12-31"


def parse_strict(response) -> dict:
    def reject(token: str) -> None:
        raise AssertionError(f"non-finite number {token} in the response")

    return json.loads(response.data, parse_constant=reject)


@pytest.fixture
def portfolio() -> dict:
    rng = np.random.default_rng(11)
    texts = [f"{value:.4f}" for value in rng.normal(size=ROWS)]
    # Every 25th row +inf and the row after it -inf, written in different spellings.
    for row in range(0, ROWS, 25):
        texts[row] = "inf" if row % 50 else "Infinity"
        texts[row + 1] = "-inf" if row % 50 else "-Infinity"
    return {
        "obligor_id": list(range(1, ROWS + 1)),
        "pd": [round(0.02 + 0.01 * (row % 7), 2) for row in range(ROWS)],
        "default_flag": (rng.random(ROWS) < 0.25).astype(int).tolist(),
        "snapshot_date": [REFERENCE if row < ROWS // 2 else CURRENT for row in range(ROWS)],
        "ltv_text": texts,
        "ltv": np.array([float(text) for text in texts]),
    }


def _upload_csv(client, portfolio) -> dict:
    lines = ["obligor_id,pd,default_flag,snapshot_date,ltv"]
    for row in range(ROWS):
        lines.append(",".join(str(portfolio[name][row]) for name in ("obligor_id", "pd", "default_flag",
                                                                      "snapshot_date", "ltv_text")))
    body = ("\n".join(lines) + "\n").encode()
    response = client.post("/api/upload/pd", data={"file": (io.BytesIO(body), "ltv.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _upload_parquet(client, portfolio, tmp_path) -> dict:
    path = tmp_path / "ltv.parquet"
    pq.write_table(pa.table({
        "obligor_id": portfolio["obligor_id"],
        "pd": portfolio["pd"],
        "default_flag": portfolio["default_flag"],
        "snapshot_date": pa.array(portfolio["snapshot_date"]).cast(pa.date32()),
        "ltv": portfolio["ltv"],
    }), path)
    with open(path, "rb") as handle:
        response = client.post("/api/upload/pd", data={"file": (handle, "ltv.parquet")},
                               content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _bin_counts(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Count values per right-closed bin, -inf in the first and +inf in the last."""
    codes = np.searchsorted(np.asarray(edges), values, side="left")
    return np.bincount(codes, minlength=len(edges) + 1)


def test_csv_infinities_stored_and_warned(client, portfolio):
    body = _upload_csv(client, portfolio)

    [warning] = [item for item in body["warnings"] if item["code"] == "infinite_values"]
    assert warning["details"]["column"] == "ltv"
    assert warning["details"]["count"] == 2 * ROWS // 25
    assert warning["details"]["rows"] == [1, 2, 26, 27, 51]
    assert body["dataset"]["quality"]["columns"]["ltv"]["dtype"] == "double"
    assert body["dataset"]["quality"]["columns"]["ltv"]["infinite"] == 2 * ROWS // 25


def test_stability_of_feature_with_infinities(client, portfolio, tmp_path):
    dataset_ids = [
        _upload_csv(client, portfolio)["dataset_id"],
        _upload_parquet(client, portfolio, tmp_path)["dataset_id"],
    ]
    statistics = []
    for dataset_id in dataset_ids:
        response = client.post("/api/analyze/stability", json={
            "dataset_id": dataset_id, "reference_period": REFERENCE, "current_period": CURRENT, "columns": ["ltv"],
        })
        assert response.status_code == 200, response.get_json()
        entry = parse_strict(response)["results"]["columns"]["ltv"]
        edges = entry["binning"]["edges"]
        half = ROWS // 2
        reference = _bin_counts(portfolio["ltv"][:half], edges)
        current = _bin_counts(portfolio["ltv"][half:], edges)
        bins = entry["bins"]
        assert [item["reference_count"] for item in bins[: len(edges) + 1]] == reference.tolist()
        assert [item["current_count"] for item in bins[: len(edges) + 1]] == current.tolist()
        assert bins[-1]["label"] == "Missing"
        assert bins[-1]["reference_count"] == 0
        assert bins[-1]["current_count"] == 0
        csi = sum(
            (now / half - before / half) * math.log((now / half) / (before / half))
            for before, now in zip(reference, current)
        )
        assert entry["statistic"] == pytest.approx(csi, rel=1e-12)
        statistics.append(entry["statistic"])
    assert statistics[0] == statistics[1]


def test_woe_of_feature_with_infinities(client, portfolio, tmp_path):
    dataset_ids = [
        _upload_csv(client, portfolio)["dataset_id"],
        _upload_parquet(client, portfolio, tmp_path)["dataset_id"],
    ]
    flags = np.asarray(portfolio["default_flag"])
    values = []
    for dataset_id in dataset_ids:
        response = client.post("/api/analyze/woe", json={"dataset_id": dataset_id, "columns": ["ltv"]})
        assert response.status_code == 200, response.get_json()
        entry = parse_strict(response)["results"]["columns"]["ltv"]
        edges = entry["binning"]["edges"]
        events = _bin_counts(portfolio["ltv"][flags == 1], edges)
        non_events = _bin_counts(portfolio["ltv"][flags == 0], edges)
        bins = entry["bins"][: len(edges) + 1]
        assert [item["events"] for item in bins] == events.tolist()
        assert [item["non_events"] for item in bins] == non_events.tolist()
        # No bin is pure in this sample, so no adjustment enters the hand computation.
        assert events.min() > 0
        assert non_events.min() > 0
        woe = [math.log((bad / events.sum()) / (good / non_events.sum())) for bad, good in zip(events, non_events)]
        iv = sum((bad / events.sum() - good / non_events.sum()) * value
                 for bad, good, value in zip(events, non_events, woe))
        assert [item["woe"] for item in bins] == pytest.approx(woe, rel=1e-12)
        assert entry["iv"] == pytest.approx(iv, rel=1e-12)
        values.append(entry["iv"])
    assert values[0] == values[1]


def mostly_infinite(portfolio: dict) -> tuple[list[str], np.ndarray]:
    """Return the ltv texts with a quarter of them "inf" and a tenth "-inf", and their values."""
    texts = list(portfolio["ltv_text"])
    for row in range(ROWS):
        if row % 4 == 2:
            texts[row] = "inf"
        elif row % 10 == 3:
            texts[row] = "-inf"
    return texts, np.array([float(text) for text in texts])


def test_pd_battery_with_mostly_infinite_feature(client, portfolio):
    # Several deciles of all values are infinite and cannot be cut points.
    texts, values = mostly_infinite(portfolio)
    body = _upload_csv(client, {**portfolio, "ltv_text": texts})

    response = client.post("/api/analyze/pd", json={"dataset_id": body["dataset_id"]})

    assert response.status_code == 200, response.get_json()
    results = parse_strict(response)["results"]
    entry = results["stability"]["csi"]["ltv"]
    edges = entry["binning"]["edges"]
    assert all(math.isfinite(edge) for edge in edges)
    half = ROWS // 2
    reference = _bin_counts(values[:half], edges)
    current = _bin_counts(values[half:], edges)
    bins = entry["bins"][: len(edges) + 1]
    assert [item["reference_count"] for item in bins] == reference.tolist()
    assert [item["current_count"] for item in bins] == current.tolist()
    assert reference[-1] >= np.sum(values[:half] == np.inf)
    csi = sum(
        (now / half - before / half) * math.log((now / half) / (before / half))
        for before, now in zip(reference, current)
    )
    assert entry["statistic"] == pytest.approx(csi, rel=1e-12)
    [importance] = [item for item in results["variable_importance"] if item["feature"] == "ltv"]
    current_edges = importance["binning"]["edges"]
    flags = np.asarray(portfolio["default_flag"])[half:]
    events = _bin_counts(values[half:][flags == 1], current_edges)
    assert [item["events"] for item in importance["bins"][: len(current_edges) + 1]] == events.tolist()
