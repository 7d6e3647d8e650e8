"""PD feature bins on a column with -inf and +inf cut at the finite values' quantiles, as stability and WOE do."""

from __future__ import annotations

import numpy as np

from tests.api.test_upload_infinite_features import (
    CURRENT,
    REFERENCE,
    ROWS,
    _bin_counts,
    _upload_csv,
    mostly_infinite,
    parse_strict,
    portfolio,  # noqa: F401 - pytest fixture
)


def finite_deciles(values: np.ndarray) -> list[float]:
    finite = values[np.isfinite(values)]
    return np.unique(np.quantile(finite, np.arange(1, 10) / 10)).tolist()


def test_pd_edges_are_finite_quantiles(client, portfolio):  # noqa: F811
    # A quarter of the values are +inf and a tenth -inf, so quantiles of all values
    # sit at other ranks than the quantiles of the finite values.
    texts, values = mostly_infinite(portfolio)
    body = _upload_csv(client, {**portfolio, "ltv_text": texts})
    half = ROWS // 2

    response = client.post("/api/analyze/pd", json={"dataset_id": body["dataset_id"]})

    assert response.status_code == 200, response.get_json()
    results = parse_strict(response)["results"]
    csi = results["stability"]["csi"]["ltv"]
    assert csi["binning"]["edges"] == finite_deciles(values[:half])
    [importance] = [item for item in results["variable_importance"] if item["feature"] == "ltv"]
    current_edges = importance["binning"]["edges"]
    assert current_edges == finite_deciles(values[half:])
    # Infinite values are still counted, -inf in the first bin and +inf in the last.
    reference = _bin_counts(values[:half], csi["binning"]["edges"])
    assert [item["reference_count"] for item in csi["bins"][:-1]] == reference.tolist()
    assert reference.sum() == half
    # The outer labels close at -inf and +inf because those values are counted there.
    labels = [item["label"] for item in csi["bins"]]
    assert labels[0].startswith("[-inf, ")
    assert labels[-2].endswith(", inf]")
    assert labels[-1] == "Missing"


def test_pd_and_stability_edges_agree(client, portfolio):  # noqa: F811
    texts, _ = mostly_infinite(portfolio)
    dataset_id = _upload_csv(client, {**portfolio, "ltv_text": texts})["dataset_id"]

    pd_response = client.post("/api/analyze/pd", json={"dataset_id": dataset_id})
    stability_response = client.post("/api/analyze/stability", json={
        "dataset_id": dataset_id, "reference_period": REFERENCE, "current_period": CURRENT, "columns": ["ltv"],
    })

    assert pd_response.status_code == 200, pd_response.get_json()
    assert stability_response.status_code == 200, stability_response.get_json()
    pd_csi = parse_strict(pd_response)["results"]["stability"]["csi"]["ltv"]
    stability = parse_strict(stability_response)["results"]["columns"]["ltv"]
    assert pd_csi["binning"]["edges"] == stability["binning"]["edges"]
    pd_labels = [item["label"] for item in pd_csi["bins"]]
    stability_labels = [item["label"] for item in stability["bins"]]
    assert pd_labels == stability_labels
    assert pd_csi["statistic"] == stability["statistic"]
