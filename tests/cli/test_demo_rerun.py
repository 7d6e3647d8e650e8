"""A second ``mmt demo`` on the same instance reuses the datasets and results of the first."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import mmt.cli
from mmt.cli import DEMO_RESULTS_FILE, main


@pytest.fixture
def demo_instance(app, monkeypatch):
    """Point the CLI at the test's database and trim the demo to one PD and one LGD file."""
    settings = app.extensions["mmt"].settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MMT_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.setenv("MMT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setattr(mmt.cli, "SAMPLE_UPLOADS", (("pd", "pd_germancredit.csv"), ("lgd", "lgd_synthetic.csv")))
    monkeypatch.setattr(mmt.cli, "EXTRA_ANALYSES", (("woe", "pd_germancredit.csv", {}),))
    return settings


def run_demo() -> str:
    outcome = CliRunner().invoke(main, ["demo", "--no-serve"])
    assert outcome.exit_code == 0, outcome.output
    return outcome.output


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
