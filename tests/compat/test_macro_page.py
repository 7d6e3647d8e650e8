"""Macro page (``POST /api/analyze/macro``) under the original front end's profile.

The model error is ``pred_dr - Defaultrate`` of the sample file; each test
statistic is recomputed here with SciPy, statsmodels or arch.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from arch.unitroot import PhillipsPerron
from scipy import stats
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.stattools import durbin_watson
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.stattools import acf, adfuller, kpss, pacf, zivot_andrews

from tests.compat.conftest import ORIGINAL, assert_numbers, is_number, read_macro, strict_json, upload_file

REL = 1e-9
REGRESSORS = [
    "Unemploymentrateatpitlag2quarters",
    "YoYpercentagechangeinSPCSHPIatpitlag1quarter",
    "Unemploymentrateatpitlag1quarter",
    "SPCS_US_HPI",
    "MORTGAGE_30Y",
    "YoYpercentagechangeinSPCSHPIatpitlag2quarters",
]


def _errors() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = read_macro()
    actual = frame["Defaultrate"].to_numpy(float)
    predicted = frame["pred_dr"].to_numpy(float)
    return actual, predicted, predicted - actual


def test_macro_page_fields_and_types(page_responses):
    body = page_responses("macro")
    normality = body["normality_results"]["model_error"]
    assert is_number(normality["AD Statistic"])
    assert_numbers(normality["Critical Values"], "Critical Values")
    assert_numbers(normality["Significance Level"], "Significance Level")
    qq = normality["qq_plot"]
    assert_numbers(qq["theoretical_quantiles"], "theoretical_quantiles")
    assert_numbers(qq["sample_quantiles"], "sample_quantiles")
    assert len(qq["line"]["x"]) == len(qq["line"]["y"]) == 2
    visual = normality["normality_visualization"]
    for part in ("histogram", "normal_curve"):
        assert_numbers(visual[part]["x"], part)
        assert_numbers(visual[part]["y"], part)
    assert is_number(visual["distribution_params"]["mean"])
    assert is_number(visual["distribution_params"]["std"])

    autocorrelation = body["autocorrelation_results"]["model_error"]
    assert is_number(autocorrelation["DW Statistic"])
    assert isinstance(autocorrelation["Interpretation"], str)
    for part, values_key in (("acf", "acf_values"), ("pacf", "pacf_values")):
        entry = autocorrelation[part]
        assert_numbers(entry["lags"], part)
        assert_numbers(entry[values_key], part)
        assert_numbers(entry["confidence_interval"]["upper"], part)
        assert_numbers(entry["confidence_interval"]["lower"], part)

    hetero = body["heteroscedasticity_results"]
    assert is_number(hetero["LM Statistic"])
    assert is_number(hetero["p-value"])
    assert_numbers(hetero["predicted_pd"], "predicted_pd")
    assert_numbers(hetero["model_error"], "model_error")

    comparison = body["comparison_results"]
    assert is_number(comparison["Adjusted R-squared"])
    assert is_number(comparison["RMSE"])
    assert_numbers(comparison["actual_default_rate"], "actual_default_rate")
    assert_numbers(comparison["predicted_pd"], "predicted_pd")
    assert_numbers(comparison["trend_line"]["x"], "trend x")
    assert_numbers(comparison["trend_line"]["y"], "trend y")
    assert is_number(comparison["trend_line"]["equation"]["slope"])
    assert is_number(comparison["trend_line"]["equation"]["intercept"])

    for name, row in body["stationarity_results"].items():
        for field in ("ADF Statistic", "ADF p-value", "KPSS Statistic", "KPSS p-value", "Zivot-Andrews Statistic",
                      "ZA p-value", "Phillips-Perron Statistic", "PP p-value"):
            assert row[field] is None or is_number(row[field]), (name, field)
        assert isinstance(row["KPSS Note"], str)

    records = body["time_series_data"]
    assert records
    for record in records:
        assert isinstance(record["snapshot_ccyymm"], (str, int))


def test_macro_normality_matches_scipy(page_responses):
    normality = page_responses("macro")["normality_results"]["model_error"]
    _, _, errors = _errors()
    expected = stats.anderson(errors, dist="norm", method="interpolate")
    assert normality["AD Statistic"] == pytest.approx(expected.statistic, rel=REL)
    assert normality["p-value"] == pytest.approx(expected.pvalue, rel=REL)
    n = errors.size
    # Critical values for a normal with estimated mean and variance, with the table and the
    # small-sample factor of scipy.stats.anderson (SciPy 1.17), rounded to 3 decimals.
    critical = np.round(np.array([0.561, 0.631, 0.752, 0.873, 1.035]) / (1 + 0.75 / n + 2.25 / n**2), 3)
    np.testing.assert_allclose(normality["Critical Values"], critical, rtol=REL)
    assert normality["Significance Level"] == [15.0, 10.0, 5.0, 2.5, 1.0]
    standardised = np.sort((errors - errors.mean()) / errors.std(ddof=1))
    np.testing.assert_allclose(normality["qq_plot"]["theoretical_quantiles"],
                               stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n), rtol=REL)
    np.testing.assert_allclose(normality["qq_plot"]["sample_quantiles"], standardised, rtol=REL)
    density, edges = np.histogram(errors, bins="auto", density=True)
    np.testing.assert_allclose(normality["normality_visualization"]["histogram"]["y"], density, rtol=REL)
    np.testing.assert_allclose(normality["normality_visualization"]["histogram"]["x"], (edges[1:] + edges[:-1]) / 2,
                               rtol=REL)


def test_macro_autocorrelation_matches_statsmodels(page_responses):
    autocorrelation = page_responses("macro")["autocorrelation_results"]["model_error"]
    _, _, errors = _errors()
    value = durbin_watson(errors)
    assert autocorrelation["DW Statistic"] == pytest.approx(value, rel=REL)
    assert value < 1.5
    assert autocorrelation["Interpretation"] == "Evidence of positive autocorrelation."
    n = errors.size
    expected_acf = acf(errors, nlags=20, fft=True)
    np.testing.assert_allclose(autocorrelation["acf"]["acf_values"], expected_acf, rtol=1e-9, atol=1e-12)
    z = stats.norm.ppf(0.975)
    bartlett = z * np.sqrt((1 + 2 * np.concatenate(([0.0], np.cumsum(expected_acf[1:-1] ** 2)))) / n)
    np.testing.assert_allclose(autocorrelation["acf"]["confidence_interval"]["upper"][1:], bartlett, rtol=1e-9)
    expected_pacf = pacf(errors, nlags=20, method="ywadjusted")
    np.testing.assert_allclose(autocorrelation["pacf"]["pacf_values"], expected_pacf, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(autocorrelation["pacf"]["confidence_interval"]["upper"][1:], z / np.sqrt(n), rtol=1e-9)
    assert autocorrelation["acf"]["lags"] == list(range(21))


def test_macro_breusch_pagan_matches_statsmodels(page_responses):
    hetero = page_responses("macro")["heteroscedasticity_results"]
    actual, predicted, errors = _errors()
    lm, pvalue, _, _ = het_breuschpagan(errors, np.column_stack([np.ones(actual.size), actual]), robust=True)
    assert hetero["LM Statistic"] == pytest.approx(lm, rel=REL)
    assert hetero["p-value"] == pytest.approx(pvalue, rel=REL)
    np.testing.assert_allclose(hetero["predicted_pd"], predicted, rtol=REL)
    np.testing.assert_allclose(hetero["model_error"], errors, rtol=REL, atol=1e-15)


def test_macro_comparison_by_hand(page_responses):
    comparison = page_responses("macro")["comparison_results"]
    actual, predicted, errors = _errors()
    n = actual.size
    correlation = np.corrcoef(actual, predicted)[0, 1]
    assert comparison["Adjusted R-squared"] == pytest.approx(1 - (1 - correlation**2) * (n - 1) / (n - 2), rel=REL)
    assert comparison["RMSE"] == pytest.approx(np.sqrt(np.mean(errors**2)), rel=REL)
    slope, intercept = np.polyfit(actual, predicted, 1)
    assert comparison["trend_line"]["equation"]["slope"] == pytest.approx(slope, rel=1e-9)
    assert comparison["trend_line"]["equation"]["intercept"] == pytest.approx(intercept, rel=1e-9)
    assert comparison["trend_line"]["x"] == [actual.min(), actual.max()]
    np.testing.assert_allclose(comparison["actual_default_rate"], actual, rtol=REL)


def test_macro_stationarity_matches_libraries(page_responses):
    table = page_responses("macro")["stationarity_results"]
    frame = read_macro()
    assert set(REGRESSORS) <= set(table)
    for name in ("Defaultrate", "MORTGAGE_30Y"):
        series = frame[name].to_numpy(float)
        row = table[name]
        adf = adfuller(series, autolag="AIC", regression="c", result_object=False)
        assert row["ADF Statistic"] == pytest.approx(adf[0], rel=REL), name
        assert row["ADF p-value"] == pytest.approx(adf[1], rel=REL), name
        with warnings.catch_warnings():
            # KPSS p-values outside the look-up table are clipped to its bounds, as in the analysis.
            warnings.simplefilter("ignore", InterpolationWarning)
            statistic, pvalue, _, _ = kpss(series, regression="c", nlags="auto", result_object=False)
        assert row["KPSS Statistic"] == pytest.approx(statistic, rel=REL), name
        assert row["KPSS p-value"] == pytest.approx(pvalue, rel=REL), name
        pp = PhillipsPerron(series, trend="c", test_type="tau")
        assert row["Phillips-Perron Statistic"] == pytest.approx(pp.stat, rel=REL), name
        assert row["PP p-value"] == pytest.approx(pp.pvalue, rel=REL), name
        assert row["Zivot-Andrews Statistic"] is not None


def test_macro_zivot_andrews_with_stored_lag_cap(page_responses, loaded):
    table = page_responses("macro")["stationarity_results"]
    stored = next(record for record in strict_json(loaded.get("/api/database/analysis-results"))["analysis_results"]
                  if record["analysis_type"] == "macro")
    test = stored["result_data"]["stationarity_tests"]["Defaultrate"]["transformations"]["level"]["tests"]["zivot_andrews"]
    series = read_macro()["Defaultrate"].to_numpy(float)
    statistic, pvalue, *_ = zivot_andrews(series, trim=0.15, maxlag=test["max_lags"], regression="c", autolag="AIC")
    assert table["Defaultrate"]["Zivot-Andrews Statistic"] == pytest.approx(statistic, rel=REL)
    assert table["Defaultrate"]["ZA p-value"] == pytest.approx(pvalue, rel=REL)


def test_macro_time_series_records(page_responses):
    records = page_responses("macro")["time_series_data"]
    frame = read_macro()
    assert len(records) == len(frame)
    assert list(records[0])[:3] == ["snapshot_ccyymm", "Defaultrate", "pred_dr"]
    assert [record["snapshot_ccyymm"] for record in records] == [str(value) for value in frame["snapshot_ccyymm"]]
    for column in ["Defaultrate", "pred_dr", *REGRESSORS]:
        np.testing.assert_allclose([record[column] for record in records], frame[column].to_numpy(float), rtol=REL)


def test_macro_without_fitted_column_uses_regression(compat_client, tmp_path):
    frame = read_macro().drop(columns=["pred_dr"])
    path = tmp_path / "macro_without_prediction.csv"
    frame.to_csv(path, index=False)
    assert upload_file(compat_client, "macro", path).status_code == 200
    response = compat_client.post("/api/analyze/macro", json={})
    assert response.status_code == 200, response.get_json()
    body = strict_json(response)
    assert "re-estimated" in body["prediction_source"]
    assert is_number(body["normality_results"]["model_error"]["AD Statistic"])
    assert is_number(body["comparison_results"]["Adjusted R-squared"])
    assert "trend_line" not in body["comparison_results"]
    records = body["time_series_data"]
    assert all(is_number(record["pred_dr"]) for record in records)
    used = [column for column in frame.columns if column not in ("snapshot_ccyymm", "Defaultrate", "lor")]
    design = np.column_stack([np.ones(len(frame)), frame[used].to_numpy(float)])
    coefficients, *_ = np.linalg.lstsq(design, frame["Defaultrate"].to_numpy(float), rcond=None)
    np.testing.assert_allclose([record["pred_dr"] for record in records], design @ coefficients, rtol=1e-8)


def test_macro_without_data_is_error_text(compat_client):
    response = compat_client.post("/api/analyze/macro", json={})
    assert response.status_code >= 400
    body = strict_json(response)
    assert isinstance(body["error"], str)
    assert "details" not in body or isinstance(body["details"], str)


def test_macro_upload_with_description(compat_client):
    response = upload_file(compat_client, "macro", ORIGINAL / "MacroData_predicted_defaultrate.xlsx",
                           description="Macro economic data file")
    assert response.status_code == 200
    datasets = strict_json(compat_client.get("/api/database/datasets"))["datasets"]
    assert datasets[0]["description"] == "Macro economic data file"
    assert isinstance(pd.Timestamp(datasets[0]["upload_date"]), pd.Timestamp)
