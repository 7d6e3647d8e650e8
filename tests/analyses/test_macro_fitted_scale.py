"""Fitted columns and chosen regressors on another scale than the target get warnings, with R² worked out here."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from mmt.analyses.macro import analyze_macro
from tests.analyses.test_macro import mmt_frame, strict_json, synthetic_frame


def _r_squared(actual: np.ndarray, predicted: np.ndarray) -> float:
    return 1.0 - np.sum((actual - predicted) ** 2) / np.sum((actual - actual.mean()) ** 2)


def test_default_rate_fitted_against_a_log_odds_target():
    frame = mmt_frame()
    result = strict_json(analyze_macro(frame, {"target": "lor"}, {}))

    lor, fitted = frame["lor"].to_numpy(float), frame["pred_dr"].to_numpy(float)
    direct, matched = _r_squared(lor, fitted), _r_squared(lor, logit(fitted))
    assert direct < 0
    assert matched >= 0.5
    warnings = [text for text in result["warnings"] if "different scales" in text]
    assert len(warnings) == 1
    assert f"R² {direct:.3g}" in warnings[0]
    assert f"its logit matches the target (R² {matched:.3g})" in warnings[0]
    supplied = result["performance_metrics"]["supplied_fitted"]["full_sample"]["original"]
    assert np.isclose(supplied["r_squared"], direct, rtol=1e-9)


def test_fitted_log_odds_against_a_default_rate_target():
    frame = synthetic_frame()
    frame["predicted_dr"] = logit(frame["predicted_dr"])
    result = strict_json(analyze_macro(frame, {"fitted": "predicted_dr"}, {}))
    rate, fitted = frame["default_rate"].to_numpy(float), frame["predicted_dr"].to_numpy(float)
    assert _r_squared(rate, expit(fitted)) >= 0.5
    assert any("its inverse logit matches the target" in text for text in result["warnings"])


def test_no_warning_on_the_same_scale():
    for frame, options in ((mmt_frame(), {}), (synthetic_frame(), {"fitted": "predicted_dr"})):
        result = strict_json(analyze_macro(frame, options, {}))
        assert not any("different scales" in text for text in result["warnings"])


def test_regressor_named_as_target_warns():
    frame = mmt_frame()
    assert np.allclose(frame["lor"], logit(frame["Defaultrate"]), rtol=1e-6)
    other = "Unemploymentrateatpitlag2quarters"
    result = strict_json(analyze_macro(frame, {"regressors": ["lor", other]}, {}))
    warnings = [text for text in result["warnings"] if text.startswith("Regressor 'lor' is the target")]
    assert len(warnings) == 1
    assert "(equals the logit of the target 'Defaultrate')" in warnings[0]
    assert result["parameters"]["regressors"] == ["lor", other]
    clean = strict_json(analyze_macro(frame, {"regressors": [other]}, {}))
    assert not any(text.startswith("Regressor") for text in clean["warnings"])


def test_regressor_equal_to_target_logit_warns():
    frame = synthetic_frame()
    frame["shadow"] = logit(frame["default_rate"])
    result = strict_json(analyze_macro(frame, {"regressors": ["shadow", "gdp_growth"]}, {}))
    assert any("Regressor 'shadow' is the target on another scale (equals the logit of the target"
               in text for text in result["warnings"])
