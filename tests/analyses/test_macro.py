"""Macro analysis end to end on the sample files, and its errors and statuses for broken input."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    r2_score,
)
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.stattools import adfuller, kpss, zivot_andrews

from mmt.analyses.macro import MacroOptions, analyze_macro
from mmt.errors import ValidationError

DATA = Path(__file__).resolve().parents[2] / "data"
REL = 1e-9

MACRO_MODEL = [
    "unemployment_rate_pct",
    "gdp_growth_yoy_pct",
    "interest_rate_pct",
    "inflation_pct",
]
MMT_REGRESSORS = [
    "Unemploymentrateatpitlag2quarters",
    "YoYpercentagechangeinSPCSHPIatpitlag1quarter",
    "Unemploymentrateatpitlag1quarter",
    "SPCS_US_HPI",
    "MORTGAGE_30Y",
    "YoYpercentagechangeinSPCSHPIatpitlag2quarters",
]


def macro_frame() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "macro_quarterly.csv")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def mmt_frame() -> pd.DataFrame:
    """Read the original MMT macro file and convert ``snapshot_ccyymm`` as ingest does (200312 -> 2003-12-31)."""
    frame = pd.read_excel(
        DATA / "mmt_original" / "MacroData_predicted_defaultrate.xlsx",
        engine="openpyxl",
    )
    labels = frame.pop("snapshot_ccyymm").astype(str)
    periods = pd.PeriodIndex([f"{label[:4]}-{label[4:]}" for label in labels], freq="M")
    frame.insert(0, "date", periods.to_timestamp(how="end").normalize())
    frame.insert(1, "date_label", labels)
    return frame


def quarter_ends(n: int, start: str = "2000Q1") -> pd.DatetimeIndex:
    return (
        pd.period_range(start, periods=n, freq="Q").to_timestamp(how="end").normalize()
    )


def synthetic_frame(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unemployment = 6 + np.cumsum(rng.normal(0, 0.2, n))
    growth = rng.normal(2, 1.5, n)
    logit_rate = -4 + 0.3 * (unemployment - 6) - 0.05 * growth + rng.normal(0, 0.1, n)
    rate = 1 / (1 + np.exp(-logit_rate))
    return pd.DataFrame(
        {
            "date": quarter_ends(n),
            "default_rate": rate,
            "unemployment": unemployment,
            "gdp_growth": growth,
            "predicted_dr": rate * np.exp(rng.normal(0, 0.05, n)),
        }
    )


def strict_json(result: dict) -> dict:
    return json.loads(json.dumps(result, allow_nan=False))


def adf_reference(x: np.ndarray):
    max_lags = min(int(math.ceil(12 * (x.size / 100) ** 0.25)), x.size // 2 - 2)
    return adfuller(
        x, maxlag=max_lags, regression="c", autolag="AIC", result_object=True
    )


# Sample files end to end -----------------------------------------------------


def test_macro_quarterly_defaults_end_to_end():
    frame = macro_frame()

    result = strict_json(analyze_macro(frame, MacroOptions(), {}))

    assert set(result) == {
        "stationarity_tests",
        "performance_metrics",
        "diagnostics",
        "time_series_data",
        "parameters",
        "warnings",
        "summary_statuses",
    }
    parameters = result["parameters"]
    assert parameters["target"] == "default_rate"
    assert parameters["fitted"] == "fitted_default_rate"
    assert parameters["regressors"] == [
        "real_gdp",
        "gdp_growth_yoy_pct",
        "gdp_growth_qoq_ann_pct",
        "unemployment_rate_pct",
        "inflation_pct",
        "interest_rate_pct",
        "real_interest_rate_pct",
        "cpi",
    ]
    assert (
        parameters["excluded_columns"]["fitted_logit_default_rate"] == "fitted values"
    )
    assert parameters["excluded_columns"]["residual_logit"] == "residuals or errors"
    assert parameters["development_end"] == "2004-12-31"
    assert parameters["out_of_time_start"] == "2005-03-31"
    assert parameters["frequency"] == "quarterly"

    development = frame[frame["sample"] == "development"]
    reference = sm.OLS(
        development["default_rate"].to_numpy(),
        sm.add_constant(development[parameters["regressors"]].to_numpy()),
    ).fit()
    coefficients = result["performance_metrics"]["regression"]["coefficients"]
    assert [c["estimate"] for c in coefficients] == pytest.approx(
        list(reference.params), rel=REL
    )
    assert [c["std_error"] for c in coefficients] == pytest.approx(
        list(reference.bse), rel=REL
    )
    assert [c["p_value"] for c in coefficients] == pytest.approx(
        list(reference.pvalues), rel=REL
    )
    assert result["performance_metrics"]["regression"]["r_squared"] == pytest.approx(
        reference.rsquared, rel=REL
    )

    adf = result["stationarity_tests"]["default_rate"]["transformations"]["level"][
        "tests"
    ]["adf"]
    reference_adf = adf_reference(frame["default_rate"].to_numpy())
    assert adf["statistic"] == pytest.approx(reference_adf.statistic, rel=REL)
    assert adf["p_value"] == pytest.approx(reference_adf.pvalue, rel=REL)
    assert adf["lags"] == reference_adf.lags
    assert set(result["stationarity_tests"]) == {
        "default_rate",
        "fitted_default_rate",
        *parameters["regressors"],
    }

    vif = result["diagnostics"]["model"]["variance_inflation_factors"]
    assert vif["inflation_pct"]["status"] == "red"
    for entry in result["summary_statuses"]:
        assert set(entry) == {"metric", "value", "status"}


def test_macro_quarterly_documented_model_reproduces_file():
    frame = macro_frame()
    options = MacroOptions(regressors=MACRO_MODEL, target_transformation="logit")

    result = strict_json(analyze_macro(frame, options, {}))

    series = result["time_series_data"]
    # The file's model was fitted before default_rate was rounded to 6 decimals.
    assert series["model_fitted_transformed"] == pytest.approx(
        frame["fitted_logit_default_rate"].tolist(), abs=5e-5
    )
    development = frame["sample"] == "development"
    rate = frame["default_rate"].to_numpy()
    logit_rate = np.log(rate / (1 - rate))
    x = sm.add_constant(frame[MACRO_MODEL].to_numpy())
    reference = sm.OLS(logit_rate[development], x[development]).fit()
    coefficients = result["performance_metrics"]["regression"]["coefficients"]
    assert [c["estimate"] for c in coefficients] == pytest.approx(
        list(reference.params), rel=REL
    )

    model = result["performance_metrics"]["model"]
    assert model["in_sample"]["transformed"]["r_squared"] == pytest.approx(
        reference.rsquared, rel=REL
    )
    assert model["in_sample"]["transformed"]["adj_r_squared"] == pytest.approx(
        reference.rsquared_adj, rel=REL
    )
    oot = ~development.to_numpy()
    predicted = reference.predict(x[oot])
    assert model["out_of_time"]["transformed"]["rmse"] == pytest.approx(
        math.sqrt(mean_squared_error(logit_rate[oot], predicted)), rel=REL
    )
    back = 1 / (1 + np.exp(-predicted))
    assert model["out_of_time"]["original"]["mape"] == pytest.approx(
        100 * mean_absolute_percentage_error(rate[oot], back), rel=REL
    )
    frame_interval = reference.get_prediction(x[oot]).summary_frame(alpha=0.05)
    outside = (logit_rate[oot] < frame_interval["obs_ci_lower"]) | (
        logit_rate[oot] > frame_interval["obs_ci_upper"]
    )
    assert model["out_of_time"]["prediction_interval_backtest"]["exceedances"] == int(
        outside.sum()
    )

    supplied = result["performance_metrics"]["supplied_fitted"]
    fitted = frame["fitted_default_rate"].to_numpy()
    assert supplied["out_of_time"]["original"]["mae"] == pytest.approx(
        mean_absolute_error(rate[oot], fitted[oot]), rel=REL
    )
    assert supplied["full_sample"]["original"]["r_squared"] == pytest.approx(
        r2_score(rate, fitted), rel=REL
    )

    logit_level = result["stationarity_tests"]["default_rate"]["transformations"][
        "logit"
    ]["tests"]["kpss"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InterpolationWarning)
        reference_kpss = kpss(
            logit_rate, regression="c", nlags="auto", result_object=True
        )
    assert logit_level["statistic"] == pytest.approx(reference_kpss.statistic, rel=REL)
    assert (
        "logit_diff" in result["stationarity_tests"]["default_rate"]["transformations"]
    )


def test_mmt_original_file_end_to_end():
    frame = mmt_frame()

    result = strict_json(analyze_macro(frame, {"target_transformation": "logit"}, {}))

    parameters = result["parameters"]
    assert parameters["target"] == "Defaultrate"
    assert parameters["fitted"] == "pred_dr"
    assert parameters["regressors"] == MMT_REGRESSORS
    assert "lor" in parameters["excluded_columns"]
    assert parameters["sample_source"].startswith("all rows")

    series = result["time_series_data"]
    assert series["dates"][0] == "2003-12-31"
    assert series["date_labels"][0] == "200312"
    assert len(series["actual"]) == 56
    assert series["residual_acf"]["lags"] == list(range(21))
    assert series["fitted_error_pacf"]["lags"] == list(range(21))

    rate = frame["Defaultrate"].to_numpy()
    predicted = frame["pred_dr"].to_numpy()
    supplied = result["performance_metrics"]["supplied_fitted"]
    assert supplied["full_sample"]["original"]["rmse"] == pytest.approx(
        math.sqrt(mean_squared_error(rate, predicted)), rel=REL
    )
    assert supplied["full_sample"]["original"]["mape"] == pytest.approx(
        100 * mean_absolute_percentage_error(rate, predicted), rel=REL
    )
    slope, intercept = np.polyfit(rate, predicted, 1)
    assert supplied["fitted_on_actual"]["slope"] == pytest.approx(slope, rel=1e-9)
    assert supplied["fitted_on_actual"]["intercept"] == pytest.approx(
        intercept, rel=1e-9
    )
    correlation = np.corrcoef(rate, predicted)[0, 1]
    assert supplied["fitted_on_actual"]["adj_r_squared"] == pytest.approx(
        1 - (1 - correlation**2) * (rate.size - 1) / (rate.size - 2), rel=1e-9
    )

    errors = predicted - rate
    bp = het_breuschpagan(errors, sm.add_constant(rate), robust=True)
    fitted_tests = result["diagnostics"]["supplied_fitted"]["tests"]
    assert fitted_tests["breusch_pagan"]["statistic"] == pytest.approx(bp[0], rel=REL)
    assert fitted_tests["breusch_pagan"]["status"] == "red"
    assert fitted_tests["anderson_darling"]["details"][
        "significance_levels_percent"
    ] == [15, 10, 5, 2.5, 1]

    # The original model is this logit regression: re-estimating it gives pred_dr back.
    assert series["model_fitted"] == pytest.approx(predicted.tolist(), abs=1e-7)


def test_zivot_andrews_break_dates_point_at_rows():
    frame = mmt_frame()

    result = strict_json(analyze_macro(frame, {}, {}))

    rate = frame["Defaultrate"].to_numpy()
    for transformation, values, offset in (
        ("level", rate, 0),
        ("diff", np.diff(rate), 1),
    ):
        maxlag = min(
            int(math.ceil(12 * (values.size / 100) ** 0.25)),
            values.size // 2 - 3,
            int(0.15 * values.size) - 3,
        )
        reference = zivot_andrews(
            values, trim=0.15, maxlag=maxlag, regression="c", autolag="AIC"
        )
        za = result["stationarity_tests"]["Defaultrate"]["transformations"][
            transformation
        ]["tests"]["zivot_andrews"]
        assert za["statistic"] == pytest.approx(reference[0], rel=REL)
        assert (
            za["details"]["break_date"]
            == frame["date"].iloc[reference[4] + offset].date().isoformat()
        )


def test_stationarity_on_development_sample_only():
    frame = macro_frame()

    result = analyze_macro(
        frame, {"regressors": MACRO_MODEL, "stationarity_sample": "development"}, {}
    )

    test = result["stationarity_tests"]["unemployment_rate_pct"]["transformations"][
        "level"
    ]["tests"]["adf"]
    reference = adf_reference(
        frame.loc[frame["sample"] == "development", "unemployment_rate_pct"].to_numpy()
    )
    assert test["statistic"] == pytest.approx(reference.statistic, rel=REL)
    assert test["nobs"] == reference.nobs


def test_hac_option_uses_newey_west_errors():
    frame = macro_frame()
    development = frame[frame["sample"] == "development"]

    result = analyze_macro(
        frame, {"regressors": MACRO_MODEL, "hac": True, "hac_lags": 4}, {}
    )

    reference = sm.OLS(
        development["default_rate"].to_numpy(),
        sm.add_constant(development[MACRO_MODEL].to_numpy()),
    ).fit(
        cov_type="HAC",
        cov_kwds={"maxlags": 4, "kernel": "bartlett", "use_correction": False},
    )
    coefficients = result["performance_metrics"]["regression"]["coefficients"]
    assert [c["std_error"] for c in coefficients] == pytest.approx(
        list(reference.bse), rel=REL
    )
    assert result["parameters"]["cov_type"] == "HAC"
    assert result["parameters"]["hac_lags"] == 4


# Options ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "split, development_end",
    [
        ("2004Q4", "2004-12-31"),
        ("200412", "2004-12-31"),
        ("2004-12", "2004-12-31"),
        ("2004-12-31", "2004-12-31"),
    ],
)
def test_split_by_period(split, development_end):
    frame = macro_frame().drop(columns=["sample"])

    result = analyze_macro(frame, {"regressors": MACRO_MODEL, "split": split}, {})

    assert result["parameters"]["development_end"] == development_end
    assert result["performance_metrics"]["development_rows"] == 180


def test_split_by_fraction():
    frame = macro_frame()

    result = analyze_macro(frame, {"regressors": MACRO_MODEL, "split": 0.5}, {})

    assert result["performance_metrics"]["development_rows"] == 100
    assert result["performance_metrics"]["out_of_time_rows"] == 99


@pytest.mark.parametrize("split", ["soon", "1900Q1", 1.5])
def test_invalid_split(split):
    with pytest.raises(ValidationError) as raised:
        analyze_macro(macro_frame(), {"regressors": MACRO_MODEL, "split": split}, {})

    assert raised.value.code == "invalid_options"


def test_expected_signs_flag_wrong_sign():
    frame = macro_frame()

    result = analyze_macro(
        frame,
        {
            "regressors": MACRO_MODEL,
            "target_transformation": "logit",
            "expected_signs": {"gdp_growth_yoy_pct": "+"},
        },
        {},
    )

    statuses = {
        entry["metric"]: entry["status"] for entry in result["summary_statuses"]
    }
    assert statuses["performance.regression.gdp_growth_yoy_pct.expected_sign"] == "red"


def test_thresholds_change_statuses():
    frame = macro_frame()
    options = {"regressors": MACRO_MODEL, "target_transformation": "logit"}

    relaxed = analyze_macro(frame, options, {})
    strict = analyze_macro(
        frame, options, {"r2_threshold": 0.99, "mape_threshold": 1.0}
    )

    def status(result, metric):
        return next(
            e["status"] for e in result["summary_statuses"] if e["metric"] == metric
        )

    metric = "performance.model.in_sample.transformed.r_squared"
    assert status(relaxed, metric) == "green"
    assert status(strict, metric) == "amber"
    assert status(strict, "performance.model.in_sample.original.mape") == "amber"


def test_fitted_on_transformed_scale():
    frame = macro_frame()

    result = strict_json(
        analyze_macro(
            frame,
            {
                "regressors": MACRO_MODEL,
                "target_transformation": "logit",
                "fitted_scale": "transformed",
            },
            {},
        )
    )

    supplied = result["performance_metrics"]["supplied_fitted"]
    assert result["parameters"]["fitted"] == "fitted_logit_default_rate"
    rate = frame["default_rate"].to_numpy()
    logit_rate = np.log(rate / (1 - rate))
    fitted = frame["fitted_logit_default_rate"].to_numpy()
    assert supplied["full_sample"]["transformed"]["rmse"] == pytest.approx(
        math.sqrt(mean_squared_error(logit_rate, fitted)), rel=REL
    )
    assert supplied["full_sample"]["original"]["mae"] == pytest.approx(
        mean_absolute_error(rate, 1 / (1 + np.exp(-fitted))), rel=REL
    )


def test_only_transformed_fitted_column_is_skipped_with_warning():
    frame = macro_frame().drop(columns=["fitted_default_rate"])

    result = analyze_macro(frame, {"regressors": MACRO_MODEL}, {})

    assert result["parameters"]["fitted"] is None
    assert any("fitted_logit_default_rate" in w for w in result["warnings"])
    assert result["performance_metrics"]["supplied_fitted"] is None
    assert result["time_series_data"]["fitted_error_acf"]["status"] == "not_computable"


def test_no_regressors_still_checks_fitted_values():
    frame = synthetic_frame()[["date", "default_rate", "predicted_dr"]]

    result = strict_json(analyze_macro(frame, {}, {}))

    assert result["performance_metrics"]["regression"]["status"] == "no_regressors"
    assert result["diagnostics"]["model"]["status"] == "no_regressors"
    assert (
        result["performance_metrics"]["supplied_fitted"]["full_sample"]["original"][
            "nobs"
        ]
        == 40
    )
    assert result["time_series_data"]["residual_acf"]["value"] is None


def test_target_defaults_to_first_numeric_column():
    frame = synthetic_frame().rename(columns={"default_rate": "loss_rate"})

    result = analyze_macro(frame, {}, {})

    assert result["parameters"]["target"] == "loss_rate"
    assert result["parameters"]["regressors"] == ["unemployment", "gdp_growth"]


def test_sample_column_option_and_labels():
    frame = synthetic_frame()
    frame["split_flag"] = ["dev"] * 30 + ["oot"] * 10

    result = analyze_macro(frame, {"sample_column": "split_flag"}, {})

    assert result["performance_metrics"]["development_rows"] == 30


def test_unknown_sample_label():
    frame = synthetic_frame()
    frame["sample"] = ["development"] * 39 + ["later"]

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "invalid_sample_label"
    assert raised.value.details["values"] == ["later"]


def test_sample_without_development_rows():
    frame = synthetic_frame()
    frame["sample"] = "out_of_time"

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "invalid_sample_label"


# Broken input ----------------------------------------------------------------


def test_constant_regressor_is_rejected():
    frame = synthetic_frame()
    frame["flat"] = 4.2

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "collinear_regressors"
    assert raised.value.status == 422
    assert "flat is constant" in raised.value.message
    assert raised.value.details["groups"] == [["flat"]]


def test_perfectly_collinear_regressors_are_rejected():
    frame = synthetic_frame()
    frame["combined"] = frame["unemployment"] - 2 * frame["gdp_growth"]

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "collinear_regressors"
    assert sorted(raised.value.details["groups"][0]) == [
        "combined",
        "gdp_growth",
        "unemployment",
    ]


def test_target_transform_among_regressors_is_rejected():
    frame = mmt_frame()

    with pytest.raises(ValidationError) as raised:
        analyze_macro(
            frame,
            {"target_transformation": "logit", "regressors": ["lor", "MORTGAGE_30Y"]},
            {},
        )

    assert raised.value.code == "exact_fit"
    assert raised.value.details["regressors"] == ["lor", "MORTGAGE_30Y"]


def test_constant_target_is_rejected():
    frame = synthetic_frame()
    frame["default_rate"] = 0.02

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "constant_target"


def test_constant_series_without_regression_reports_status():
    frame = synthetic_frame()[["date", "default_rate", "predicted_dr"]]
    frame["default_rate"] = 0.02

    result = strict_json(analyze_macro(frame, {}, {}))

    level = result["stationarity_tests"]["default_rate"]["transformations"]["level"]
    assert level["verdict"] == "not_testable"
    assert level["verdict_status"] == "constant_series"
    assert level["tests"]["kpss"]["p_value"] is None
    assert (
        result["diagnostics"]["supplied_fitted"]["tests"]["breusch_pagan"]["status"]
        == "collinear_regressors"
    )
    assert (
        result["performance_metrics"]["supplied_fitted"]["fitted_on_actual"]["status"]
        == "collinear_regressors"
    )


def test_missing_value_inside_series_names_the_date():
    frame = synthetic_frame()
    frame.loc[12, "unemployment"] = np.nan

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "missing_values"
    assert raised.value.details == {"column": "unemployment", "dates": ["2003-03-31"]}


def test_leading_missing_values_are_trimmed_with_warning():
    frame = synthetic_frame()
    frame.loc[:1, "gdp_growth"] = np.nan

    result = analyze_macro(frame, {}, {})

    assert result["parameters"]["window_start"] == "2000-09-30"
    assert len(result["time_series_data"]["dates"]) == 38
    assert any("Dropped 2 leading" in w for w in result["warnings"])


def test_fitted_values_with_gap_are_rejected():
    frame = synthetic_frame()
    frame.loc[20, "predicted_dr"] = np.nan

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.details["column"] == "predicted_dr"


def test_fitted_values_trailing_gap_used():
    frame = synthetic_frame()
    frame.loc[35:, "predicted_dr"] = np.nan

    result = strict_json(analyze_macro(frame, {}, {}))

    assert (
        result["performance_metrics"]["supplied_fitted"]["full_sample"]["original"][
            "nobs"
        ]
        == 35
    )
    assert any("covers" in w for w in result["warnings"])


def test_fitted_column_empty_in_window():
    frame = synthetic_frame()
    frame["predicted_dr"] = np.nan

    result = analyze_macro(frame, {"fitted": "predicted_dr"}, {})

    assert result["parameters"]["fitted"] is None
    assert result["performance_metrics"]["supplied_fitted"] is None
    assert any("is empty" in w for w in result["warnings"])


def test_date_gap_names_missing_period():
    frame = synthetic_frame().drop(index=[5, 6]).reset_index(drop=True)

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "date_gap"
    assert raised.value.details["missing_periods"] == ["2001-06", "2001-09"]


def test_duplicate_dates_are_rejected():
    frame = synthetic_frame()
    frame.loc[3, "date"] = frame.loc[2, "date"]

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "duplicate_dates"


def test_irregular_dates_are_rejected():
    frame = synthetic_frame(n=6)
    # Quarterly steps with one two-month step, which no quarterly calendar allows.
    frame["date"] = pd.to_datetime(
        [
            "2020-03-31",
            "2020-06-30",
            "2020-09-30",
            "2020-11-30",
            "2021-02-28",
            "2021-05-31",
        ]
    )

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "irregular_dates"


def test_unreadable_date_is_rejected():
    frame = synthetic_frame()
    frame["date"] = frame["date"].dt.date.astype(str)
    frame.loc[4, "date"] = "not a date"

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "invalid_date"
    assert raised.value.details["rows"] == [5]


def test_unsorted_dates_are_sorted():
    frame = synthetic_frame().iloc[::-1].reset_index(drop=True)

    result = analyze_macro(frame, {}, {})

    assert result["time_series_data"]["dates"][0] == "2000-03-31"


def test_five_points_give_statuses_not_numbers():
    frame = synthetic_frame(n=5)[
        ["date", "default_rate", "unemployment", "predicted_dr"]
    ]

    result = strict_json(analyze_macro(frame, {}, {}))

    level = result["stationarity_tests"]["default_rate"]["transformations"]["level"]
    assert level["verdict_status"] == "too_short"
    assert all(test["status"] == "too_short" for test in level["tests"].values())
    assert (
        result["diagnostics"]["model"]["tests"]["breusch_godfrey"]["status"]
        == "too_short"
    )
    # The PACF of 5 residuals allows one lag only (nlags < nobs // 2).
    assert result["time_series_data"]["residual_pacf"]["lags"] == [0, 1]
    assert len(result["performance_metrics"]["regression"]["coefficients"]) == 2


def test_too_few_rows_for_regressors():
    frame = synthetic_frame(n=3)

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "too_few_observations"


def test_single_row_is_rejected():
    with pytest.raises(ValidationError) as raised:
        analyze_macro(synthetic_frame(n=1), {}, {})

    assert raised.value.code == "too_few_observations"


def test_logit_of_zero_default_rate_is_rejected():
    frame = synthetic_frame()
    frame.loc[7, "default_rate"] = 0.0

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {"target_transformation": "logit"}, {})

    assert raised.value.code == "invalid_target_values"
    assert raised.value.details["dates"] == ["2001-12-31"]


def test_log_and_probit_transformations():
    frame = synthetic_frame()

    log_result = analyze_macro(frame, {"transformation": "log"}, {})
    probit_result = analyze_macro(frame, {"target_transformation": "probit"}, {})

    assert (
        "log_diff"
        in log_result["stationarity_tests"]["default_rate"]["transformations"]
    )
    assert (
        "probit"
        in probit_result["stationarity_tests"]["default_rate"]["transformations"]
    )
    frame.loc[3, "default_rate"] = -0.01
    with pytest.raises(ValidationError):
        analyze_macro(frame, {"target_transformation": "log"}, {})


@pytest.mark.parametrize(
    "options, column",
    [
        ({"target": "odr"}, "odr"),
        ({"regressors": ["unemployment", "hpi"]}, "hpi"),
        ({"fitted": "pred"}, "pred"),
        ({"date": "snapshot"}, "snapshot"),
        ({"sample_column": "flag"}, "flag"),
        ({"expected_signs": {"hpi": "+"}}, "hpi"),
    ],
)
def test_unknown_column_lists_available(options, column):
    with pytest.raises(ValidationError) as raised:
        analyze_macro(synthetic_frame(), options, {})

    assert raised.value.code == "unknown_column"
    assert raised.value.details["column"] == column
    assert "available" in raised.value.details


def test_non_numeric_regressor_is_rejected():
    frame = synthetic_frame()
    frame["region"] = "north"

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {"regressors": ["unemployment", "region"]}, {})

    assert raised.value.code == "non_numeric_column"


@pytest.mark.parametrize(
    "options",
    [
        {"regressors": ["unemployment", "unemployment"]},
        {"regressors": ["default_rate"]},
        {"fitted": "default_rate"},
    ],
)
def test_conflicting_roles_are_rejected(options):
    with pytest.raises(ValidationError) as raised:
        analyze_macro(synthetic_frame(), options, {})

    assert raised.value.code == "invalid_options"


@pytest.mark.parametrize(
    "options", [{"adf_autolag": "t-stat"}, {"unknown_option": 1}, {"bg_lags": 0}]
)
def test_invalid_options_are_reported(options):
    with pytest.raises(ValidationError) as raised:
        analyze_macro(synthetic_frame(), options, {})

    assert raised.value.code == "invalid_options"
    assert raised.value.details["errors"]


def test_duplicate_column_names_are_rejected():
    frame = synthetic_frame()
    frame.columns = ["date", "default_rate", "x", "x", "predicted_dr"]

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "duplicate_columns"


def test_no_numeric_target():
    frame = pd.DataFrame({"date": quarter_ends(8), "label": list("abcdefgh")})

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "missing_column"


def test_rows_without_complete_data_are_rejected():
    frame = synthetic_frame(n=6)
    frame["gdp_growth"] = np.nan

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, {}, {})

    assert raised.value.code == "missing_values"


def test_extra_transformations_and_test_options_are_recorded():
    frame = mmt_frame()
    options = {
        "stationarity_transformations": ["level", "diff", "growth"],
        "adf_regression": "ct",
        "kpss_regression": "ct",
        "significance_level": 0.1,
        "ljungbox_lags": 6,
        "acf_lags": 8,
    }

    result = strict_json(analyze_macro(frame, options, {}))

    parameters = result["parameters"]
    assert parameters["stationarity"]["pp_trend"] == "ct"
    assert parameters["stationarity"]["transformations"] == ["level", "diff", "growth"]
    assert parameters["significance_level"] == 0.1
    assert (
        result["diagnostics"]["model"]["tests"]["ljung_box"]["parameters"]["lags"] == 6
    )
    assert result["time_series_data"]["residual_acf"]["lags"] == list(range(9))
    hpi = result["stationarity_tests"]["SPCS_US_HPI"]["transformations"]
    assert set(hpi) == {"level", "diff", "pct_change"}
    assert hpi["level"]["tests"]["adf"]["regression"] == "ct"
