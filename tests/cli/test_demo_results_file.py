"""``mmt demo`` reuses a recorded result only when it is still the analysis the demo would run."""

from __future__ import annotations

import json

import pytest

from mmt.cli import DEMO_RESULTS_FILE
from tests.cli.conftest import run_demo
from tests.conftest import DATA

BASELINE = "mmt_original/Data_PD_Model_pvs_qtr.csv"
CURRENT = "mmt_original/Data_PD_Model.csv"


@pytest.fixture
def demo_instance(trimmed_demo):
    """Trim the demo to a PD file and its baseline."""
    uploads = (("pd_baseline", BASELINE), ("pd", CURRENT))
    return trimmed_demo(uploads, (("rating_transition", CURRENT, {"reference": BASELINE}),))


def results_file(settings):
    return settings.instance_dir / DEMO_RESULTS_FILE


@pytest.mark.parametrize(
    "bad_id",
    ["abc", 2**70, 2**40, {"id": 1}, [1], True, -1, 0, 1.0, None],
    ids=["text", "beyond-int64", "beyond-int32", "object", "list", "true", "negative", "zero", "float", "null"],
)
def test_demo_ignores_invalid_recorded_id(demo_instance, bad_id):
    run_demo()
    path = results_file(demo_instance)
    recorded = json.loads(path.read_text())
    assert len(recorded) == 2
    path.write_text(json.dumps({key: bad_id for key in recorded}))

    second = run_demo()

    assert second.count("analysed ") == 2
    assert "is already stored as result" not in second
    rewritten = json.loads(path.read_text())
    assert all(isinstance(value, int) and value > 0 for value in rewritten.values())


def test_demo_ignores_result_of_other_options(demo_instance, client, tmp_path):
    run_demo()
    path = results_file(demo_instance)
    recorded = json.loads(path.read_text())
    [transition_key] = [key for key in recorded if key.startswith("rating_transition ")]
    datasets = client.get("/api/datasets").get_json()["datasets"]
    [current] = [row["id"] for row in datasets if row["model_type"] == "pd"]
    # Same type and dataset as the demo's analysis, but another reference dataset: the baseline without
    # its last row, so that its SHA-256 differs and the demo keeps its own baseline.
    other = tmp_path / "other_baseline.csv"
    lines = (DATA / BASELINE).read_text().splitlines()
    other.write_text("\n".join(lines[:-1]) + "\n")
    with open(other, "rb") as handle:
        uploaded = client.post("/api/upload/pd_baseline", data={"file": (handle, other.name)},
                               content_type="multipart/form-data")
    assert uploaded.status_code == 200, uploaded.get_json()
    other_reference = uploaded.get_json()["dataset_id"]
    response = client.post("/api/analyze/rating_transition",
                           json={"dataset_id": current, "reference_dataset_id": other_reference})
    assert response.status_code == 200, response.get_json()
    recorded[transition_key] = response.get_json()["analysis_result_id"]
    path.write_text(json.dumps(recorded))

    second = run_demo()

    assert second.count("analysed ") == 1
    assert f"analysed {CURRENT} (rating_transition)" in second
    assert f"pd analysis of {CURRENT} is already stored as result" in second


def test_demo_reruns_after_reference_deleted(demo_instance, client):
    run_demo()
    datasets = client.get("/api/datasets").get_json()["datasets"]
    [baseline] = [row["id"] for row in datasets if row["model_type"] == "pd_baseline"]
    assert client.delete(f"/api/datasets/{baseline}").status_code == 200

    second = run_demo()

    # The PD battery picked the deleted baseline as its reference, so a new run picks the new upload.
    assert f"analysed {CURRENT} (pd)" in second
    assert f"analysed {CURRENT} (rating_transition)" in second
    assert "is already stored as result" not in second
    third = run_demo()
    assert third.count("is already stored as result") == 2


def test_demo_leaves_no_partial_results_file(demo_instance):
    run_demo()
    files = sorted(path.name for path in demo_instance.instance_dir.iterdir() if "demo_results" in path.name)
    assert files == [DEMO_RESULTS_FILE]
