"""Analyses over many columns and few rows become background jobs by their cell count.

A wide PD file built here has 40 rows and 104 columns (100 features, the
obligor id, the default flag, the PD and the snapshot date), so an analysis
that reads every column reads 40 × 104 = 4,160 cells. With the cell
threshold one below that count the request is a job (202), and at that
count it runs in the request (200). The row threshold stays far above 40.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from tests.jobs.test_jobs import close, follow, make_app

ROWS = 40
FEATURES = 100
COLUMNS = FEATURES + 4
CELLS = ROWS * COLUMNS  # 4,160


def wide_csv() -> bytes:
    generator = np.random.default_rng(20240531)
    frame = pd.DataFrame(generator.normal(size=(ROWS, FEATURES)).round(3),
                         columns=[f"x{index}" for index in range(FEATURES)])
    frame.insert(0, "obligor_id", [f"W{index:03d}" for index in range(ROWS)])
    frame["default_flag"] = [1 if index % 4 == 0 else 0 for index in range(ROWS)]
    frame["pd"] = np.linspace(0.01, 0.4, ROWS).round(4)
    frame["snapshot_date"] = ["2023-12-31" if index < ROWS // 2 else "2024-12-31" for index in range(ROWS)]
    return frame.to_csv(index=False).encode()


@pytest.fixture
def wide_app(database_url, tmp_path):
    """Return a factory of applications holding the wide file: it takes the cell threshold, returns client and dataset id."""
    apps = []

    def _make(cell_threshold: int):
        app = make_app(database_url, tmp_path / f"threshold_{cell_threshold}", async_cell_threshold=cell_threshold)
        apps.append(app)
        client = app.test_client()
        uploaded = client.post("/api/upload/pd", data={"file": (io.BytesIO(wide_csv()), "wide.csv")},
                               content_type="multipart/form-data")
        assert uploaded.status_code == 200, uploaded.get_json()
        dataset = uploaded.get_json()["dataset"]
        assert dataset["n_rows"] == ROWS
        assert dataset["n_columns"] == COLUMNS
        return client, dataset["id"]

    yield _make
    for app in apps:
        close(app)


def test_default_cell_threshold_setting(monkeypatch):
    from mmt.config import load_settings

    monkeypatch.delenv("MMT_ASYNC_CELL_THRESHOLD", raising=False)
    assert load_settings({"instance_dir": "/tmp/mmt-settings"}).async_cell_threshold == 20_000_000
    monkeypatch.setenv("MMT_ASYNC_CELL_THRESHOLD", "12345")
    assert load_settings({"instance_dir": "/tmp/mmt-settings"}).async_cell_threshold == 12345


@pytest.mark.parametrize("analysis_type", ["woe", "stability", "pd"])
def test_wide_request_over_cells_is_job(wide_app, analysis_type):
    client, dataset_id = wide_app(CELLS - 1)
    accepted = client.post(f"/api/analyze/{analysis_type}", json={"dataset_id": dataset_id})
    assert accepted.status_code == 202, accepted.get_json()
    body = accepted.get_json()
    assert body["job_id"]
    assert body["status_url"] == f"/api/jobs/{body['job_id']}"
    job = follow(client, body["status_url"])
    assert job["state"] == "completed", job
    assert job["result_url"] == f"/api/analyses/{job['result_id']}"


@pytest.mark.parametrize("analysis_type", ["woe", "stability", "pd"])
def test_wide_request_at_cells_runs_directly(wide_app, analysis_type):
    client, dataset_id = wide_app(CELLS)
    answered = client.post(f"/api/analyze/{analysis_type}", json={"dataset_id": dataset_id})
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["analysis_result_id"]


@pytest.mark.parametrize("analysis_type, option, role_columns", [
    ("woe", "columns", 1),
    ("stability", "columns", 1),
    ("pd", "features", 3),
])
def test_listed_columns_count_not_width(wide_app, analysis_type, option, role_columns):
    # Ten listed columns plus the role columns: 40 × 11 = 440 cells for WOE and stability,
    # 40 × 13 = 520 for PD, both far below the threshold that sends the full width to a job.
    client, dataset_id = wide_app(CELLS - 1)
    listed = [f"x{index}" for index in range(10)]
    answered = client.post(f"/api/analyze/{analysis_type}", json={"dataset_id": dataset_id, option: listed})
    assert answered.status_code == 200, answered.get_json()

    from mmt.jobs.submit import analysis_cells

    assert analysis_cells(analysis_type, {option: listed}, [(ROWS, COLUMNS)]) == ROWS * (10 + role_columns)


def test_async_false_keeps_wide_request_direct(wide_app):
    client, dataset_id = wide_app(CELLS - 1)
    answered = client.post("/api/analyze/woe", json={"dataset_id": dataset_id, "async": False})
    assert answered.status_code == 200, answered.get_json()


def test_cells_summed_over_named_datasets():
    from mmt.jobs.submit import analysis_cells

    # Current 40 × 304 plus reference 60 × 304, and the listed columns capped at the width.
    assert analysis_cells("stability", {}, [(40, 304), (60, 304)]) == 40 * 304 + 60 * 304
    assert analysis_cells("woe", {"columns": [f"x{index}" for index in range(500)]}, [(40, 304)]) == 40 * 304
    assert analysis_cells("lgd", {}, [(40, 304)]) == 0


def test_optimal_woe_weighs_each_column():
    from mmt.jobs.submit import OPTIMAL_BINNING_CELLS, analysis_cells

    # 300 rows x 250 columns: 75,000 cells read, plus one optimal fit per column.
    assert analysis_cells("woe", {"method": "optimal"}, [(300, 250)]) == 300 * 250 + 250 * OPTIMAL_BINNING_CELLS
    assert analysis_cells("woe", {"method": "optimal"}, [(300, 250)]) > 20_000_000
    assert analysis_cells("woe", {"method": "quantile"}, [(300, 250)]) == 300 * 250
    assert analysis_cells("woe", {"method": "optimal", "columns": ["x1", "x2"]}, [(300, 250)]) == 300 * 3 + 3 * OPTIMAL_BINNING_CELLS
