"""Uploads and bins of half floats, decimals, binary columns, NaN, tiny numbers and values near the float64 limit."""

from __future__ import annotations

import decimal
import io
import math
import warnings
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from optbinning import OptimalBinning

from mmt.stats.binning import quantile_edges

ROWS = 400


def sample(seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    feature = rng.normal(size=ROWS)
    pd_values = rng.uniform(0.01, 0.3, ROWS)
    events = (rng.uniform(size=ROWS) < 0.08 + 0.2 * (feature > 0)).astype(np.int64)
    return feature, pd_values, events


def upload_parquet(client, table: pa.Table, name: str):
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    buffer.seek(0)
    return client.post("/api/upload/pd", data={"file": (buffer, name)}, content_type="multipart/form-data")


def test_half_float_feature_upload(client):
    feature, pd_values, events = sample()
    halves = feature.astype(np.float16)
    table = pa.table({"default_flag": events, "pd": pd_values, "score_change": pa.array(halves)})

    response = upload_parquet(client, table, "half.parquet")

    assert response.status_code == 200, response.get_json()
    figures = response.get_json()["dataset"]["quality"]["columns"]["score_change"]
    assert figures["min"] == float(halves.min())
    assert figures["max"] == float(halves.max())
    assert figures["mean"] == pytest.approx(float(halves.astype(np.float64).mean()), rel=1e-12)


def test_decimal_and_binary_quality(client):
    feature, pd_values, events = sample()
    amounts = [decimal.Decimal(f"{value:.3f}") for value in feature]
    tags = [bytes([index % 7, 255]) for index in range(ROWS)]
    table = pa.table({
        "default_flag": events,
        "pd": pd_values,
        "amount": pa.array(amounts, pa.decimal128(12, 3)),
        "tag": pa.array(tags, pa.binary()),
        "code": pa.array(tags, pa.binary(2)),
    })

    response = upload_parquet(client, table, "decimal.parquet")

    assert response.status_code == 200, response.get_json()
    columns = response.get_json()["dataset"]["quality"]["columns"]
    as_float = np.array([float(amount) for amount in amounts])
    assert columns["amount"]["min"] == float(min(amounts))
    assert columns["amount"]["max"] == float(max(amounts))
    assert columns["amount"]["mean"] == pytest.approx(as_float.mean(), rel=1e-12)
    assert "distinct" not in columns["amount"]
    assert columns["tag"]["distinct"] == len(set(tags))
    assert columns["code"]["distinct"] == len(set(tags))


@pytest.mark.parametrize("scale", [1e-8, 1e-12])
def test_optimal_bins_of_small_numbers(client, scale):
    feature, pd_values, events = sample()
    table = pa.table({"default_flag": events, "pd": pd_values, "ratio": feature * scale})
    dataset_id = upload_parquet(client, table, "small.parquet").get_json()["dataset_id"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = OptimalBinning(name="ratio", dtype="numerical", monotonic_trend="auto").fit(feature, events)

    response = client.post("/api/analyze/woe", json={"dataset_id": dataset_id, "columns": ["ratio"],
                                                     "method": "optimal"})

    assert response.status_code == 200, response.get_json()
    column = response.get_json()["results"]["columns"]["ratio"]
    edges = np.array(column["binning"]["edges"])
    assert len(reference.splits) >= 2
    assert edges.size == len(reference.splits)
    np.testing.assert_allclose(edges, np.asarray(reference.splits) * scale, rtol=1e-6)
    assert column["iv"] > 0.1


def exact_linear_quantile(values: list[float], probability: float) -> float:
    """Return NumPy's "linear" quantile computed in exact rational arithmetic."""
    ordered = sorted(values)
    position = Fraction(probability) * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    weight = position - below
    return float(Fraction(ordered[below]) + (Fraction(ordered[above]) - Fraction(ordered[below])) * weight)


@pytest.mark.parametrize("values", [
    [-1.7976931348623157e308, 1.7976931348623157e308] * 5,
    [-1.7e308, -1.0e308, 1.0e308, 1.7e308],
])
def test_quantile_edges_near_overflow(values):
    edges = quantile_edges(values, 4)

    expected = sorted({exact_linear_quantile(values, probability) for probability in (0.25, 0.5, 0.75)})
    assert np.all(np.isfinite(edges))
    assert edges.tolist() == pytest.approx(expected, rel=1e-15)


def test_nan_feature_counts_as_missing(client):
    feature, pd_values, events = sample()
    with_nan = feature.copy()
    with_nan[::10] = np.nan
    table = pa.table({"default_flag": events, "pd": pd_values, "utilisation": with_nan})
    response = upload_parquet(client, table, "nan.parquet")
    dataset_id = response.get_json()["dataset_id"]

    figures = response.get_json()["dataset"]["quality"]["columns"]["utilisation"]
    woe = client.post("/api/analyze/woe", json={"dataset_id": dataset_id, "columns": ["utilisation"]}).get_json()

    assert figures["missing"] == int(np.isnan(with_nan).sum())
    assert figures["mean"] == pytest.approx(float(np.nanmean(with_nan)), rel=1e-12)
    assert figures["min"] == float(np.nanmin(with_nan))
    missing_bin = woe["results"]["columns"]["utilisation"]["bins"][-1]
    assert missing_bin["label"] == "Missing"
    assert missing_bin["count"] == figures["missing"]
