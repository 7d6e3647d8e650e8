"""Report sections of the LGD and EAD/CCF back-tests: realised against predicted."""

from __future__ import annotations

from typing import Any

from mmt.reports.figures import BLUE, GREY, ORANGE, VERMILLION, new_figure
from mmt.reports.model import Chart, ReportInput, Section, Table
from mmt.reports.tables import make_table, text_of

TEST_NAMES = {
    "t_test": "t-test of the mean difference",
    "gauc": "Generalised AUC (gAUC)",
    "gauc_test": "gAUC test against initial validation",
    "spearman": "Spearman rank correlation",
    "kendall": "Kendall rank correlation",
    "pearson": "Pearson correlation",
    "MAPE": "MAPE (percent)",
    "R-squared": "R-squared",
    "ead_ratio": "Realised over predicted EAD",
    "realised_exceeds_predicted": "Share of facilities with realised above predicted",
}


def lgd_scatter_section(source: ReportInput) -> Section | None:
    """Build the charts of LGD realised against predicted, by decile and by segment."""
    results = source.results
    plot = results.get("plot_data") or {}
    charts = []
    if plot.get("predicted_lgd"):
        charts.append(_scatter_chart("lgd_scatter", "Realised against predicted LGD", plot["predicted_lgd"], plot["actual_lgd"],
                                     "Predicted LGD", "Realised LGD", plot, "total_points"))
    if isinstance(results.get("decile_data"), dict):
        charts.append(_decile_chart("lgd_deciles", "Facilities by realised and predicted LGD decile", results["decile_data"]))
    segments = [segment for segment in results.get("segments") or [] if isinstance(segment, dict)]
    if segments:
        charts.append(_segment_chart("lgd_segments", "Mean predicted and realised LGD by segment", segments,
                                     "mean_predicted", "mean_realised", "LGD"))
    return Section("lgd", "Realised against predicted LGD", tuple(charts), _decile_tables(results, "LGD deciles", "decile_data"))


def lgd_tables_section(source: ReportInput) -> Section:
    """Build the tables of LGD figures, tests, segments and counts."""
    results = source.results
    tables = [
        _metrics_table("Back-test figures", "Back-test figures of the whole selection", results.get("metrics") or {}),
        _tests_table("Tests", "Tests of the whole selection", results.get("tests") or {}),
    ]
    segments = [segment for segment in results.get("segments") or [] if isinstance(segment, dict)]
    if segments:
        tables.append(make_table(
            "Segments", "Back-test by segment",
            (("Segment", "text"), ("Facilities", "integer"), ("Mean predicted", "number"), ("Mean realised", "number"),
             ("MAPE (percent)", "number"), ("R-squared", "number"), ("gAUC", "number"), ("gAUC status", "status"),
             ("t-test p-value", "pvalue"), ("t-test status", "status")),
            [(segment.get("segment"), (segment.get("counts") or {}).get("facilities"), _metric(segment, "mean_predicted"),
              _metric(segment, "mean_realised"), _metric(segment, "MAPE"), _metric(segment, "R-squared"),
              _test(segment, "gauc").get("value"), _test(segment, "gauc").get("status"), _test(segment, "t_test").get("pvalue"),
              _test(segment, "t_test").get("status")) for segment in segments],
        ))
    tables.append(_counts_table(results.get("counts") or {}))
    return Section("lgd_figures", "LGD figures and tests", tables=tuple(tables),
                   notes=tuple(text_of(warning) for warning in results.get("warnings") or []))


def ead_scatter_section(source: ReportInput) -> Section | None:
    """Build the charts of EAD and CCF realised against predicted, by decile and by segment."""
    results = source.results
    plot = results.get("plot_data") or {}
    charts = []
    if plot.get("predicted_ead"):
        charts.append(_scatter_chart("ead_scatter", "Realised against predicted EAD", plot["predicted_ead"], plot["actual_ead"],
                                     "Predicted EAD", "Realised EAD", plot, "total_points", log_axes=True))
    if plot.get("predicted_ccf"):
        charts.append(_scatter_chart("ccf_scatter", "Realised against predicted CCF", plot["predicted_ccf"], plot["actual_ccf"],
                                     "Predicted CCF", "Realised CCF", plot, "ccf_total_points"))
    if isinstance(results.get("decile_data"), dict):
        charts.append(_decile_chart("ead_deciles", "Facilities by realised and predicted EAD decile", results["decile_data"]))
    if isinstance(results.get("ccf_decile_data"), dict):
        charts.append(_decile_chart("ccf_deciles", "Facilities by realised and predicted CCF decile", results["ccf_decile_data"]))
    segments = [segment for segment in results.get("segments") or [] if isinstance(segment, dict)]
    if segments:
        charts.append(_segment_chart("ccf_segments", "Mean predicted and realised CCF by segment", segments,
                                     "ccf_mean_predicted", "ccf_mean_realised", "CCF"))
    tables = _decile_tables(results, "EAD deciles", "decile_data") + _decile_tables(results, "CCF deciles", "ccf_decile_data")
    return Section("ead", "Realised against predicted EAD and CCF", tuple(charts), tables)


def ead_tables_section(source: ReportInput) -> Section:
    """Build the tables of EAD and CCF figures, tests, segments, CCF quantiles and counts."""
    results = source.results
    tests = results.get("tests") or {}
    tables = [
        _metrics_table("Back-test figures", "Back-test figures of the whole selection", results.get("metrics") or {}),
        _tests_table("EAD tests", "EAD tests of the whole selection", tests.get("ead") or {}),
        _tests_table("CCF tests", "CCF tests of the whole selection", tests.get("ccf") or {}),
    ]
    segments = [segment for segment in results.get("segments") or [] if isinstance(segment, dict)]
    if segments:
        tables.append(make_table(
            "Segments", "Back-test by segment",
            (("Segment", "text"), ("Facilities", "integer"), ("Mean predicted EAD", "number"), ("Mean realised EAD", "number"),
             ("EAD ratio", "number"), ("EAD ratio status", "status"), ("EAD MAPE (percent)", "number"),
             ("CCF facilities", "integer"), ("Mean predicted CCF", "number"), ("Mean realised CCF", "number"),
             ("CCF gAUC", "number"), ("CCF gAUC status", "status")),
            [(segment.get("segment"), _metric(segment, "facilities"), _metric(segment, "mean_predicted_ead"),
              _metric(segment, "mean_realised_ead"), _metric(segment, "ead_ratio"),
              _test(segment, "ead_ratio", "ead").get("status"), _metric(segment, "MAPE"), _metric(segment, "ccf_facilities"),
              _metric(segment, "ccf_mean_predicted"), _metric(segment, "ccf_mean_realised"),
              _test(segment, "gauc", "ccf").get("value"), _test(segment, "gauc", "ccf").get("status"))
             for segment in segments],
        ))
    quantiles = results.get("ccf_realised_quantiles")
    if isinstance(quantiles, dict):
        tables.append(make_table("CCF quantiles", "Quantiles of the realised CCF",
                                 (("Quantile", "text"), ("Realised CCF", "number")), list(quantiles.items())))
    tables.append(_counts_table(results.get("counts") or {}))
    return Section("ead_figures", "EAD and CCF figures and tests", tables=tuple(tables),
                   notes=tuple(text_of(warning) for warning in results.get("warnings") or []))


def lgd_reference_section(source: ReportInput) -> Section | None:
    """Build the comparison with the reference period, when the result has one."""
    return _reference_section(source, (("Reference tests", "Tests", None),))


def ead_reference_section(source: ReportInput) -> Section | None:
    """Build the comparison with the reference period, when the result has one."""
    return _reference_section(source, (("Reference EAD tests", "EAD tests", "ead"),
                                       ("Reference CCF tests", "CCF tests", "ccf")))


LGD_SECTIONS = (lgd_scatter_section, lgd_tables_section, lgd_reference_section)
EAD_SECTIONS = (ead_scatter_section, ead_tables_section, ead_reference_section)


def period(source: ReportInput) -> str:
    """Describe the filters and the current and reference periods of an LGD or EAD/CCF result."""
    parameters = source.results.get("parameters") or {}
    filters = parameters.get("filters") or source.parameters.get("filters") or {}
    parts = [f"{name} {text_of(values)}" for name, values in filters.items()]
    current, reference = parameters.get("current_period"), parameters.get("reference_period")
    if isinstance(current, dict):
        parts.append(f"current period {_period_text(current)}")
    if isinstance(reference, dict):
        parts.append(f"compared with the reference period {_period_text(reference)}")
    if not parts:
        return "all rows of the dataset (no quarter, portfolio or model filter)"
    return "; ".join(parts)


def _period_text(period: dict[str, Any]) -> str:
    return f"{text_of(period.get('start'))} to {text_of(period.get('end'))}"


def _reference_section(source: ReportInput, test_groups: tuple[tuple[str, str, str | None], ...]) -> Section | None:
    """Build the figures of the current and reference periods side by side, then the reference tests and counts.

    ``test_groups`` lists (sheet, title, key of the tests in the result, None when they are not grouped).
    """
    reference = source.results.get("reference")
    if not isinstance(reference, dict):
        return None
    current = source.results.get("metrics") or {}
    before = reference.get("metrics") or {}
    differences = reference.get("difference") or {}
    names = list(differences) + [name for name in before if name not in differences]
    rows = [(name, current.get(name), before.get(name), differences.get(name)) for name in names
            if all(isinstance(value, (int, float)) or value is None
                   for value in (current.get(name), before.get(name)))]
    span = reference.get("period") if isinstance(reference.get("period"), dict) else {}
    tables = [make_table(
        "Reference figures", f"Current period against the reference period ({_period_text(span)})",
        (("Figure", "text"), ("Current", "number"), ("Reference", "number"), ("Current minus reference", "number")),
        rows,
    )]
    tests = reference.get("tests") or {}
    for sheet, title, group in test_groups:
        chosen = tests if group is None else tests.get(group) or {}
        tables.append(_tests_table(sheet, f"{title} of the reference period", chosen))
    tables.append(_counts_table(reference.get("counts") or {}, "Reference counts",
                                "Facility counts of the reference period"))
    return Section("reference_period", "Comparison with the reference period", tables=tuple(tables),
                   notes=tuple(text_of(warning) for warning in reference.get("warnings") or []))


def _scatter_chart(key: str, title: str, predicted: list[Any], realised: list[Any], x_title: str, y_title: str,
                   plot: dict[str, Any], total_key: str, *, log_axes: bool = False) -> Chart:
    figure = new_figure(x_title=x_title, y_title=y_title, height=460)
    finite = [value for value in list(predicted) + list(realised) if isinstance(value, (int, float))]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    use_log = log_axes and low > 0
    figure.add_scatter(x=predicted, y=realised, mode="markers", name="Facility",
                       marker={"color": BLUE, "size": 5, "opacity": 0.45},
                       hovertemplate="predicted %{x:.4g}<br>realised %{y:.4g}<extra></extra>")
    figure.add_scatter(x=[low, high], y=[low, high], mode="lines", name="Realised = predicted",
                       line={"color": VERMILLION, "dash": "dash"})
    if use_log:
        figure.update_xaxes(type="log")
        figure.update_yaxes(type="log")
    total = plot.get(total_key)
    caption = f"{len(predicted):,} of {total:,} facilities shown" if isinstance(total, int) else None
    if caption and len(predicted) < total:
        caption += " (an evenly spread sample; the figures use every facility)"
    if use_log:
        caption = (caption + "; " if caption else "") + "both axes are logarithmic"
    return Chart(key, title, figure, caption + "." if caption else None)


def _decile_chart(key: str, title: str, deciles: dict[str, Any]) -> Chart:
    rows = [row for row in deciles.get("data") or [] if isinstance(row, dict)]
    labels = [text_of(row.get("actual_decile")) for row in rows]
    width = max((len(row.get("values") or []) for row in rows), default=0)
    columns = [f"P{index + 1}" for index in range(width)]
    values = [row.get("values") or [] for row in rows]
    figure = new_figure(x_title=f"Predicted decile ({deciles.get('columns', 'predicted')})",
                        y_title=f"Realised decile ({deciles.get('rows', 'realised')})", height=440)
    figure.add_heatmap(z=values, x=columns, y=labels, colorscale="Blues", colorbar={"title": {"text": "% of facilities"}},
                       text=[[f"{value:.1f}" if isinstance(value, (int, float)) else "" for value in row] for row in values],
                       texttemplate="%{text}", hovertemplate="realised %{y}, predicted %{x}: %{z:.2f} %<extra></extra>")
    figure.update_yaxes(autorange="reversed", type="category", showgrid=False)
    figure.update_xaxes(type="category", showgrid=False)
    return Chart(key, title, figure, "A good model puts most facilities on the diagonal (same decile realised and predicted).")


def _segment_chart(key: str, title: str, segments: list[dict[str, Any]], predicted_key: str, realised_key: str,
                   quantity: str) -> Chart:
    names = [text_of(segment.get("segment")) for segment in segments]
    figure = new_figure(x_title="Segment", y_title=f"Mean {quantity}")
    figure.add_bar(x=names, y=[_metric(segment, predicted_key) for segment in segments], name=f"Predicted {quantity}",
                   marker={"color": GREY})
    figure.add_bar(x=names, y=[_metric(segment, realised_key) for segment in segments], name=f"Realised {quantity}",
                   marker={"color": ORANGE})
    figure.update_xaxes(type="category")
    figure.update_layout(barmode="group")
    return Chart(key, title, figure, None)


def _decile_tables(results: dict[str, Any], sheet: str, key: str) -> tuple[Table, ...]:
    deciles = results.get(key)
    if not isinstance(deciles, dict):
        return ()
    rows = [row for row in deciles.get("data") or [] if isinstance(row, dict)]
    width = max((len(row.get("values") or []) for row in rows), default=0)
    columns = [("Realised decile", "text")] + [(f"Predicted P{index + 1} (%)", "number") for index in range(width)]
    body = [[row.get("actual_decile")] + list(row.get("values") or []) + [None] * (width - len(row.get("values") or []))
            for row in rows]
    return (make_table(sheet, f"{sheet.split()[0]}: percent of facilities by realised (rows) and predicted (columns) decile",
                       columns, body, note=" ".join(filter(None, (f"{deciles.get('total_count')} facilities.",
                                                                  deciles.get("note"))))),)


def _metrics_table(sheet: str, title: str, metrics: dict[str, Any]) -> Table:
    rows = [(name, value) for name, value in metrics.items()
            if isinstance(value, (int, float)) or value is None]
    return make_table(sheet, title, (("Figure", "text"), ("Value", "number")), rows)


def _tests_table(sheet: str, title: str, tests: dict[str, Any]) -> Table:
    rows = []
    for key, test in tests.items():
        if not isinstance(test, dict) or "value" not in test:
            continue
        note = test.get("reason") or test.get("null_hypothesis")
        if test.get("threshold") is not None:
            note = f"threshold {test['threshold']:g}"
        rows.append((TEST_NAMES.get(key, key), test.get("value"), test.get("pvalue"), test.get("standard_error"),
                     test.get("n"), test.get("status"), note))
    return make_table(
        sheet, title,
        (("Test", "text"), ("Value", "number"), ("p-value", "pvalue"), ("Standard error", "number"),
         ("Facilities", "integer"), ("Status", "status"), ("Note", "text")),
        rows,
    )


def _counts_table(counts: dict[str, Any], sheet: str = "Counts", title: str = "Facility counts") -> Table:
    rows = [(name.replace("_", " "), value) for name, value in counts.items() if isinstance(value, (int, float))]
    return make_table(sheet, title, (("Count", "text"), ("Value", "integer")), rows)


def _metric(segment: dict[str, Any], key: str) -> Any:
    return (segment.get("metrics") or {}).get(key)


def _test(segment: dict[str, Any], key: str, group: str | None = None) -> dict[str, Any]:
    tests = segment.get("tests") or {}
    if group is not None:
        tests = tests.get(group) or {}
    test = tests.get(key)
    return test if isinstance(test, dict) else {}
