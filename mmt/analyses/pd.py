"""PD monitoring: discrimination, calibration, stability and variable importance.

The analysis reads the current and the reference period through the
aggregation engine (one group-by per figure) and hands the counts and sums
to :mod:`mmt.stats`. Every figure with a threshold gets a traffic light, and
every undefined figure is ``null`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mmt.analyses.common import grouped_warnings, metric_entry, not_computable_entry
from mmt.analyses.pd_features import (
    feature_quantile_edges,
    feature_stability_and_importance,
    finite_range_groupings,
)
from mmt.analyses.pd_scale import pd_scale_warning
from mmt.engine.base import Engine, Grouping, Selection
from mmt.engine.prefetch import PrefetchingEngine
from mmt.engine.ranks import MERGE_ABOVE, merge_pure_runs
from mmt.errors import ValidationError
from mmt.jobs.progress import report_progress
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable
from mmt.stats.binning import bin_labels
from mmt.stats.calibration import calculate_calibration
from mmt.stats.master_scale import normalise_grade, order_grades, resolve_grade_order
from mmt.stats.discrimination import (
    calculate_discrimination,
    compare_auc_unpaired,
    test_auc_against_reference,
)
from mmt.stats.stability import calculate_psi
from mmt.thresholds import status_higher_is_better, status_lower_is_better, status_pvalue

FLAG = "default_flag"
# Fewer defaults than this make AUC, Gini and KS too uncertain to read a traffic light
# from: Basel Committee Working Paper 14, "Studies on the Validation of Internal Rating
# Systems" (2005), tabulates a 95% AUC confidence interval about 0.54 wide at 10 defaults.
MIN_DEFAULTS_FOR_DISCRIMINATION = 10


@dataclass
class PDInputs:
    """Inputs of the PD analysis: selections, columns and options."""

    engine: Engine
    current: Selection
    reference: Selection | None
    score_column: str
    higher_is_riskier: bool
    grade_column: str | None
    snapshot_column: str | None
    features: list[str]
    feature_kinds: dict[str, str]
    thresholds: dict[str, float]
    grade_order: list[str] | None = None
    n_bins: int = 10
    max_curve_points: int = 200
    include_variable_importance: bool = True
    reference_description: dict[str, Any] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # The segment and snapshot filters the user asked for, as text (for messages).
    requested_filters: dict[str, list[str]] = field(default_factory=dict)
    # Headers of the uploaded file for the analysis columns, e.g. {"pd": "PD_1_YR"} (for messages).
    source_columns: dict[str, str] = field(default_factory=dict)
    # Discrimination results per score-count table, so that a period with one
    # snapshot and that snapshot's trend entry are computed once.
    discrimination_cache: dict[int, Any] = field(default_factory=dict)
    # Quantile cut points of the finite values of each (selection, numeric feature).
    feature_edges: dict[tuple[Selection, str], np.ndarray] = field(default_factory=dict)


def _warning(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details}


def analyze_pd(inputs: PDInputs) -> dict[str, Any]:
    """Run the PD battery and return the JSON-ready ``results``.

    Parameters
    ----------
    inputs : PDInputs
        Selections of the current and reference periods, column names and
        options.

    Returns
    -------
    dict
        ``discrimination``, ``calibration``, ``stability``,
        ``variable_importance``, ``summary_statuses``, ``warnings``,
        ``parameters`` and ``counts``.
    """
    inputs = replace(inputs, engine=PrefetchingEngine(inputs.engine), discrimination_cache={}, feature_edges={})
    with inputs.engine.scope(FLAG):
        _prefetch(inputs)
        warnings = list(inputs.warnings)
        statuses: list[dict[str, Any]] = []
        counts = _counts(inputs, warnings)
        warnings.extend(_grade_order_warnings(inputs))
        if counts.get("reference_rows_used") == 0:
            warnings.append(_empty_reference_warning(inputs, counts))

        discrimination = _discrimination(inputs, statuses, warnings)
        report_progress(80, "discrimination")
        calibration = _calibration(inputs, statuses, warnings)
        stability = _stability(inputs, statuses, warnings)
        report_progress(90, "calibration and stability")
        features = feature_stability_and_importance(inputs, statuses, warnings)
        report_progress(98, "features")
    if features["stability"]:
        stability["csi"] = features["stability"]

    return {
        "discrimination": discrimination,
        "calibration": calibration,
        "stability": stability,
        "variable_importance": features["importance"],
        "summary_statuses": statuses,
        "warnings": warnings,
        "counts": counts,
        "reference": inputs.reference_description,
    }


def _counts(inputs: PDInputs, warnings: list[dict[str, Any]]) -> dict[str, Any]:
    engine = inputs.engine
    current_all = engine.count(_without_not_null(inputs.current))
    current_used = engine.count(inputs.current)
    counts: dict[str, Any] = {"current_rows": current_all, "current_rows_used": current_used}
    if current_all > current_used:
        warnings.append(_warning(
            "rows_excluded",
            f"{current_all - current_used} of {current_all} current rows have a missing "
            f"{inputs.score_column} or default flag and were excluded from the analysis.",
            excluded=current_all - current_used, period="current",
        ))
    if inputs.reference is not None:
        reference_all = engine.count(_without_not_null(inputs.reference))
        reference_used = engine.count(inputs.reference)
        counts.update(reference_rows=reference_all, reference_rows_used=reference_used)
        if reference_all > reference_used:
            warnings.append(_warning(
                "rows_excluded",
                f"{reference_all - reference_used} of {reference_all} reference rows have a missing "
                f"{inputs.score_column} or default flag and were excluded.",
                excluded=reference_all - reference_used, period="reference",
            ))
    if current_used == 0:
        dropped = current_all - current_used
        if current_all:
            message = (f"No rows left to analyse: {dropped} of {current_all} current rows have a missing "
                       f"{inputs.score_column} or default flag.")
        else:
            message = "No rows left to analyse: the current period has no rows."
        if inputs.requested_filters:
            shown = "; ".join(f"{column}={', '.join(values)}" for column, values in inputs.requested_filters.items())
            message += f" The rows are those left by the filters {shown}: check these options."
        raise ValidationError(
            message,
            code="empty_selection",
            details=to_jsonable({"rows": current_all, "dropped_missing_values": dropped,
                                 "filters": inputs.requested_filters,
                                 "selection": {column: list(values) for column, values in inputs.current.filters}}),
        )
    return counts


def _empty_reference_warning(inputs: PDInputs, counts: dict[str, Any]) -> dict[str, Any]:
    rows = counts.get("reference_rows", 0)
    why = (f"all {rows} of its rows have a missing {inputs.score_column} or default flag" if rows
           else "no row matches its dataset, snapshot dates and segment")
    return _warning(
        "empty_reference",
        f"The reference period is empty ({why}), so PSI, grade PSI, CSI and the reference AUC are not computable; "
        "the other figures are. Choose another reference with reference_dataset_id or reference_snapshot_date.",
        **to_jsonable({"reference_rows": rows, "selection": {column: list(values) for column, values in inputs.reference.filters}}),
    )


def _without_not_null(selection: Selection) -> Selection:
    return Selection(selection.path, selection.filters, ())


def _prefetch(inputs: PDInputs) -> None:
    """Announce every aggregate the battery reads, so that each period takes a few passes.

    Per period: the row counts and the quantiles of the score and the
    numeric features, then all bin and level counts (GROUPING SETS), then the
    score counts per snapshot; the grade sums are one more pass on the
    current period. The DuckDB engine serves the first, the numeric bins and
    the score counts from one read of the sorted columns. The sections below
    then read the figures from memory, through the usual engine calls.
    """
    engine = inputs.engine
    probabilities = [index / inputs.n_bins for index in range(1, inputs.n_bins)]
    numeric = [name for name in inputs.features if inputs.feature_kinds.get(name, "numeric") == "numeric"]
    categorical = [name for name in inputs.features if inputs.feature_kinds.get(name, "numeric") != "numeric"]
    snapshot = inputs.snapshot_column
    # The reference period goes first and whole, so that an engine holding sorted columns
    # needs one period's columns in memory at a time.
    reference_edges: dict[str, tuple[float, ...]] = {}
    if inputs.reference is not None:
        reference_columns = list(dict.fromkeys([inputs.score_column, *numeric]))
        engine.prefetch_quantiles(inputs.reference, reference_columns, probabilities)
        engine.prefetch_bins(inputs.reference, finite_range_groupings(numeric), FLAG)
        reference_edges = {column: tuple(edges.tolist())
                           for column, edges in feature_quantile_edges(inputs, inputs.reference, numeric).items()}
        psi_edges = _edges(engine.quantiles(inputs.reference, inputs.score_column, probabilities))
        reference_groupings = [Grouping(f"csi:{name}", name, reference_edges[name]) for name in numeric]
        reference_groupings += [Grouping(f"levels:{name}", name) for name in categorical]
        reference_groupings.append(Grouping("psi", inputs.score_column, psi_edges))
        if inputs.grade_column is not None:
            reference_groupings.append(Grouping("grades", inputs.grade_column))
        engine.prefetch_bins(inputs.reference, reference_groupings, FLAG)
        report_progress(25, "bin counts of the reference period")
        engine.prefetch_score_counts(inputs.reference, inputs.score_column, FLAG, snapshot,
                                     _snapshot_selection(inputs.reference, snapshot))
    report_progress(35, "score counts of the reference period")

    # The score's quantiles in the current period serve the PD buckets without grades; the engine
    # also reads the score column with the features here, once, for the score and PSI counts.
    current_columns = list(numeric) if inputs.include_variable_importance else []
    current_columns.append(inputs.score_column)
    engine.prefetch_quantiles(inputs.current, list(dict.fromkeys(current_columns)), probabilities)
    report_progress(50, "quantiles of the current period")
    current_groupings: list[Grouping] = []
    if inputs.include_variable_importance:
        engine.prefetch_bins(inputs.current, finite_range_groupings(numeric), FLAG)
        current_edges = feature_quantile_edges(inputs, inputs.current, numeric)
        current_groupings += [Grouping(f"iv:{name}", name, tuple(current_edges[name].tolist())) for name in numeric]
    current_groupings += [Grouping(f"levels:{name}", name) for name in categorical]
    if inputs.reference is not None:
        current_groupings += [Grouping(f"csi:{name}", name, reference_edges[name]) for name in numeric]
        current_groupings.append(Grouping("psi", inputs.score_column, psi_edges))
        if snapshot is not None:
            current_groupings.append(Grouping("psi_trend", inputs.score_column, psi_edges, by=snapshot))
        if inputs.grade_column is not None:
            current_groupings.append(Grouping("grades", inputs.grade_column))
    engine.prefetch_bins(inputs.current, current_groupings, FLAG, split=_snapshot_selection(inputs.current, snapshot))
    report_progress(65, "bin counts of the current period")
    engine.prefetch_score_counts(inputs.current, inputs.score_column, FLAG, snapshot,
                                 _snapshot_selection(inputs.current, snapshot))
    report_progress(75, "score counts of the current period")


def _edges(quantiles: list[float]) -> tuple[float, ...]:
    return tuple(np.unique(np.asarray(quantiles, dtype=float)).tolist())


def _snapshot_selection(selection: Selection, snapshot_column: str | None):
    """The selection of one snapshot, built as ``_trend`` and ``_psi_trend`` build it."""
    if snapshot_column is None:
        return None
    base = Selection(selection.path, tuple(f for f in selection.filters if f[0] != snapshot_column), selection.not_null)
    return lambda value: base.with_filter(snapshot_column, [value])


def _discrimination_of(inputs: PDInputs, selection: Selection) -> Any:
    aggregates = inputs.engine.score_counts(selection, inputs.score_column, FLAG)
    cached = inputs.discrimination_cache.get(id(aggregates))
    if cached is not None and cached[0] is aggregates:
        return cached[1]
    scores, defaults, non_defaults = aggregates["score"], aggregates["defaults"], aggregates["non_defaults"]
    if len(scores) > MERGE_ABOVE:
        # Same AUC, DeLong variance, KS and accuracy ratio from far fewer groups (mmt.engine.ranks).
        scores, defaults, non_defaults = merge_pure_runs(scores, defaults, non_defaults,
                                                         higher_is_riskier=inputs.higher_is_riskier)
    result = calculate_discrimination(
        scores, defaults, non_defaults,
        higher_is_riskier=inputs.higher_is_riskier, max_curve_points=inputs.max_curve_points,
    )
    inputs.discrimination_cache[id(aggregates)] = (aggregates, result)
    return result


def _discrimination(inputs: PDInputs, statuses: list, warnings: list) -> dict[str, Any]:
    thresholds = inputs.thresholds
    section: dict[str, Any] = {"score_column": inputs.score_column, "higher_is_riskier": inputs.higher_is_riskier}
    try:
        current = _discrimination_of(inputs, inputs.current)
    except NotComputable as error:
        for name in ("auc", "gini", "ks", "accuracy_ratio"):
            section[name] = not_computable_entry(error)
            statuses.append({"metric": f"discrimination.{name}", "value": None, "status": None, "reason": error.reason})
        warnings.append(_warning(error.status, f"AUC, Gini and KS are not computable: {error.reason}."))
        current = None
    if current is not None:
        auc_status = status_higher_is_better(current.auc, thresholds["auc_threshold"], thresholds["auc_red_threshold"])
        gini_status = status_higher_is_better(current.gini, thresholds["gini_threshold"], thresholds["gini_red_threshold"])
        ks_status = status_higher_is_better(current.ks_statistic, thresholds["ks_threshold"], thresholds["ks_red_threshold"])
        section["auc"] = metric_entry(current.auc, auc_status, se=current.auc_se, variance=current.auc_variance,
                                      ci_lower=current.auc_ci_lower, ci_upper=current.auc_ci_upper,
                                      confidence=current.confidence, method="DeLong")
        section["gini"] = metric_entry(current.gini, gini_status, se=current.gini_se)
        section["accuracy_ratio"] = metric_entry(current.accuracy_ratio)
        section["ks"] = metric_entry(current.ks_statistic, ks_status, score=current.ks_score)
        section["n_defaults"] = current.n_defaults
        section["n_non_defaults"] = current.n_non_defaults
        section["roc_curve"] = current.roc_curve.to_dict()
        section["cap_curve"] = current.cap_curve.to_dict()
        section["messages"] = list(current.messages)
        entries = [
            {"metric": "discrimination.auc", "value": current.auc, "status": auc_status},
            {"metric": "discrimination.gini", "value": current.gini, "status": gini_status},
            {"metric": "discrimination.ks", "value": current.ks_statistic, "status": ks_status},
        ]
        note = _small_sample_note(current)
        if note is not None:
            for entry in entries:
                entry["note"] = note
            for name in ("auc", "gini", "ks"):
                section[name]["note"] = note
            warnings.append(_warning("small_sample", f"AUC, Gini and KS rest on a small sample: {note}.",
                                     defaults=current.n_defaults, non_defaults=current.n_non_defaults,
                                     min_defaults=MIN_DEFAULTS_FOR_DISCRIMINATION))
        statuses.extend(entries)
        if inputs.grade_column is not None:
            section["grade_auc"] = _grade_auc(inputs)
    if inputs.reference is not None:
        section["reference"] = _reference_comparison(inputs, current, statuses)
    if inputs.snapshot_column is not None:
        section["trend"] = _trend(inputs)
    return section


def _small_sample_note(result: Any) -> str | None:
    """Return why the AUC, Gini and KS lights of ``result`` rest on too few defaults, or None."""
    reasons = []
    if result.n_defaults < MIN_DEFAULTS_FOR_DISCRIMINATION:
        noun = "default" if result.n_defaults == 1 else "defaults"
        reasons.append(f"{result.n_defaults} {noun}, fewer than {MIN_DEFAULTS_FOR_DISCRIMINATION} "
                       "(the 95% confidence interval of the AUC is about 0.54 wide at 10 defaults)")
    if result.auc_se is None:
        reasons.append("the standard error of the AUC is not computable")
    return "; ".join(reasons) if reasons else None


def _grade_auc(inputs: PDInputs) -> dict[str, Any]:
    """AUC on grades (ECB: continuous-PD models are assessed on their grades)."""
    sums = inputs.engine.grade_sums(inputs.current, inputs.grade_column, inputs.score_column, FLAG)
    order = _grade_order([str(grade) for grade in sums["grade"]], sums, inputs)
    rank = {grade: position for position, grade in enumerate(order)}
    ranks = np.array([rank[str(grade)] for grade in sums["grade"]], dtype=float)
    defaults = np.asarray(sums["defaults"], dtype=float)
    non_defaults = np.asarray(sums["obligors"], dtype=float) - defaults
    try:
        result = calculate_discrimination(ranks, defaults, non_defaults, higher_is_riskier=True, max_curve_points=50)
    except NotComputable as error:
        return not_computable_entry(error)
    return metric_entry(result.auc, None, se=result.auc_se, gini=result.gini, ks=result.ks_statistic,
                        grade_order=order, note="grades ranked best to worst; ties within a grade count one half")


def _reference_comparison(inputs: PDInputs, current: Any, statuses: list) -> dict[str, Any]:
    try:
        reference = _discrimination_of(inputs, inputs.reference)
    except NotComputable as error:
        return {"auc": not_computable_entry(error)}
    comparison: dict[str, Any] = {
        "auc": reference.auc, "auc_se": reference.auc_se, "gini": reference.gini, "ks": reference.ks_statistic,
        "n_defaults": reference.n_defaults, "n_non_defaults": reference.n_non_defaults,
    }
    if current is None:
        return comparison
    try:
        ecb = test_auc_against_reference(current.auc, current.auc_se, reference.auc)
        ecb_status = status_pvalue(ecb.pvalue, inputs.thresholds)
        comparison["ecb_auc_test"] = {**ecb.to_dict(), "status": ecb_status}
        statuses.append({"metric": "discrimination.auc_vs_reference", "value": ecb.pvalue, "status": ecb_status})
    except NotComputable as error:
        comparison["ecb_auc_test"] = not_computable_entry(error)
    try:
        comparison["unpaired_auc_test"] = compare_auc_unpaired(current.auc, current.auc_se, reference.auc, reference.auc_se).to_dict()
    except NotComputable as error:
        comparison["unpaired_auc_test"] = not_computable_entry(error)
    comparison["auc_change"] = current.auc - reference.auc
    return comparison


def _trend(inputs: PDInputs) -> list[dict[str, Any]]:
    """AUC, Gini, KS and default rate per snapshot, reference snapshots included."""
    selections = [("current", inputs.current)]
    if inputs.reference is not None and inputs.reference.path == inputs.current.path:
        selections.insert(0, ("reference", inputs.reference))
    trend = []
    for period, selection in selections:
        base = Selection(selection.path, tuple(f for f in selection.filters if f[0] != inputs.snapshot_column), selection.not_null)
        snapshot_values = dict(selection.filters).get(inputs.snapshot_column)
        if snapshot_values is None:
            snapshot_values = tuple(inputs.engine.distinct_values(base, inputs.snapshot_column, limit=400))
        for snapshot in snapshot_values:
            if snapshot is None:
                continue
            chosen = base.with_filter(inputs.snapshot_column, [snapshot])
            entry: dict[str, Any] = {"snapshot": snapshot, "period": period}
            try:
                result = _discrimination_of(inputs, chosen)
                entry.update(auc=result.auc, auc_se=result.auc_se, gini=result.gini, ks=result.ks_statistic,
                             defaults=result.n_defaults, obligors=result.n_defaults + result.n_non_defaults)
                entry["default_rate"] = result.n_defaults / entry["obligors"]
            except NotComputable as error:
                entry.update(auc=None, gini=None, ks=None, status=error.status, reason=error.reason)
            trend.append(entry)
    return trend


def _grade_order(grades: list[str], sums: Any, inputs: PDInputs) -> list[str]:
    """Master-scale order of ``grades``: the user's order, a known scale, or by mean PD.

    Grades missing from the user's order follow the listed ones in the order
    of :func:`mmt.stats.master_scale.resolve_grade_order`: natural order with
    default states last, never plain text order. Listed grades absent from
    ``grades`` are dropped, and :func:`_grade_order_warnings` reports both.
    """
    if inputs.grade_order:
        labels = {grade: normalise_grade(grade) for grade in grades}
        ordered = resolve_grade_order(list(labels.values()), custom_order=inputs.grade_order).grades
        position = {label: index for index, label in enumerate(ordered)}
        return sorted(grades, key=lambda grade: position.get(labels[grade], len(position)))
    try:
        ordered = order_grades(grades)
        if isinstance(ordered, (list, tuple)) and sorted(ordered) == sorted(grades):
            return list(ordered)
    except ValueError:
        pass
    mean_pd = np.asarray(sums["sum_pd"], dtype=float) / np.maximum(np.asarray(sums["obligors"], dtype=float), 1)
    return [grade for _, grade in sorted(zip(mean_pd, grades))]


def _grade_order_warnings(inputs: PDInputs) -> list[dict[str, Any]]:
    """Build warnings for grades that ``grade_order`` leaves out and for listed grades that no obligor has."""
    if not inputs.grade_order or inputs.grade_column is None:
        return []
    selections = [inputs.current] + ([inputs.reference] if inputs.reference is not None else [])
    observed: list[str] = []
    for selection in selections:
        levels = inputs.engine.level_counts(selection, inputs.grade_column)["level"]
        observed += [label for label in (normalise_grade(level) for level in levels) if label is not None]
    order = resolve_grade_order(observed, custom_order=inputs.grade_order)
    warnings = []
    if order.unrecognised:
        warnings.append(_warning("grade_order", f"Option grade_order: {order.warnings[0]}",
                                 unlisted_grades=list(order.unrecognised)))
    present = set(observed)
    absent = [grade for grade in order.grades if grade not in present]
    if absent:
        listed = ", ".join(repr(grade) for grade in absent[:10]) + (f" and {len(absent) - 10} more" if len(absent) > 10 else "")
        warnings.append(_warning("grade_order_unused",
                                 f"Option grade_order lists grades that no obligor has: {listed}. They are left out of the tables.",
                                 absent_grades=absent))
    return warnings


def _calibration(inputs: PDInputs, statuses: list, warnings: list) -> dict[str, Any]:
    engine = inputs.engine
    if not inputs.higher_is_riskier:
        return {"status": "not_computable", "reason": "The dataset has a score but no PD column; calibration needs PDs."}
    if inputs.grade_column is not None:
        sums = engine.grade_sums(inputs.current, inputs.grade_column, inputs.score_column, FLAG)
        grades = [str(grade) for grade in sums["grade"]]
        order = _grade_order(grades, sums, inputs)
        grouping = {"by": "grade", "column": inputs.grade_column}
    else:
        probabilities = [index / inputs.n_bins for index in range(1, inputs.n_bins)]
        edges = np.unique(np.asarray(engine.quantiles(inputs.current, inputs.score_column, probabilities)))
        sums = engine.grade_sums(inputs.current, inputs.score_column, inputs.score_column, FLAG, edges=edges)
        labels = bin_labels(edges)[:-1]
        grades = [labels[int(code)] for code in sums["grade"]]
        order = list(labels)
        grouping = {"by": "pd_quantile_bucket", "column": inputs.score_column, "edges": edges.tolist()}
        warnings.append(_warning("no_rating", "No rating column: calibration is shown per PD quantile bucket instead of per grade."))
    position = {grade: index for index, grade in enumerate(grades)}
    order = [grade for grade in order if grade in position]
    index = [position[grade] for grade in order]

    def pick(name: str) -> np.ndarray:
        return np.asarray(sums[name], dtype=float)[index]

    result = calculate_calibration(
        order, pick("obligors"), pick("defaults"), pick("sum_pd"), pick("sum_pd2"), pick("sum_pd3"),
        pick("sum_pd4"), pick("sum_default_pd"), min_grade_obligors=int(inputs.thresholds["min_grade_obligors"]),
    )
    section = result.to_dict()
    section["grouping"] = grouping
    _calibration_statuses(section, inputs.thresholds, statuses)
    portfolio = result.portfolio
    scale_warning = pd_scale_warning(_column_label(inputs, inputs.score_column), portfolio.obligors,
                                     portfolio.defaults, portfolio.mean_pd)
    if scale_warning is not None:
        warnings.append(scale_warning)
    return section


def _column_label(inputs: PDInputs, column: str) -> str:
    """Return the analysis name of ``column``, followed by its header in the file when upload renamed it."""
    source = inputs.source_columns.get(column, "").strip()
    if not source or source == column:
        return column
    return f"{column} ({source} in the uploaded file)"


def _calibration_statuses(section: dict[str, Any], thresholds: dict[str, float], statuses: list) -> None:
    """Add traffic lights to the grade and portfolio tests, in place."""
    for grade in section.get("grades", []):
        pvalue = grade.get("jeffreys_pvalue")
        grade["status"] = status_pvalue(pvalue, thresholds)
        statuses.append({"metric": f"calibration.grade[{grade.get('grade')}].jeffreys", "value": pvalue, "status": grade["status"]})
    portfolio = section.get("portfolio", {})
    for name in ("jeffreys", "binomial", "hosmer_lemeshow", "spiegelhalter"):
        test = portfolio.get(name)
        if isinstance(test, dict):
            pvalue = test.get("pvalue")
            test["status"] = status_pvalue(pvalue, thresholds)
            statuses.append({"metric": f"calibration.{name}", "value": pvalue, "status": test["status"]})
    herfindahl = portfolio.get("herfindahl")
    if isinstance(herfindahl, dict):
        value = herfindahl.get("normalised_index")
        herfindahl["status"] = status_lower_is_better(value, thresholds["herfindahl_threshold"], 1.0)
        statuses.append({"metric": "calibration.herfindahl", "value": value, "status": herfindahl["status"]})


def _stability(inputs: PDInputs, statuses: list, warnings: list) -> dict[str, Any]:
    if inputs.reference is None:
        warnings.append(_warning("no_reference", "No reference period: PSI and CSI need a baseline dataset or a dataset with several snapshot dates."))
        return {"psi": None, "grade_psi": None, "reason": "no reference period"}
    engine = inputs.engine
    thresholds = inputs.thresholds
    section: dict[str, Any] = {}
    probabilities = [index / inputs.n_bins for index in range(1, inputs.n_bins)]
    edges = np.unique(np.asarray(engine.quantiles(inputs.reference, inputs.score_column, probabilities)))
    labels = bin_labels(edges)
    reference_counts = _bin_vector(engine.numeric_bin_counts(inputs.reference, inputs.score_column, edges), len(labels))
    current_counts = _bin_vector(engine.numeric_bin_counts(inputs.current, inputs.score_column, edges), len(labels))
    try:
        psi = calculate_psi(reference_counts, current_counts, labels)
    except NotComputable as error:
        # An empty reference period (a segment new in the current one, say) leaves PSI undefined,
        # but the other figures are still computed.
        section["psi"] = not_computable_entry(error, column=inputs.score_column)
        statuses.append({"metric": "stability.psi", "value": None, "status": None, "reason": error.reason})
        if reference_counts.sum() > 0:
            warnings.append(_warning(error.status, f"PSI of {inputs.score_column} is not computable: {error.reason}."))
    else:
        psi_status = status_lower_is_better(psi.statistic, thresholds["psi_threshold"], thresholds["psi_red_threshold"])
        section["psi"] = {**psi.to_dict(), "value": psi.statistic, "status": psi_status, "column": inputs.score_column,
                          "edges": edges.tolist(), "binning": "reference quantiles, right-closed bins"}
        statuses.append({"metric": "stability.psi", "value": psi.statistic, "status": psi_status})
        warnings.extend(grouped_warnings("psi_floor", f"PSI of {inputs.score_column}", psi.warnings, column=inputs.score_column))
    if inputs.grade_column is not None:
        section["grade_psi"] = _grade_psi(inputs, statuses, warnings)
    if inputs.snapshot_column is not None:
        section["trend"] = _psi_trend(inputs, edges, labels, reference_counts)
    return section


def _bin_vector(aggregates: Any, size: int) -> np.ndarray:
    """Counts per bin code, with the missing bin (code -1) moved last."""
    vector = np.zeros(size, dtype=float)
    for code, count in zip(aggregates["bin"], aggregates["observations"]):
        vector[size - 1 if int(code) < 0 else int(code)] += float(count)
    return vector


def _grade_psi(inputs: PDInputs, statuses: list, warnings: list) -> dict[str, Any]:
    engine = inputs.engine
    reference = engine.level_counts(inputs.reference, inputs.grade_column)
    current = engine.level_counts(inputs.current, inputs.grade_column)
    reference_map = {level: float(count) for level, count in zip(reference["level"], reference["observations"])}
    current_map = {level: float(count) for level, count in zip(current["level"], current["observations"])}
    levels = [level for level in set(reference_map) | set(current_map) if level is not None]
    sums = engine.grade_sums(inputs.current, inputs.grade_column, inputs.score_column, FLAG)
    order = _grade_order(levels, _merge_sums(sums, levels), inputs)
    labels = [str(level) for level in order]
    if None in reference_map or None in current_map:
        order.append(None)
        labels.append("Missing")
    try:
        psi = calculate_psi([reference_map.get(level, 0.0) for level in order], [current_map.get(level, 0.0) for level in order], labels)
    except NotComputable as error:
        statuses.append({"metric": "stability.grade_psi", "value": None, "status": None, "reason": error.reason})
        return not_computable_entry(error, column=inputs.grade_column)
    status = status_lower_is_better(psi.statistic, inputs.thresholds["psi_threshold"], inputs.thresholds["psi_red_threshold"])
    statuses.append({"metric": "stability.grade_psi", "value": psi.statistic, "status": status})
    warnings.extend(grouped_warnings("psi_floor", "Grade PSI", psi.warnings, column=inputs.grade_column))
    return {**psi.to_dict(), "value": psi.statistic, "status": status, "column": inputs.grade_column}


def _merge_sums(sums: Any, levels: list[str]) -> dict[str, np.ndarray]:
    """Grade sums aligned with ``levels`` (grades absent from the current period get zeros)."""
    by_grade = {str(grade): index for index, grade in enumerate(sums["grade"])}
    obligors = np.array([float(sums["obligors"][by_grade[level]]) if level in by_grade else 0.0 for level in levels])
    sum_pd = np.array([float(sums["sum_pd"][by_grade[level]]) if level in by_grade else 0.0 for level in levels])
    return {"obligors": obligors, "sum_pd": sum_pd}


def _psi_trend(inputs: PDInputs, edges: np.ndarray, labels: tuple[str, ...], reference_counts: np.ndarray) -> list[dict[str, Any]]:
    base = Selection(inputs.current.path, tuple(f for f in inputs.current.filters if f[0] != inputs.snapshot_column),
                     inputs.current.not_null)
    snapshots = dict(inputs.current.filters).get(inputs.snapshot_column)
    if snapshots is None:
        snapshots = tuple(inputs.engine.distinct_values(base, inputs.snapshot_column, limit=400))
    trend = []
    for snapshot in snapshots:
        if snapshot is None:
            continue
        counts = _bin_vector(inputs.engine.numeric_bin_counts(base.with_filter(inputs.snapshot_column, [snapshot]),
                                                              inputs.score_column, edges), len(labels))
        try:
            psi = calculate_psi(reference_counts, counts, labels)
        except NotComputable as error:
            trend.append({"snapshot": snapshot, "psi": None, "band": None, "status": error.status, "reason": error.reason})
            continue
        trend.append({"snapshot": snapshot, "psi": psi.statistic, "band": psi.band,
                      "status": status_lower_is_better(psi.statistic, inputs.thresholds["psi_threshold"], inputs.thresholds["psi_red_threshold"])})
    return trend
