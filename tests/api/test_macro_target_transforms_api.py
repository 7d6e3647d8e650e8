"""Stationarity of ``lor`` (log-odds of the default rate) through the HTTP layer.

The original MMT macro file is uploaded as the user would, and the ADF and
KPSS figures of ``lor`` are recomputed with statsmodels.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.stattools import adfuller, kpss

from tests.compat.conftest import close_app, make_app, upload_file
from tests.conftest import DATA

MACRO_FILE = "mmt_original/MacroData_predicted_defaultrate.xlsx"
REL = 1e-12


def original_lor() -> np.ndarray:
    frame = pd.read_excel(DATA / MACRO_FILE, engine="openpyxl").sort_values("snapshot_ccyymm")
    return frame["lor"].to_numpy(dtype=float)


def test_macro_api_reports_lor_stationarity(client, upload):
    assert upload("macro", MACRO_FILE).status_code == 200

    response = client.post("/api/analyze/macro", json={})

    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    entry = results["stationarity_tests"]["lor"]
    assert entry["role"] == "target_transform"
    assert "lor" not in results["parameters"]["regressors"]
    lor = original_lor()
    max_lags = min(int(math.ceil(12 * (lor.size / 100) ** 0.25)), lor.size // 2 - 2)
    adf = adfuller(lor, maxlag=max_lags, regression="c", autolag="AIC", result_object=True)
    level = entry["transformations"]["level"]["tests"]
    assert level["adf"]["statistic"] == pytest.approx(adf.statistic, rel=REL)
    assert level["adf"]["p_value"] == pytest.approx(adf.pvalue, rel=REL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InterpolationWarning)
        reference_kpss = kpss(lor, regression="c", nlags="auto", result_object=True)
    assert level["kpss"]["statistic"] == pytest.approx(reference_kpss.statistic, rel=REL)
    assert level["kpss"]["p_value"] == pytest.approx(reference_kpss.pvalue, rel=REL)


def test_macro_page_lists_lor_row(database_url, tmp_path):
    application = make_app(tmp_path, database_url, api_profile="original-frontend")
    try:
        client = application.test_client()
        assert upload_file(client, "macro", DATA / MACRO_FILE).status_code == 200

        response = client.post("/api/analyze/macro", json={})

        assert response.status_code == 200, response.get_json()
        row = response.get_json()["stationarity_results"]["lor"]
        lor = original_lor()
        adf = adfuller(lor, autolag="AIC", regression="c", result_object=False)
        assert row["ADF Statistic"] == pytest.approx(adf[0], rel=REL)
        assert row["ADF p-value"] == pytest.approx(adf[1], rel=REL)
    finally:
        close_app(application)
