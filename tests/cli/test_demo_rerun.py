"""A second ``mmt demo`` on the same instance reuses the datasets and results of the first."""

from __future__ import annotations

import json

import pytest

from mmt.cli import DEMO_RESULTS_FILE
from tests.cli.conftest import run_demo


@pytest.fixture
def demo_instance(trimmed_demo):
    """Trim the demo to one PD and one LGD file."""
    uploads = (("pd", "pd_germancredit.csv"), ("lgd", "lgd_synthetic.csv"))
    return trimmed_demo(uploads, (("woe", "pd_germancredit.csv", {}),))


def stored_result_ids(client) -> list[int]:
    body = client.get("/api/analyses").get_json()
    return sorted(row["id"] for row in body["analysis_results"])


def test_second_demo_stores_nothing(demo_instance, client):
    first = run_demo()
    assert first.count("analysed ") == 3
    after_first = stored_result_ids(client)
    assert len(after_first) == 3
    recorded = json.loads((demo_instance.instance_dir / DEMO_RESULTS_FILE).read_text())
    assert sorted(recorded.values()) == after_first

    second = run_demo()
    assert second.count("is already stored as dataset") == 2
    assert second.count("is already stored as result") == 3
    assert "analysed " not in second
    assert stored_result_ids(client) == after_first


def test_demo_runs_again_after_threshold_change(demo_instance, client):
    run_demo()
    before = stored_result_ids(client)
    response = client.post("/api/thresholds", json={"auc_threshold": 0.8})
    assert response.status_code == 200, response.get_json()
    second = run_demo()
    assert second.count("analysed ") == 3
    assert len(stored_result_ids(client)) == len(before) + 3


def test_demo_runs_again_when_result_deleted(demo_instance, client):
    run_demo()
    recorded = json.loads((demo_instance.instance_dir / DEMO_RESULTS_FILE).read_text())
    deleted = min(recorded.values())
    assert client.delete(f"/api/analyses/{deleted}").status_code in (200, 204)
    second = run_demo()
    assert second.count("analysed ") == 1
    assert second.count("is already stored as result") == 2
