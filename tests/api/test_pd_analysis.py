"""PD battery through the HTTP layer, checked against independent references.

Each figure is recomputed in the test from the CSV file with scikit-learn,
SciPy or a hand formula and compared to rel 1e-9.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from tests.conftest import DATA

PD_FILES = ["pd_germancredit.csv", "pd_default_islp.csv", "pd_lendingclub.csv"]
REL = 1e-9


def periods(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.read_csv(DATA / name)
    earliest = frame["snapshot_date"].min()
    return frame[frame["snapshot_date"] == earliest], frame[frame["snapshot_date"] != earliest]


def reference_psi(reference: np.ndarray, current: np.ndarray, n_bins: int = 10) -> float:
    edges = np.unique(np.quantile(reference, np.arange(1, n_bins) / n_bins))
    ref_counts = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, current, side="left"), minlength=len(edges) + 1)
    expected = ref_counts / ref_counts.sum()
    actual = cur_counts / cur_counts.sum()
    expected = np.where(expected == 0, 1e-4, expected)
    actual = np.where(actual == 0, 1e-4, actual)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


@pytest.fixture
def analysed(client, upload):
    def _run(name: str) -> dict:
        response = upload("pd", name)
        assert response.status_code == 200, response.get_json()
        dataset_id = response.get_json()["dataset_id"]
        analysis = client.post("/api/analyze/pd", json={"dataset_id": dataset_id})
        assert analysis.status_code == 200, analysis.get_json()
        json.loads(analysis.data)  # strict JSON: no NaN or Infinity tokens
        return analysis.get_json()

    return _run


@pytest.mark.parametrize("name", PD_FILES)
def test_pd_discrimination_matches_sklearn_scipy(analysed, name):
    body = analysed(name)
    reference, current = periods(name)
    discrimination = body["results"]["discrimination"]
    auc = roc_auc_score(current["default_flag"], current["pd"])
    assert discrimination["auc"]["value"] == pytest.approx(auc, rel=REL)
    assert discrimination["gini"]["value"] == pytest.approx(2 * auc - 1, rel=REL)
    ks = stats.ks_2samp(current.loc[current.default_flag == 1, "pd"], current.loc[current.default_flag == 0, "pd"]).statistic
    assert discrimination["ks"]["value"] == pytest.approx(ks, rel=REL)
    reference_auc = roc_auc_score(reference["default_flag"], reference["pd"])
    assert discrimination["reference"]["auc"] == pytest.approx(reference_auc, rel=REL)
    assert len(discrimination["roc_curve"]["x"]) <= 200


@pytest.mark.parametrize("name", PD_FILES)
def test_pd_psi_matches_hand_computation(analysed, name):
    body = analysed(name)
    reference, current = periods(name)
    psi = body["results"]["stability"]["psi"]
    assert psi["value"] == pytest.approx(reference_psi(reference["pd"].to_numpy(), current["pd"].to_numpy()), rel=REL)
    assert psi["status"] in ("green", "amber", "red")


@pytest.mark.parametrize("name", PD_FILES)
def test_pd_portfolio_calibration_matches_scipy(analysed, name):
    body = analysed(name)
    _, current = periods(name)
    portfolio = body["results"]["calibration"]["portfolio"]
    n, d, mean_pd = len(current), int(current["default_flag"].sum()), current["pd"].mean()
    assert portfolio["jeffreys"]["pvalue"] == pytest.approx(stats.beta.cdf(mean_pd, d + 0.5, n - d + 0.5), rel=REL)
    binomial = stats.binomtest(d, n, mean_pd, alternative="greater").pvalue
    assert portfolio["binomial"]["pvalue"] == pytest.approx(binomial, rel=REL)
    grades = current.groupby("rating_grade").agg(n=("pd", "size"), d=("default_flag", "sum"), p=("pd", "mean"))
    terms = (grades.d - grades.n * grades.p) ** 2 / (grades.n * grades.p * (1 - grades.p))
    hosmer_lemeshow = portfolio["hosmer_lemeshow"]
    assert hosmer_lemeshow["statistic"] == pytest.approx(terms.sum(), rel=REL)
    assert hosmer_lemeshow["dof"] == len(grades)
    assert hosmer_lemeshow["pvalue"] == pytest.approx(stats.chi2.sf(terms.sum(), len(grades)), rel=REL)


@pytest.mark.parametrize("name", PD_FILES)
def test_pd_grade_tests_match_scipy(analysed, name):
    body = analysed(name)
    _, current = periods(name)
    grades = {row["grade"]: row for row in body["results"]["calibration"]["grades"]}
    for grade, rows in current.groupby("rating_grade"):
        row = grades[str(grade)]
        n, d, mean_pd = len(rows), int(rows["default_flag"].sum()), rows["pd"].mean()
        assert row["obligors"] == n
        assert row["defaults"] == d
        assert row["jeffreys_pvalue"] == pytest.approx(stats.beta.cdf(mean_pd, d + 0.5, n - d + 0.5), rel=REL)
        assert row["binomial_pvalue"] == pytest.approx(stats.binomtest(d, n, mean_pd, alternative="greater").pvalue, rel=REL)
    # Grades in master-scale order 1 (best) .. 10 (worst), never alphabetical.
    ordered = [int(row["grade"]) for row in body["results"]["calibration"]["grades"]]
    assert ordered == sorted(ordered)


@pytest.mark.parametrize(("name", "feature"), [
    ("pd_germancredit.csv", "status_of_existing_checking_account"),
    ("pd_default_islp.csv", "student"),
    ("pd_lendingclub.csv", "verification_status"),
])
def test_pd_information_value_matches_hand_computation(analysed, name, feature):
    body = analysed(name)
    _, current = periods(name)
    entry = next(item for item in body["results"]["variable_importance"] if item["feature"] == feature)
    table = current.groupby(feature)["default_flag"].agg(["sum", "size"])
    bads = table["sum"].to_numpy(dtype=float)
    goods = (table["size"] - table["sum"]).to_numpy(dtype=float)
    keep = (bads > 0) & (goods > 0)
    bad_share = bads / bads.sum()
    good_share = goods / goods.sum()
    iv = float(np.sum(((bad_share - good_share) * np.log(bad_share / good_share))[keep]))
    assert entry["iv_exact"] == pytest.approx(iv, rel=REL)
    assert entry["strength"]


def test_pd_original_mmt_files_complete(client, upload):
    baseline = upload("pd_baseline", "mmt_original/Data_PD_Model_pvs_qtr.csv")
    assert baseline.status_code == 200, baseline.get_json()
    current = upload("pd", "mmt_original/Data_PD_Model.csv")
    assert current.status_code == 200, current.get_json()
    response = client.post("/api/analyze/pd", json={})
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert results["dataset"]["id"] == current.get_json()["dataset_id"]
    assert results["reference"]["dataset_id"] == baseline.get_json()["dataset_id"]
    assert results["discrimination"]["auc"]["value"] is not None
    assert results["stability"]["psi"]["value"] is not None
    assert results["stability"]["grade_psi"]["value"] is not None
    grades = [row["grade"] for row in results["calibration"]["grades"]]
    moody = ["Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3", "Ba1", "Ba2", "Ba3", "B1", "B2", "B3", "Caa1", "Caa2"]
    assert grades == [grade for grade in moody if grade in grades]
    features = {item["feature"] for item in results["variable_importance"]}
    assert {"DSCR", "Net Profit Margin", "AssetClass"} <= features
    assert "InstrumentID" not in features
    frame = pd.read_csv(DATA / "mmt_original/Data_PD_Model.csv")
    frame.columns = [column.strip() for column in frame.columns]
    assert results["discrimination"]["auc"]["value"] == pytest.approx(roc_auc_score(frame["Def_Flag"], frame["PD_1_YR"]), rel=REL)


def test_pd_identifier_column_left_out_of_csi_and_iv(client):
    import io

    frame = pd.read_csv(DATA / "pd_germancredit.csv")
    frame["KUNDEN_NR"] = [f"K{index:05d}" for index in range(len(frame))]
    upload = client.post("/api/upload/pd", data={"file": (io.BytesIO(frame.to_csv(index=False).encode()), "ids.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 200, upload.get_json()
    results = client.post("/api/analyze/pd", json={"dataset_id": upload.get_json()["dataset_id"]}).get_json()["results"]
    assert "KUNDEN_NR" not in results["stability"]["csi"]
    assert "KUNDEN_NR" not in {item["feature"] for item in results["variable_importance"]}
    skipped = [warning for warning in results["warnings"] if warning["code"] == "identifier_columns_skipped"]
    assert len(skipped) == 1
    assert "KUNDEN_NR" in skipped[0]["message"]
    # Naming the column explicitly analyses it anyway.
    explicit = client.post("/api/analyze/pd", json={"dataset_id": upload.get_json()["dataset_id"],
                                                    "features": ["KUNDEN_NR", "purpose"]}).get_json()["results"]
    assert "KUNDEN_NR" in explicit["stability"]["csi"]
    flagged = [warning for warning in explicit["warnings"] if warning["code"] == "psi_floor"]
    assert len(flagged) <= 3
