"""The PD page: ``POST /api/analyze/pd`` in the original front end's shape.

The page sends ``{"sortingMethod": "PD_1_YR" | "TTCReportingRating"}``.
With ``PD_1_YR`` the CAP and KS curves rank obligors by PD. With
``TTCReportingRating`` they rank them by rating in master-scale order (true
Moody's order, not alphabetical), from the per-grade default counts of the
same PD analysis. Either way Gini keeps its sign: a model that ranks worse
than random has a negative Gini.

The page's "CAP" chart labels its axes "Proportion of Goods" and
"Proportion of Bads", so ``cap_curve`` carries the ROC points (share of
non-defaulters, share of defaulters), whose area gives Gini = 2 AUC - 1.
"""

from __future__ import annotations

from typing import Any

from mmt.stats import NotComputable
from mmt.stats.discrimination import discrimination_from_grade_table
from mmt.thresholds import DEFAULTS

SORT_BY_PD = "PD_1_YR"
SORT_BY_RATING = "TTCReportingRating"
SORTING_METHODS = (SORT_BY_PD, SORT_BY_RATING)


def pd_payload(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Return the PD analysis request for the page's body, and the sorting method used.

    An unknown or missing ``sortingMethod`` falls back to ``PD_1_YR``, as in
    the original backend.
    """
    payload = {key: value for key, value in body.items() if key != "async"}
    sorting_method = payload.get("sortingMethod")
    if sorting_method not in SORTING_METHODS:
        sorting_method = SORT_BY_PD
    payload["sortingMethod"] = sorting_method
    return payload, sorting_method


def adapt_pd(results: dict[str, Any], *, sorting_method: str, analysis_result_id: int | None) -> dict[str, Any]:
    """Reshape stored PD results into the page's ``PDAnalysisData``.

    Parameters
    ----------
    results : dict
        ``results`` of a stored PD analysis (:func:`mmt.analyses.pd.analyze_pd`).
    sorting_method : {"PD_1_YR", "TTCReportingRating"}
        Ranking of the CAP and KS curves.
    analysis_result_id : int or None
        Id of the stored result.
    """
    body: dict[str, Any] = {
        "success": True,
        "discriminatory_power": discriminatory_power(results, sorting_method),
        "stability": {"psi": population_stability(results.get("stability") or {})},
        "variable_assessment": variable_assessment(results),
        "analysis_result_id": analysis_result_id,
        "warnings": [_warning_text(warning) for warning in results.get("warnings") or []],
    }
    calibration = calibration_section(results)
    if calibration is not None:
        body["calibration"] = calibration
    return body


def _warning_text(warning: Any) -> str:
    if isinstance(warning, dict):
        return str(warning.get("message") or warning.get("code") or warning)
    return str(warning)


# --------------------------------------------------------------------------- discrimination


def discriminatory_power(results: dict[str, Any], sorting_method: str) -> dict[str, Any]:
    """Build ``discriminatory_power`` with Gini, the CAP curve and the KS curve.

    ``gini_coefficient`` and ``ks_statistic`` are mandatory numbers on the
    page. When our figure is undefined (no defaulters, say) they are 0 with
    the reason in ``interpretation`` and the curves are empty.
    """
    discrimination = results.get("discrimination") or {}
    curves, binning, interpretation = None, "PD", None
    if sorting_method == SORT_BY_RATING:
        curves, interpretation = _rating_curves(results)
        binning = "rating" if curves is not None else "PD"
        if curves is None:
            fallback_curves, fallback_reason = _pd_curves(discrimination)
            curves = fallback_curves
            if fallback_reason:
                interpretation = f"{interpretation} {fallback_reason}"
    else:
        curves, interpretation = _pd_curves(discrimination)
    if curves is None:
        return _empty_discrimination(interpretation or "Gini and KS are not computable.")

    roc_x, roc_y, population = curves["roc_x"], curves["roc_y"], curves["population"]
    ks_index = max(range(len(roc_x)), key=lambda index: abs(roc_y[index] - roc_x[index]))
    gini_text = (
        f"Gini = 2 AUC - 1 with obligors ranked by {'rating (master-scale order)' if binning == 'rating' else 'PD'}; "
        "negative when the ranking is worse than random."
    )
    return {
        "binning": binning,
        "gini": {
            "gini_coefficient": curves["gini"],
            "auc": curves["auc"],
            "cap_curve": {
                "x": roc_x,
                "y": roc_y,
                "random_model_x": [0.0, 1.0],
                "random_model_y": [0.0, 1.0],
            },
            "interpretation": f"{interpretation} {gini_text}" if interpretation else gini_text,
        },
        "ks_test": {
            "ks_statistic": curves["ks"],
            "ks_curve": {
                "x": population,
                "good_cdf": roc_x,
                "bad_cdf": roc_y,
                "ks_point": {"x": population[ks_index], "y_good": roc_x[ks_index], "y_bad": roc_y[ks_index]},
            },
        },
    }


def _pd_curves(discrimination: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    gini = (discrimination.get("gini") or {}).get("value")
    roc = discrimination.get("roc_curve")
    cap = discrimination.get("cap_curve")
    if gini is None or not roc or not cap:
        reason = (discrimination.get("gini") or {}).get("reason") or "no discrimination figures"
        return None, f"Gini and KS are not computable: {reason}."
    return {
        "gini": gini,
        "auc": (discrimination.get("auc") or {}).get("value"),
        "ks": (discrimination.get("ks") or {}).get("value"),
        "roc_x": list(roc["x"]),
        "roc_y": list(roc["y"]),
        "population": list(cap["x"]),
    }, None


def _rating_curves(results: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    grades = _calibration_grades(results)
    if not grades:
        return None, "The dataset has no rating column, so the curves rank obligors by PD."
    defaults = [float(grade["defaults"]) for grade in grades]
    non_defaults = [float(grade["obligors"]) - float(grade["defaults"]) for grade in grades]
    try:
        result = discrimination_from_grade_table(defaults, non_defaults, best_first=True,
                                                 max_curve_points=len(grades) + 1)
    except NotComputable as error:
        return None, f"Gini and KS by rating are not computable: {error.reason}."
    return {
        "gini": result.gini,
        "auc": result.auc,
        "ks": result.ks_statistic,
        "roc_x": list(result.roc_curve.x),
        "roc_y": list(result.roc_curve.y),
        "population": list(result.cap_curve.x),
    }, "Rating order: " + ", ".join(str(grade["grade"]) for grade in grades) + "."


def _empty_discrimination(reason: str) -> dict[str, Any]:
    return {
        "binning": None,
        "gini": {
            "gini_coefficient": 0.0,
            "auc": None,
            "cap_curve": {"x": [], "y": [], "random_model_x": [0.0, 1.0], "random_model_y": [0.0, 1.0]},
            "interpretation": f"{reason} The page shows 0 because it needs a number.",
        },
        "ks_test": {
            "ks_statistic": 0.0,
            "ks_curve": {"x": [], "good_cdf": [], "bad_cdf": [], "ks_point": {"x": 0.0, "y_good": 0.0, "y_bad": 0.0}},
            "interpretation": f"{reason} The page shows 0 because it needs a number.",
        },
    }


def _calibration_grades(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the per-grade rows of the calibration, in master-scale order, when graded by rating."""
    calibration = results.get("calibration") or {}
    if (calibration.get("grouping") or {}).get("by") != "grade":
        return []
    return [grade for grade in calibration.get("grades") or [] if grade.get("obligors")]


# --------------------------------------------------------------------------- stability


def population_stability(stability: dict[str, Any]) -> dict[str, Any] | None:
    """Build ``stability.psi``: by rating when the dataset has ratings, else by PD bucket.

    ``None`` when there is no reference period (no baseline upload) or the
    PSI is undefined; the page then shows "No Stability Index (PSI) available".
    """
    source = stability.get("grade_psi") or stability.get("psi")
    if not isinstance(source, dict) or source.get("value") is None or not source.get("bins"):
        return None
    bin_details = {}
    for entry in source["bins"]:
        bin_details[str(entry["label"])] = {
            "baseline_prop": entry["reference_proportion"],
            "current_prop": entry["current_proportion"],
            "psi": entry["contribution"],
            "baseline_count": entry["reference_count"],
            "current_count": entry["current_count"],
        }
    return {
        "psi_total": source["value"],
        "bin_details": bin_details,
        "binning": "rating" if stability.get("grade_psi") else "PD quantiles of the reference period",
        "band": source.get("band"),
    }


# --------------------------------------------------------------------------- calibration


def calibration_section(results: dict[str, Any]) -> dict[str, Any] | None:
    """Build ``calibration`` with Hosmer-Lemeshow and the binomial test per rating.

    ``None`` (the page then shows "No Calibration Data Available") when the
    calibration is undefined, for example for a score without PDs.
    """
    calibration = results.get("calibration") or {}
    portfolio = calibration.get("portfolio")
    if not isinstance(portfolio, dict):
        return None
    thresholds = results.get("thresholds") or {}
    significance = float(thresholds.get("pvalue_amber", DEFAULTS["pvalue_amber"]))
    rows = []
    skipped = []
    for grade in calibration.get("grades") or []:
        pvalue = grade.get("binomial_pvalue")
        if pvalue is None or not grade.get("obligors"):
            skipped.append(str(grade.get("grade")))
            continue
        rows.append({
            "rating": str(grade["grade"]),
            "total_samples": grade["obligors"],
            "observed_defaults": grade["defaults"],
            "expected_default_prob": grade["mean_pd"],
            "p_value": pvalue,
            "test_result": "PASS" if pvalue >= significance else "FAIL",
        })
    section = {
        "hosmer_lemeshow": _hosmer_lemeshow(portfolio.get("hosmer_lemeshow"), significance),
        "binomial_test_by_rating": rows,
        "binomial_test_note": (
            f"One-sided binomial test that the default rate does not exceed the mean PD; PASS when p >= {significance}."
            + (f" Left out (no p-value): {', '.join(skipped)}." if skipped else "")
        ),
    }
    return section


def _hosmer_lemeshow(test: Any, significance: float) -> dict[str, Any]:
    if not isinstance(test, dict) or test.get("pvalue") is None:
        reason = test.get("message") or test.get("reason") if isinstance(test, dict) else None
        return {
            "statistic": None,
            "chi_square": None,
            "p_value": None,
            "degrees_of_freedom": None,
            "interpretation": f"Hosmer-Lemeshow is not computable: {reason or 'no graded calibration'}.",
        }
    pvalue = test["pvalue"]
    verdict = "no evidence of miscalibration" if pvalue >= significance else "evidence of miscalibration"
    return {
        "statistic": test.get("statistic"),
        "chi_square": test.get("statistic"),
        "p_value": pvalue,
        "degrees_of_freedom": test.get("dof"),
        "interpretation": f"Hosmer-Lemeshow over grades: {verdict} at {significance} (p = {pvalue:.4g}).",
    }


# --------------------------------------------------------------------------- variables


def variable_assessment(results: dict[str, Any]) -> dict[str, Any]:
    """Build ``variable_assessment``: IV and WOE per feature, with its CSI when there is a reference."""
    csi = (results.get("stability") or {}).get("csi") or {}
    numeric: dict[str, Any] = {}
    categorical: dict[str, Any] = {}
    seen = set()
    for entry in results.get("variable_importance") or []:
        name = entry["feature"]
        seen.add(name)
        target = numeric if entry.get("kind") == "numeric" else categorical
        target[name] = _variable(entry, csi.get(name))
    for name, entry in csi.items():
        if name in seen:
            continue
        kind = ((entry or {}).get("binning") or {}).get("kind")
        target = numeric if kind == "numeric" else categorical
        target[name] = _variable(None, entry)
    return {"numeric_variables": numeric, "categorical_variables": categorical}


def _variable(importance: dict[str, Any] | None, csi: dict[str, Any] | None) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if importance is not None and importance.get("iv") is not None:
        info["iv"] = _information_value(importance)
        info["strength"] = importance.get("strength")
    elif importance is not None:
        info["interpretation"] = f"IV is not computable: {importance.get('reason')}."
    if isinstance(csi, dict) and csi.get("value") is not None:
        info["csi_total"] = csi["value"]
        info["csi_bin_details"] = {
            str(index): {
                "bin_range": str(entry["label"]),
                "baseline_prop": entry["reference_proportion"],
                "current_prop": entry["current_proportion"],
                "csi": entry["contribution"],
            }
            for index, entry in enumerate(csi.get("bins") or [])
        }
    return info


def _information_value(entry: dict[str, Any]) -> dict[str, Any]:
    """Build the IV entry with its bins, leaving out empty bins (a "Missing" bin with no rows)."""
    numeric = entry.get("kind") == "numeric"
    bins = []
    plot = []
    for position, source in enumerate(entry.get("bins") or []):
        if not source.get("count"):
            continue
        number = len(bins) + 1
        label = str(source["label"])
        bins.append({
            "bin_number": number,
            "bin_range": label,
            "bin_label": label,
            "total_count": source["count"],
            "default_count": source["events"],
            "non_default_count": source["non_events"],
            "default_rate": source.get("event_rate"),
            "woe": source["woe"],
            "iv_bin": source["iv_bin"],
        })
        plot.append({
            "x": number if numeric else label,
            "y": source["woe"],
            "label": label,
            "bin_number": number,
            "woe": source["woe"],
            "bin_range": label,
        })
    return {
        "iv_total": entry["iv"],
        "woe_plot_data": plot,
        "details": {
            "bins": bins,
            "woe": [item["woe"] for item in bins],
            "bin_details": {"iv_per_bin": [item["iv_bin"] for item in bins]},
            "woe_convention": entry.get("woe_convention"),
            "x_axis": "bin number" if numeric else "category",
        },
    }
