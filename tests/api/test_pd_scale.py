"""PD scale check: PDs written in percent whose values all stay below 1.

The HTTP tests upload a low-default part of a bundled sample with its PDs
multiplied by 100 (every value stays below 1, so upload accepts it) and
compare the ``pd_scale_suspect`` warning with figures worked out by hand
from the file. The same check must stay silent on every bundled PD sample.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mmt.analyses.pd_scale import pd_scale_warning
from tests.conftest import DATA

REL = 1e-9
ORIGINAL = DATA / "mmt_original"


def upload_frame(client, tmp_path: Path, frame: pd.DataFrame, name: str, model_type: str = "pd") -> int:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    with open(path, "rb") as handle:
        response = client.post(f"/api/upload/{model_type}", data={"file": (handle, name)},
                               content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["dataset_id"]


def analyse(client, dataset_id: int, **options) -> dict:
    response = client.post("/api/analyze/pd", json={"dataset_id": dataset_id, **options})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def scale_warnings(body: dict) -> list[dict]:
    return [warning for warning in body["results"]["warnings"] if warning["code"] == "pd_scale_suspect"]


def low_default_islp(percent: bool) -> pd.DataFrame:
    """Rows of the ISLP sample with a PD below 1 % (grades 1 to 4), PDs in percent when asked."""
    frame = pd.read_csv(DATA / "pd_default_islp.csv")
    low = frame[frame["pd"] < 0.01].copy()
    if percent:
        # The sample's PDs have 6 decimals, so 6 decimals keep PD * 100 exact.
        low["pd"] = (low["pd"] * 100).round(6)
    return low


def test_percent_pds_warn_with_hand_ratio(client, tmp_path):
    frame = low_default_islp(percent=True)
    # The analysis compares the 2024 snapshots (current) with 2023-12-31 (reference).
    current = frame[frame["period"] == "current"]
    # Worked by hand from the sample: 3,574 current rows with a PD below 0.01, of which
    # 5 defaults, and the PDs in percent sum to 673.3289. Hence
    #   mean PD      = 673.3289 / 3574 = 0.188396...
    #   default rate = 5 / 3574        = 0.001399...
    #   ratio        = mean PD / default rate = 673.3289 / 5 = 134.66578
    assert len(current) == 3574
    assert int(current["default_flag"].sum()) == 5
    assert current["pd"].sum() == pytest.approx(673.3289, rel=REL)
    assert current["pd"].max() < 1

    body = analyse(client, upload_frame(client, tmp_path, frame, "islp_low_default_percent.csv"))

    found = scale_warnings(body)
    assert len(found) == 1
    details = found[0]["details"]
    assert details["column"] == "pd"
    assert details["obligors"] == 3574
    assert details["defaults"] == 5
    assert details["mean_pd"] == pytest.approx(673.3289 / 3574, rel=REL)
    assert details["default_rate"] == pytest.approx(5 / 3574, rel=REL)
    assert details["ratio"] == pytest.approx(134.66578, rel=REL)
    message = found[0]["message"]
    assert message.startswith("Column pd: the mean PD 0.1884 is 135 times the observed default rate 0.001399")
    assert "If the PDs are in percent, divide them by 100 and upload the file again." in message
    # A warning, not a rejection: the figures are still there.
    assert body["results"]["calibration"]["portfolio"]["mean_pd"] == pytest.approx(673.3289 / 3574, rel=REL)
    assert body["results"]["discrimination"]["auc"]["value"] is not None


def test_percent_pds_name_uploaded_header(client, tmp_path):
    frame = pd.read_csv(ORIGINAL / "Data_PD_Model.csv")
    column = " PD_1_YR "
    low = frame[frame[column] < 0.01].copy()
    # The sample's PDs have 4 decimals, so 2 decimals keep PD * 100 exact.
    low[column] = (low[column] * 100).round(2)
    # Worked by hand: 2,389 rows with a PD below 0.01, 39 defaults, PDs in percent summing
    # to 1938.79, so the ratio is 1938.79 / 39 = 49.7125641...
    assert len(low) == 2389
    assert int(low["Def_Flag"].sum()) == 39
    assert low[column].sum() == pytest.approx(1938.79, rel=REL)

    body = analyse(client, upload_frame(client, tmp_path, low, "Data_PD_Model_percent.csv"))

    found = scale_warnings(body)
    assert len(found) == 1
    details = found[0]["details"]
    assert details["column"] == "pd (PD_1_YR in the uploaded file)"
    assert details["ratio"] == pytest.approx(1938.79 / 39, rel=REL)
    assert details["mean_pd"] == pytest.approx(1938.79 / 2389, rel=REL)
    assert details["default_rate"] == pytest.approx(39 / 2389, rel=REL)
    assert found[0]["message"].startswith("Column pd (PD_1_YR in the uploaded file): the mean PD 0.8115 is 50 times")


def test_probability_pds_give_no_warning(client, tmp_path):
    # The same low-default rows with their PDs as probabilities: mean PD 0.001884.
    body = analyse(client, upload_frame(client, tmp_path, low_default_islp(percent=False), "islp_low_default.csv"))
    assert scale_warnings(body) == []


SAMPLES = [
    ("pd", DATA / "pd_germancredit.csv"),
    ("pd", DATA / "pd_default_islp.csv"),
    ("pd", DATA / "pd_lendingclub.csv"),
    ("pd", ORIGINAL / "Data_PD_Model.csv"),
    ("pd", ORIGINAL / "Data_PD_Model_pvs_qtr.csv"),
]


@pytest.mark.parametrize("model_type, path", SAMPLES, ids=[path.name for _, path in SAMPLES])
def test_bundled_samples_give_no_warning(client, model_type, path):
    with open(path, "rb") as handle:
        uploaded = client.post(f"/api/upload/{model_type}", data={"file": (handle, path.name)},
                               content_type="multipart/form-data")
    assert uploaded.status_code == 200, uploaded.get_json()
    dataset_id = uploaded.get_json()["dataset_id"]
    body = analyse(client, dataset_id)
    assert scale_warnings(body) == []
    snapshots = body["results"]["reference"].get("current_snapshots") or []
    for snapshot in snapshots:
        assert scale_warnings(analyse(client, dataset_id, snapshot_date=snapshot)) == []


def sample_groups() -> list[tuple[str, pd.DataFrame]]:
    """Every PD sample whole, per snapshot date and per segment, as (label, pd, default_flag) frames."""
    groups = []
    for _, path in SAMPLES:
        frame = pd.read_csv(path)
        frame.columns = [name.strip() for name in frame.columns]
        frame = frame.rename(columns={"PD_1_YR": "pd", "Def_Flag": "default_flag"})
        groups.append((path.name, frame))
        for column in ("snapshot_date", "period", "Model_Name", "Portfolio", "AssetClass"):
            if column in frame.columns:
                groups += [(f"{path.name} {column}={value}", part) for value, part in frame.groupby(column)]
    return groups


def test_bundled_sample_groups_pass_check():
    groups = sample_groups()
    assert len(groups) > 20
    for label, frame in groups:
        warning = pd_scale_warning("pd", len(frame), int(frame["default_flag"].sum()), float(frame["pd"].mean()))
        assert warning is None, label


@pytest.mark.parametrize("obligors, defaults, mean_pd, fires", [
    (1000, 4, 0.4, True),        # ratio 0.4 / 0.004 = 100
    (1000, 10, 0.3, True),       # ratio 0.3 / 0.01 = 30, the lower bound
    (1000, 10, 0.299, False),    # ratio 29.9
    (1000, 1, 0.3, True),        # ratio 0.3 / 0.001 = 300, the upper bound
    (1000, 1, 0.301, False),     # ratio 301
    (1000, 1, 0.05, True),       # mean PD at its floor 0.05, ratio 50
    (1000, 1, 0.0499, False),    # mean PD below 0.05, ratio 49.9
    (10000, 1, 0.05, False),     # ratio 0.05 / 0.0001 = 500, above the upper bound
    (1000, 0, 0.4, False),       # no default: no ratio
    (0, 0, None, False),         # no obligor
    (1000, 300, 0.3, False),     # calibrated: ratio 1
])
def test_check_rules_on_hand_values(obligors, defaults, mean_pd, fires):
    warning = pd_scale_warning("pd", obligors, defaults, mean_pd)
    assert (warning is not None) == fires
