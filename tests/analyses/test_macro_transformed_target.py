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
