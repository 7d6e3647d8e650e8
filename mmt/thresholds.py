"""Monitoring thresholds: their keys, defaults, ranges and the traffic lights.

No supervisory document sets traffic-light thresholds (the ECB instructions
for reporting IRB validation results ask for statistics and p-values only), so
every default here is industry convention and every value can be changed by
the user through ``/api/thresholds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["green", "amber", "red"]


@dataclass(frozen=True, slots=True)
class ThresholdSpec:
    """One configurable threshold: key, default, allowed range and meaning."""

    key: str
    default: float
    minimum: float
    maximum: float
    description: str
    group: str


SPECS: tuple[ThresholdSpec, ...] = (
    # PD discrimination: amber below the first value, red below the second.
    ThresholdSpec("auc_threshold", 0.70, 0.0, 1.0, "AUC below this is amber", "pd"),
    ThresholdSpec("auc_red_threshold", 0.60, 0.0, 1.0, "AUC below this is red", "pd"),
    ThresholdSpec("gini_threshold", 0.40, -1.0, 1.0, "Gini below this is amber", "pd"),
    ThresholdSpec("gini_red_threshold", 0.20, -1.0, 1.0, "Gini below this is red", "pd"),
    ThresholdSpec("ks_threshold", 0.30, 0.0, 1.0, "KS statistic below this is amber", "pd"),
    ThresholdSpec("ks_red_threshold", 0.20, 0.0, 1.0, "KS statistic below this is red", "pd"),
    # Stability: amber above the first value, red above the second.
    ThresholdSpec("psi_threshold", 0.10, 0.0, 10.0, "PSI above this is amber", "stability"),
    ThresholdSpec("psi_red_threshold", 0.25, 0.0, 10.0, "PSI above this is red", "stability"),
    ThresholdSpec("csi_threshold", 0.10, 0.0, 10.0, "CSI above this is amber", "stability"),
    ThresholdSpec("csi_red_threshold", 0.25, 0.0, 10.0, "CSI above this is red", "stability"),
    # Hypothesis tests where a small p-value is a finding (calibration, AUC drop, diagnostics).
    ThresholdSpec("pvalue_amber", 0.05, 0.0, 1.0, "p-value below this is amber", "tests"),
    ThresholdSpec("pvalue_red", 0.01, 0.0, 1.0, "p-value below this is red", "tests"),
    ThresholdSpec("herfindahl_threshold", 0.20, 0.0, 1.0, "normalised Herfindahl index above this is amber", "pd"),
    ThresholdSpec("min_grade_obligors", 30, 0, 1e9, "grades with fewer obligors are flagged as small", "pd"),
    # LGD and EAD/CCF back-tests.
    ThresholdSpec("lgd_mape_threshold", 20.0, 0.0, 1e6, "LGD MAPE (percent) above this is amber", "lgd"),
    ThresholdSpec("lgd_r2_threshold", 0.70, -1e6, 1.0, "LGD R-squared below this is amber", "lgd"),
    ThresholdSpec("lgd_gauc_threshold", 0.60, 0.0, 1.0, "LGD generalised AUC below this is amber", "lgd"),
    ThresholdSpec("lgd_gauc_red_threshold", 0.50, 0.0, 1.0, "LGD generalised AUC below this is red", "lgd"),
    ThresholdSpec("ead_mape_threshold", 15.0, 0.0, 1e6, "EAD MAPE (percent) above this is amber", "ead"),
    ThresholdSpec("ead_r2_threshold", 0.80, -1e6, 1.0, "EAD R-squared below this is amber", "ead"),
    ThresholdSpec("ccf_gauc_threshold", 0.60, 0.0, 1.0, "CCF generalised AUC below this is amber", "ead"),
    ThresholdSpec("ccf_gauc_red_threshold", 0.50, 0.0, 1.0, "CCF generalised AUC below this is red", "ead"),
    ThresholdSpec("ead_ratio_threshold", 1.00, 0.0, 100.0, "realised over predicted EAD above this is amber", "ead"),
    ThresholdSpec("ead_ratio_red_threshold", 1.10, 0.0, 100.0, "realised over predicted EAD above this is red", "ead"),
    # Macro (satellite) models.
    ThresholdSpec("r2_threshold", 0.70, -1e6, 1.0, "macro model R-squared below this is amber", "macro"),
    ThresholdSpec("mape_threshold", 20.0, 0.0, 1e6, "macro model MAPE (percent) above this is amber", "macro"),
    ThresholdSpec("durbin_watson_lower", 1.5, 0.0, 4.0, "Durbin-Watson below this is amber", "macro"),
    ThresholdSpec("durbin_watson_upper", 2.5, 0.0, 4.0, "Durbin-Watson above this is amber", "macro"),
    ThresholdSpec("vif_threshold", 5.0, 1.0, 1e6, "VIF above this is amber", "macro"),
    ThresholdSpec("vif_red_threshold", 10.0, 1.0, 1e6, "VIF above this is red", "macro"),
    ThresholdSpec("significance_level", 0.05, 0.0001, 0.5, "significance level of unit-root and diagnostic tests", "macro"),
    # Rating transitions.
    ThresholdSpec("mwb_threshold", 1.0, 0.0, 100.0, "matrix weighted bandwidth above this is amber", "transitions"),
)

SPECS_BY_KEY: dict[str, ThresholdSpec] = {spec.key: spec for spec in SPECS}
DEFAULTS: dict[str, float] = {spec.key: spec.default for spec in SPECS}


def status_higher_is_better(value: float | None, amber: float, red: float) -> Status | None:
    """Return the traffic light of a figure where higher is better (AUC, Gini).

    ``None`` when the figure is not computable.
    """
    if value is None:
        return None
    if value < red:
        return "red"
    if value < amber:
        return "amber"
    return "green"


def status_lower_is_better(value: float | None, amber: float, red: float) -> Status | None:
    """Return the traffic light of a figure where lower is better (PSI, MAPE, VIF).

    ``None`` when the figure is not computable.
    """
    if value is None:
        return None
    if value > red:
        return "red"
    if value > amber:
        return "amber"
    return "green"


def status_pvalue(pvalue: float | None, thresholds: dict[str, float]) -> Status | None:
    """Return the traffic light of a test whose rejection is a finding.

    Green when the null hypothesis (for example "PD not underestimated") is
    not rejected at ``pvalue_amber``, red when it is rejected at ``pvalue_red``.
    """
    return status_higher_is_better(pvalue, thresholds["pvalue_amber"], thresholds["pvalue_red"])
