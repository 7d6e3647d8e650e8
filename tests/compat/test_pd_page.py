"""PD page (``POST /api/analyze/pd``) under the original front end's profile.

Every field the page reads is checked for presence and type, and every
figure against scikit-learn, SciPy or a hand computation on the sample files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from tests.compat.conftest import (
    MOODYS_ORDER,
    ORIGINAL,
    assert_numbers,
    floored_psi,
    is_number,
    read_pd,
    strict_json,
    upload_file,
)

REL = 1e-9


def _curves_are_well_formed(power: dict) -> None:
    gini = power["gini"]
    assert is_number(gini["gini_coefficient"])
    cap = gini["cap_curve"]
    for key in ("x", "y", "random_model_x", "random_model_y"):
        assert_numbers(cap[key], f"cap_curve.{key}")
    assert len(cap["x"]) == len(cap["y"])
    ks = power["ks_test"]
    assert is_number(ks["ks_statistic"])
    curve = ks["ks_curve"]
    for key in ("x", "good_cdf", "bad_cdf"):
        assert_numbers(curve[key], f"ks_curve.{key}")
    assert len(curve["x"]) == len(curve["good_cdf"]) == len(curve["bad_cdf"])
    for key in ("x", "y_good", "y_bad"):
        assert is_number(curve["ks_point"][key])


@pytest.mark.parametrize("key", ["pd", "pd_rating"])
def test_pd_page_fields_and_types(page_responses, key):
    body = page_responses(key)
    _curves_are_well_formed(body["discriminatory_power"])
    psi = body["stability"]["psi"]
    assert is_number(psi["psi_total"])
    for rating, entry in psi["bin_details"].items():
        assert isinstance(rating, str)
        assert is_number(entry["psi"])
        assert is_number(entry["baseline_prop"])
        assert is_number(entry["current_prop"])
    hosmer = body["calibration"]["hosmer_lemeshow"]
    assert isinstance(hosmer, dict)
    assert is_number(hosmer["p_value"])
    assert is_number(hosmer["degrees_of_freedom"])
    rows = body["calibration"]["binomial_test_by_rating"]
    assert rows
    for row in rows:
        assert isinstance(row["rating"], str)
        for field in ("total_samples", "observed_defaults", "expected_default_prob", "p_value"):
            assert is_number(row[field]), field
        assert row["test_result"] in ("PASS", "FAIL")
    assessment = body["variable_assessment"]
    assert isinstance(assessment["numeric_variables"], dict)
    assert isinstance(assessment["categorical_variables"], dict)
    assert is_number(body["analysis_result_id"])


def test_pd_gini_and_ks_by_pd(page_responses):
    power = page_responses("pd")["discriminatory_power"]
    current = read_pd("Data_PD_Model.csv")
    expected_gini = 2 * roc_auc_score(current["default_flag"], current["pd"]) - 1
    defaulted = current["default_flag"] == 1
    expected_ks = stats.ks_2samp(current.loc[defaulted, "pd"], current.loc[~defaulted, "pd"]).statistic
    assert power["binning"] == "PD"
    assert power["gini"]["gini_coefficient"] == pytest.approx(expected_gini, rel=REL)
    assert power["gini"]["gini_coefficient"] < 0  # the sign is kept: this mock model ranks worse than random
    assert power["ks_test"]["ks_statistic"] == pytest.approx(expected_ks, rel=REL)


def test_pd_curves_are_roc_and_ks_points(page_responses):
    power = page_responses("pd")["discriminatory_power"]
    cap = power["gini"]["cap_curve"]
    curve = power["ks_test"]["ks_curve"]
    assert (cap["x"][0], cap["y"][0]) == (0.0, 0.0)
    assert (cap["x"][-1], cap["y"][-1]) == (1.0, 1.0)
    assert curve["good_cdf"] == cap["x"]
    assert curve["bad_cdf"] == cap["y"]
    # The curve is thinned to at most 200 points, so its area is close to, not exactly, the AUC.
    assert len(cap["x"]) <= 200
    area = np.trapezoid(cap["y"], cap["x"])
    assert 2 * area - 1 == pytest.approx(power["gini"]["gini_coefficient"], abs=1e-3)
    point = curve["ks_point"]
    assert abs(point["y_bad"] - point["y_good"]) == pytest.approx(power["ks_test"]["ks_statistic"], rel=REL)
    assert 0.0 <= point["x"] <= 1.0


def _grade_table(frame: pd.DataFrame) -> pd.DataFrame:
    table = frame.groupby("rating").agg(obligors=("default_flag", "size"), defaults=("default_flag", "sum"),
                                        mean_pd=("pd", "mean"))
    return table.loc[sorted(table.index, key=MOODYS_ORDER.index)]


def test_pd_rating_binning_in_moodys_order(page_responses):
    power = page_responses("pd_rating")["discriminatory_power"]
    current = read_pd("Data_PD_Model.csv")
    rank = current["rating"].map(MOODYS_ORDER.index)
    expected_gini = 2 * roc_auc_score(current["default_flag"], rank) - 1
    table = _grade_table(current)
    bad_share = np.cumsum(table["defaults"][::-1]) / table["defaults"].sum()
    good = table["obligors"] - table["defaults"]
    good_share = np.cumsum(good[::-1]) / good.sum()
    expected_ks = float(np.max(np.abs(bad_share.to_numpy() - good_share.to_numpy())))
    assert power["binning"] == "rating"
    assert power["gini"]["gini_coefficient"] == pytest.approx(expected_gini, rel=REL)
    assert power["ks_test"]["ks_statistic"] == pytest.approx(expected_ks, rel=REL)
    assert len(power["gini"]["cap_curve"]["x"]) == len(table) + 1
    alphabetical = 2 * roc_auc_score(current["default_flag"], current["rating"].map(sorted(MOODYS_ORDER).index)) - 1
    assert abs(alphabetical - expected_gini) > 0.01


def test_pd_unknown_sorting_method_uses_pd(loaded, page_responses):
    response = loaded.post("/api/analyze/pd", json={"sortingMethod": "Alphabet", "request_id": "x"})
    assert response.status_code == 200
    body = strict_json(response)
    expected = page_responses("pd")["discriminatory_power"]["gini"]["gini_coefficient"]
    assert body["discriminatory_power"]["binning"] == "PD"
    assert body["discriminatory_power"]["gini"]["gini_coefficient"] == expected


def test_pd_stability_psi_by_rating(page_responses):
    psi = page_responses("pd")["stability"]["psi"]
    current = read_pd("Data_PD_Model.csv")["rating"].value_counts()
    baseline = read_pd("Data_PD_Model_pvs_qtr.csv")["rating"].value_counts()
    ratings = sorted(set(current.index) | set(baseline.index), key=MOODYS_ORDER.index)
    assert list(psi["bin_details"]) == ratings
    current_counts = np.array([current.get(rating, 0) for rating in ratings], dtype=float)
    baseline_counts = np.array([baseline.get(rating, 0) for rating in ratings], dtype=float)
    assert psi["psi_total"] == pytest.approx(floored_psi(baseline_counts, current_counts), rel=REL)
    for rating, reference_count, current_count in zip(ratings, baseline_counts, current_counts):
        entry = psi["bin_details"][rating]
        reference_share = reference_count / baseline_counts.sum()
        current_share = current_count / current_counts.sum()
        assert entry["baseline_prop"] == pytest.approx(reference_share, rel=REL)
        assert entry["current_prop"] == pytest.approx(current_share, rel=REL)
        assert entry["psi"] == pytest.approx((current_share - reference_share) * np.log(current_share / reference_share),
                                             rel=REL, abs=1e-15)


def test_pd_hosmer_lemeshow_over_ratings(page_responses):
    hosmer = page_responses("pd")["calibration"]["hosmer_lemeshow"]
    table = _grade_table(read_pd("Data_PD_Model.csv"))
    expected = table["obligors"] * table["mean_pd"]
    statistic = float(np.sum((table["defaults"] - expected) ** 2 / (expected * (1 - table["mean_pd"]))))
    assert hosmer["statistic"] == pytest.approx(statistic, rel=REL)
    assert hosmer["degrees_of_freedom"] == len(table)
    assert hosmer["p_value"] == pytest.approx(stats.chi2.sf(statistic, len(table)), rel=1e-6)


def test_pd_binomial_test_per_rating(page_responses):
    rows = page_responses("pd")["calibration"]["binomial_test_by_rating"]
    table = _grade_table(read_pd("Data_PD_Model.csv"))
    assert [row["rating"] for row in rows] == list(table.index)
    for row, (rating, grade) in zip(rows, table.iterrows()):
        pvalue = stats.binomtest(int(grade["defaults"]), int(grade["obligors"]), grade["mean_pd"],
                                 alternative="greater").pvalue
        assert row["total_samples"] == grade["obligors"], rating
        assert row["observed_defaults"] == grade["defaults"], rating
        assert row["expected_default_prob"] == pytest.approx(grade["mean_pd"], rel=REL), rating
        assert row["p_value"] == pytest.approx(pvalue, rel=1e-9), rating
        assert row["test_result"] == ("PASS" if pvalue >= 0.05 else "FAIL"), rating


def _variable_is_well_formed(name: str, info: dict, numeric: bool) -> None:
    iv = info["iv"]
    assert is_number(iv["iv_total"]), name
    assert iv["woe_plot_data"], name
    for point in iv["woe_plot_data"]:
        assert is_number(point["y"]), name
        assert isinstance(point["label"], str), name
        assert is_number(point["x"]) if numeric else isinstance(point["x"], str), name
    bins = iv["details"]["bins"]
    assert len(bins) == len(iv["woe_plot_data"]) == len(iv["details"]["woe"]) == len(iv["details"]["bin_details"]["iv_per_bin"])
    for entry in bins:
        for field in ("total_count", "default_count", "woe", "iv_bin"):
            assert is_number(entry[field]), (name, field)
        assert isinstance(entry["bin_range"], str), name
    assert is_number(info["csi_total"]), name


def test_pd_variable_assessment_fields(page_responses):
    assessment = page_responses("pd")["variable_assessment"]
    assert set(assessment["numeric_variables"]) == {"OutstandingBal", "Debt to Equity", "Net Profit Margin", "DSCR",
                                                    "Current Ratio", "Asset Coverage ratio"}
    assert set(assessment["categorical_variables"]) == {"AssetClass", "Model_Name", "InstrumentType"}
    for name, info in assessment["numeric_variables"].items():
        _variable_is_well_formed(name, info, numeric=True)
    for name, info in assessment["categorical_variables"].items():
        _variable_is_well_formed(name, info, numeric=False)


def _woe_iv(events: np.ndarray, non_events: np.ndarray) -> tuple[np.ndarray, float]:
    bad = events / events.sum()
    good = non_events / non_events.sum()
    woe = np.log(bad / good)
    return woe, float(np.sum((bad - good) * woe))


def test_pd_categorical_woe_and_iv_by_hand(page_responses):
    info = page_responses("pd")["variable_assessment"]["categorical_variables"]["InstrumentType"]
    current = read_pd("Data_PD_Model.csv")
    table = current.groupby("InstrumentType")["default_flag"].agg(["sum", "size"])
    woe, iv = _woe_iv(table["sum"].to_numpy(float), (table["size"] - table["sum"]).to_numpy(float))
    assert info["iv"]["iv_total"] == pytest.approx(iv, rel=REL)
    by_label = {entry["bin_range"]: entry for entry in info["iv"]["details"]["bins"]}
    assert set(by_label) == set(table.index)
    for level, expected in zip(table.index, woe):
        assert by_label[level]["woe"] == pytest.approx(expected, rel=REL)
        assert by_label[level]["total_count"] == table.loc[level, "size"]
        assert by_label[level]["default_count"] == table.loc[level, "sum"]


def test_pd_numeric_iv_by_hand(page_responses):
    info = page_responses("pd")["variable_assessment"]["numeric_variables"]["DSCR"]
    values = read_pd("Data_PD_Model.csv")
    edges = np.unique(np.quantile(values["DSCR"], np.arange(1, 10) / 10))
    codes = np.searchsorted(edges, values["DSCR"], side="left")  # right-closed bins
    events = np.bincount(codes, weights=values["default_flag"], minlength=len(edges) + 1)
    counts = np.bincount(codes, minlength=len(edges) + 1)
    woe, iv = _woe_iv(events, counts - events)
    assert info["iv"]["iv_total"] == pytest.approx(iv, rel=REL)
    assert [point["x"] for point in info["iv"]["woe_plot_data"]] == list(range(1, len(counts) + 1))
    np.testing.assert_allclose(info["iv"]["details"]["woe"], woe, rtol=REL)
    assert [entry["total_count"] for entry in info["iv"]["details"]["bins"]] == counts.tolist()


def test_pd_csi_on_reference_bins(page_responses):
    info = page_responses("pd")["variable_assessment"]["numeric_variables"]["Net Profit Margin"]
    reference = read_pd("Data_PD_Model_pvs_qtr.csv")["Net Profit Margin"].to_numpy()
    current = read_pd("Data_PD_Model.csv")["Net Profit Margin"].to_numpy()
    edges = np.unique(np.quantile(reference, np.arange(1, 10) / 10))
    reference_counts = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=len(edges) + 1)
    current_counts = np.bincount(np.searchsorted(edges, current, side="left"), minlength=len(edges) + 1)
    expected = floored_psi(reference_counts, current_counts)
    assert info["csi_total"] == pytest.approx(expected, rel=REL)
    assert info["csi_total"] > 0
    # The original computed CSI on the current sample's own bins, which gives 0 by construction here.
    own_bins = np.unique(np.quantile(current, np.arange(1, 10) / 10))
    assert not np.allclose(own_bins, edges)


def test_pd_analyses_latest_non_baseline(compat_client):
    # The original analysed whichever PD file came last, here the baseline.
    assert upload_file(compat_client, "pd", ORIGINAL / "Data_PD_Model.csv").status_code == 200
    assert upload_file(compat_client, "pd_baseline", ORIGINAL / "Data_PD_Model_pvs_qtr.csv").status_code == 200
    body = strict_json(compat_client.post("/api/analyze/pd", json={"sortingMethod": "PD_1_YR", "request_id": "a"}))
    current = read_pd("Data_PD_Model.csv")
    expected = 2 * roc_auc_score(current["default_flag"], current["pd"]) - 1
    assert body["discriminatory_power"]["gini"]["gini_coefficient"] == pytest.approx(expected, rel=REL)
    assert body["stability"]["psi"] is not None


def test_pd_without_baseline_has_null_psi(compat_client):
    assert upload_file(compat_client, "pd", ORIGINAL / "Data_PD_Model.csv").status_code == 200
    body = strict_json(compat_client.post("/api/analyze/pd", json={"sortingMethod": "PD_1_YR", "request_id": "a"}))
    assert body["stability"]["psi"] is None
    for info in body["variable_assessment"]["numeric_variables"].values():
        assert "csi_total" not in info
    assert is_number(body["calibration"]["hosmer_lemeshow"]["p_value"])


def test_pd_without_defaults_sends_zero_with_reason(compat_client, tmp_path):
    frame = pd.read_csv(ORIGINAL / "Data_PD_Model.csv")
    frame["Def_Flag"] = 0
    path = tmp_path / "no_defaults.csv"
    frame.to_csv(path, index=False)
    assert upload_file(compat_client, "pd", path).status_code == 200
    for sorting in ("PD_1_YR", "TTCReportingRating"):
        response = compat_client.post("/api/analyze/pd", json={"sortingMethod": sorting, "request_id": "a"})
        assert response.status_code == 200, response.get_json()
        power = strict_json(response)["discriminatory_power"]
        assert power["gini"]["gini_coefficient"] == 0.0
        assert power["ks_test"]["ks_statistic"] == 0.0
        assert "not computable" in power["gini"]["interpretation"]
        assert power["ks_test"]["ks_curve"]["ks_point"] == {"x": 0.0, "y_good": 0.0, "y_bad": 0.0}


def test_pd_without_data_is_error_text(compat_client):
    response = compat_client.post("/api/analyze/pd", json={"sortingMethod": "PD_1_YR", "request_id": "a"})
    assert response.status_code == 400
    body = strict_json(response)
    assert isinstance(body["error"], str)
    assert "Upload" in body["error"]
    assert isinstance(body.get("details", ""), str)

