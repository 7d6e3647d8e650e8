"""Macro result parameters record the options actually used, defaults included."""

from __future__ import annotations

import numpy as np
import pytest

from mmt.analyses.macro import analyze_macro
from mmt.errors import ValidationError
from tests.analyses.test_macro import macro_frame, synthetic_frame


def test_defaults_recorded_as_used():
    result = analyze_macro(macro_frame(), {}, {})
    parameters = result["parameters"]

    # macro_quarterly.csv has a "sample" column with development / out_of_time labels.
    assert parameters["sample_column"] == "sample"
    assert parameters["date"] == "date"
    # Phillips-Perron takes adf_regression ("c" by default) when pp_trend is left out.
    assert parameters["pp_trend"] == "c"
    assert parameters["stationarity"]["pp_trend"] == "c"
    assert parameters["significance_level"] == 0.05


def test_pp_trend_follows_adf_regression():
    result = analyze_macro(macro_frame(), {"adf_regression": "ct"}, {})

    assert result["parameters"]["pp_trend"] == "ct"
    tests = result["stationarity_tests"]["default_rate"]["transformations"]["level"]["tests"]
    assert tests["phillips_perron"]["regression"] == "ct"


def test_split_leaves_sample_column_unused():
    result = analyze_macro(macro_frame(), {"split": "2004Q4", "sample_column": "sample"}, {})

    # The split decides the samples, so the sample column is not read.
    assert result["parameters"]["sample_column"] is None
    assert result["parameters"]["split"] == "2004Q4"


def test_no_sample_column_recorded_as_none():
    result = analyze_macro(synthetic_frame(), {}, {})

    assert result["parameters"]["sample_column"] is None
    assert result["parameters"]["sample_source"].startswith("all rows")


def test_lags_match_the_tests_run():
    # 40 rows, development 30: residual Ljung-Box lags min(10, 30 // 5) = 6,
    # fitted errors on all 40 rows min(10, 40 // 5) = 8. ACF lags are cut to
    # n // 2 - 1: 14 for 30 residuals, 19 for 40 errors.
    frame = synthetic_frame(40)
    frame["sample"] = ["development"] * 30 + ["out_of_time"] * 10

    result = analyze_macro(frame, {}, {})
    parameters = result["parameters"]
    model_tests = result["diagnostics"]["model"]["tests"]
    fitted_tests = result["diagnostics"]["supplied_fitted"]["tests"]

    assert parameters["ljungbox_lags"] == 6
    assert model_tests["ljung_box"]["parameters"]["lags"] == 6
    assert parameters["fitted_error_ljungbox_lags"] == 8
    assert fitted_tests["ljung_box"]["parameters"]["lags"] == 8
    assert parameters["acf_lags"] == 20
    assert parameters["residual_acf_lags"] == 14
    assert parameters["fitted_error_acf_lags"] == 19
    assert len(result["time_series_data"]["residual_acf"]["lags"]) - 1 == 14


def test_lags_none_without_regression_or_fitted():
    frame = synthetic_frame(40).drop(columns=["predicted_dr"])
    frame["unemployment"] = np.nan

    result = analyze_macro(frame, {"regressors": []}, {})
    parameters = result["parameters"]

    assert parameters["ljungbox_lags"] is None
    assert parameters["fitted_error_ljungbox_lags"] is None
    assert parameters["residual_acf_lags"] is None
    assert parameters["fitted_error_acf_lags"] is None


@pytest.mark.parametrize("split", ["", " ", "NaT", "99999-01-01"])
def test_split_without_a_date_rejected(split):
    with pytest.raises(ValidationError) as caught:
        analyze_macro(macro_frame(), {"split": split}, {})

    assert caught.value.code == "invalid_options"
    assert caught.value.details == {"option": "split", "value": split}
