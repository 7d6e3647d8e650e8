"""Assemble a :class:`~mmt.reports.model.Report` from a stored analysis result.

Each analysis type has a module with a ``SECTIONS`` tuple of builders. A
builder that fails on an unexpected result shape is logged and named in the
report's ``problems``, so one broken section does not hide the others.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from mmt.reports import backtest, macro, pd, transitions
from mmt.reports import columns as column_reports
from mmt.reports.model import Report, ReportInput, Section
from mmt.reports.tables import make_table, text_of
from mmt.thresholds import SPECS, SPECS_BY_KEY

LOGGER = logging.getLogger("mmt.reports")

TITLES = {
    "pd": "PD model monitoring",
    "lgd": "LGD back-test",
    "ead": "EAD and CCF back-test",
    "macro": "Macro (satellite) model monitoring",
    "rating_transition": "Rating transition analysis",
    "stability": "Stability analysis",
    "woe": "Weight of evidence and information value",
}

MODEL_TYPES = {
    "pd": "PD (probability of default)",
    "lgd": "LGD (loss given default)",
    "ead": "EAD / CCF (exposure at default, credit conversion factor)",
    "macro": "Macro satellite model",
    "rating_transition": "Rating transitions",
    "stability": "PD stability",
    "woe": "PD variable importance",
}

# Threshold groups of mmt.thresholds that colour each analysis type's figures.
THRESHOLD_GROUPS = {
    "pd": ("pd", "stability", "tests"),
    "stability": ("stability",),
    "woe": (),
    "lgd": ("lgd", "tests"),
    "ead": ("ead", "tests"),
    "macro": ("macro", "tests"),
    "rating_transition": ("transitions", "tests"),
}

SECTION_BUILDERS: dict[str, tuple[Callable[[ReportInput], Section | None], ...]] = {
    "pd": pd.SECTIONS,
    "stability": column_reports.STABILITY_SECTIONS,
    "woe": column_reports.WOE_SECTIONS,
    "lgd": backtest.LGD_SECTIONS,
    "ead": backtest.EAD_SECTIONS,
    "rating_transition": transitions.SECTIONS,
    "macro": macro.SECTIONS,
}

PERIODS: dict[str, Callable[[ReportInput], str]] = {
    "pd": pd.period,
    "stability": column_reports.stability_period,
    "woe": column_reports.woe_period,
    "lgd": backtest.period,
    "ead": backtest.period,
    "rating_transition": transitions.period,
    "macro": macro.period,
}


def build_report(source: ReportInput) -> Report:
    """Build the header, the traffic-light summary and the sections of one result."""
    sections: list[Section] = []
    problems: list[str] = []
    for builder in SECTION_BUILDERS.get(source.analysis_type, ()):
        try:
            section = builder(source)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
            LOGGER.error("report section failed result_id=%s section=%s error=%r",
                         source.result_id, builder.__name__, error, exc_info=True)
            problems.append(f"The part drawn by {builder.__name__} could not be built from this result ({type(error).__name__}: {error}).")
            continue
        if section is not None:
            sections.append(section)
    if source.analysis_type not in SECTION_BUILDERS:
        sections.append(_generic_section(source))
    summary, counts = _summary(source)
    return Report(
        title=f"{TITLES.get(source.analysis_type, source.analysis_type)}: result {source.result_id}",
        header=_header(source),
        thresholds_used=_thresholds_used(source),
        summary=summary,
        status_counts=counts,
        sections=tuple(sections),
        appendix=_appendix(source),
        problems=tuple(problems),
    )


def _header(source: ReportInput) -> tuple[tuple[str, str], ...]:
    dataset = source.dataset or source.results.get("dataset") or {}
    rows = [
        ("Model type", MODEL_TYPES.get(source.analysis_type, source.analysis_type)),
        ("Dataset", _dataset_text(dataset) if dataset else "none (the analysis read no stored dataset)"),
    ]
    if source.reference_dataset:
        rows.append(("Reference dataset", _dataset_text(source.reference_dataset)))
    try:
        period = PERIODS[source.analysis_type](source) if source.analysis_type in PERIODS else "not recorded"
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        period = "not recorded"
    rows += [
        ("Period", period),
        ("Analysis result", f"{source.result_id}, run {source.created_at} UTC in {source.duration_ms / 1000:.1f} s"),
        ("Software version", f"MMT {source.software_version}"),
        ("Input fingerprint", f"{source.input_sha256} (SHA-256 of the Parquet copies read and the parameters)"),
    ]
    for label, item in (("Dataset file SHA-256", source.dataset), ("Reference file SHA-256", source.reference_dataset)):
        if item and item.get("sha256"):
            rows.append((label, f"{item['sha256']} (the uploaded file, byte for byte)"))
    return tuple(rows)


def _dataset_text(dataset: dict[str, Any]) -> str:
    parts = [text_of(dataset.get("name") or "unnamed")]
    details = [f"id {dataset.get('id')}"]
    if dataset.get("original_filename") and dataset.get("original_filename") != dataset.get("name"):
        details.append(f"file {dataset['original_filename']}")
    if dataset.get("n_rows") is not None:
        details.append(f"{dataset['n_rows']:,} rows")
    if dataset.get("model_type"):
        details.append(f"uploaded as {dataset['model_type']}")
    return f"{parts[0]} ({', '.join(details)})"


def _thresholds_used(source: ReportInput) -> tuple[tuple[str, float, str], ...]:
    groups = THRESHOLD_GROUPS.get(source.analysis_type, ())
    used = []
    for spec in SPECS:
        if spec.group in groups and spec.key in source.thresholds:
            used.append((spec.key, source.thresholds[spec.key], spec.description))
    if source.analysis_type == "rating_transition" and "min_grade_obligors" in source.thresholds:
        used.append(("min_grade_obligors", source.thresholds["min_grade_obligors"], SPECS_BY_KEY["min_grade_obligors"].description))
    return tuple(used)


def _summary(source: ReportInput):
    counts = {"green": 0, "amber": 0, "red": 0, "none": 0}
    rows = []
    for entry in source.statuses:
        if not isinstance(entry, dict):
            continue
        status = entry.get("status")
        counts[status if status in ("green", "amber", "red") else "none"] += 1
        value = entry.get("value")
        notes = [text for text in (value if isinstance(value, str) else None, entry.get("reason"),
                                   status if status not in (None, "green", "amber", "red") else None) if text]
        rows.append((entry.get("metric"), value, status, "; ".join(notes) or None))
    table = make_table(
        "Summary", "Traffic-light summary",
        (("Metric", "text"), ("Value", "number"), ("Status", "status"), ("Note", "text")),
        rows,
    )
    return table, counts


def _appendix(source: ReportInput):
    thresholds = make_table(
        "Thresholds", "Thresholds in force when the analysis ran",
        (("Key", "text"), ("Value", "number"), ("Meaning", "text")),
        [(key, value, SPECS_BY_KEY[key].description if key in SPECS_BY_KEY else None)
         for key, value in sorted(source.thresholds.items())],
    )
    parameters = make_table(
        "Parameters", "Parameters of the analysis",
        (("Parameter", "text"), ("Value", "text")),
        [(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))
         for key, value in sorted(source.parameters.items())],
    )
    warnings = make_table(
        "Warnings", "Warnings",
        (("Code", "text"), ("Message", "text")),
        [(warning.get("code"), warning.get("message")) if isinstance(warning, dict) else (None, warning)
         for warning in source.warnings],
    )
    return (thresholds, parameters, warnings)


def _generic_section(source: ReportInput) -> Section:
    rows = []

    def walk(prefix: str, value: Any, depth: int) -> None:
        if isinstance(value, dict) and depth < 3:
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item, depth + 1)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append((prefix, value))

    walk("", source.results, 0)
    table = make_table("Figures", "Figures of the result", (("Figure", "text"), ("Value", "number")), rows)
    return Section("figures", "Figures", tables=(table,),
                   notes=(f"No charts are defined for the analysis type {source.analysis_type}.",))
