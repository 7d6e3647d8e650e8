"""A macro target on the transformed scale keeps its untransformed column out of the regression.

With ``target="lor"`` on the original MMT file, ``Defaultrate`` is the
inverse logit of the target. As a regressor it would explain the target
almost exactly, so it is excluded like ``lor`` is when ``Defaultrate`` is the target.
The regression on the remaining columns is recomputed here with NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logit, ndtri

from mmt.analyses.macro import analyze_macro
from mmt.errors import ValidationError
from tests.analyses.test_macro import mmt_frame, strict_json, synthetic_frame

REGRESSORS = [
    "Unemploymentrateatpitlag2quarters",
    "YoYpercentagechangeinSPCSHPIatpitlag1quarter",
    "Unemploymentrateatpitlag1quarter",
    "SPCS_US_HPI",
    "MORTGAGE_30Y",
    "YoYpercentagechangeinSPCSHPIatpitlag2quarters",
]


def test_lor_target_excludes_defaultrate():
    result = strict_json(analyze_macro(mmt_frame(), {"target": "lor"}, {}))

    parameters = result["parameters"]
    assert parameters["target"] == "lor"
    assert parameters["regressors"] == REGRESSORS
    assert parameters["excluded_columns"]["Defaultrate"] == "the target 'lor' equals its logit"
    assert parameters["target_transforms"] == ["Defaultrate"]
    assert result["stationarity_tests"]["Defaultrate"]["role"] == "target_transform"
    assert result["stationarity_tests"]["lor"]["role"] == "target"


def test_lor_target_regression_matches_least_squares():
    frame = mmt_frame()

    result = strict_json(analyze_macro(frame, {"target": "lor"}, {}))

    design = np.column_stack([np.ones(len(frame))] + [frame[name].to_numpy(dtype=float) for name in REGRESSORS])
    target = frame["lor"].to_numpy(dtype=float)
    coefficients, *_ = np.linalg.lstsq(design, target, rcond=None)
    residuals = target - design @ coefficients
    r_squared = 1 - residuals @ residuals / np.sum((target - target.mean()) ** 2)
    regression = result["performance_metrics"]["regression"]
    assert regression["regressor_names"] == REGRESSORS
    assert regression["r_squared"] == pytest.approx(r_squared, rel=1e-9)
    estimates = [entry["estimate"] for entry in regression["coefficients"]]
    assert estimates == pytest.approx(list(coefficients), rel=1e-7)


def test_default_target_unchanged():
    result = strict_json(analyze_macro(mmt_frame(), {}, {}))

    parameters = result["parameters"]
    assert parameters["target"] == "Defaultrate"
    assert parameters["regressors"] == REGRESSORS
    assert parameters["target_transforms"] == ["lor"]


@pytest.mark.parametrize(("name", "transform"), [("log", np.log), ("logit", logit), ("probit", ndtri)])
def test_transformed_target_by_values(name, transform):
    frame = synthetic_frame().drop(columns=["predicted_dr"])
    # Neutral names, so that only the values show which column is the target on its original scale.
    rate = frame.pop("default_rate").to_numpy()
    frame["target_scale"] = transform(rate)
    frame["rate_column"] = rate

    result = strict_json(analyze_macro(frame, {"target": "target_scale"}, {}))

    parameters = result["parameters"]
    assert parameters["regressors"] == ["unemployment", "gdp_growth"]
    assert parameters["excluded_columns"]["rate_column"] == f"the target 'target_scale' equals its {name}"
    assert parameters["target_transforms"] == ["rate_column"]


@pytest.mark.parametrize(("name", "transform"), [("log", np.log), ("logit", logit), ("probit", ndtri)])
def test_rescaled_transform_regressor_warned(name, transform):
    frame = synthetic_frame().drop(columns=["predicted_dr"])
    frame["scaled_score"] = 2.5 * transform(frame["default_rate"].to_numpy()) - 1.0
    options = {"target": "default_rate", "regressors": ["unemployment", "scaled_score"]}

    result = strict_json(analyze_macro(frame, options, {}))

    warnings = [warning for warning in result["warnings"] if "'scaled_score'" in warning]
    assert len(warnings) == 1
    assert f"is a linear function of the {name} of the target 'default_rate'" in warnings[0]


def test_rescaled_target_excluded_by_default():
    frame = synthetic_frame().drop(columns=["predicted_dr"])
    frame["rate_percent"] = 100 * frame["default_rate"]

    result = strict_json(analyze_macro(frame, {"target": "default_rate"}, {}))

    parameters = result["parameters"]
    assert parameters["regressors"] == ["unemployment", "gdp_growth"]
    assert parameters["excluded_columns"]["rate_percent"] == "is a linear function of the target 'default_rate'"


@pytest.mark.parametrize(
    ("transformation", "transform", "scale", "relation"),
    [
        ("logit", logit, 1.0, "equals"),
        ("logit", logit, 3.0, "is a linear function of"),
        ("probit", ndtri, 1.0, "equals"),
        ("log", np.log, -0.5, "is a linear function of"),
        ("none", lambda rate: rate, 100.0, "is a linear function of"),
    ],
)
def test_exact_fit_names_target_regressor(transformation, transform, scale, relation):
    frame = synthetic_frame().drop(columns=["predicted_dr"])
    frame["score"] = scale * transform(frame["default_rate"].to_numpy())
    options = {"target": "default_rate", "regressors": ["score", "unemployment"],
               "target_transformation": transformation}

    with pytest.raises(ValidationError) as raised:
        analyze_macro(frame, options, {})

    error = raised.value
    assert error.code == "exact_fit"
    assert f"regressor 'score' {relation} " in error.message
    scale_text = "the target" if transformation == "none" else f"the {transformation} of the target"
    assert f"{relation} {scale_text} 'default_rate'" in error.message
    assert "Leave 'score' out of 'regressors'" in error.message
    assert list(error.details["target_on_another_scale"]) == ["score"]
