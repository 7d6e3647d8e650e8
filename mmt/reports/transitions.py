"""Report sections of a rating transition result: heatmap, rates by period, tests."""

from __future__ import annotations

from typing import Any

from mmt.reports.figures import PALETTE, new_figure
from mmt.reports.model import Chart, ReportInput, Section
from mmt.reports.tables import entry_status, entry_value, make_table, text_of

RATES = (("stability_rate", "Stability"), ("upgrade_rate", "Upgrade"), ("downgrade_rate", "Downgrade"),
         ("default_rate", "Default"), ("exit_rate", "Exit"))


def matrix_section(source: ReportInput) -> Section | None:
    """Build the heatmap of the pooled migration rates, with the count and rate matrices as tables."""
    pooled = source.results.get("pooled")
    if not isinstance(pooled, dict) or not isinstance(pooled.get("matrix"), dict):
        return None
    matrix = pooled["matrix"]
    rows = [text_of(label) for label in matrix.get("rows") or []]
    columns = [text_of(label) for label in matrix.get("columns") or []]
    rates = [[value for value in row] for row in matrix.get("row_rates") or []]
    counts = matrix.get("counts") or []
    totals = matrix.get("row_totals") or []

    figure = new_figure(x_title="Grade at the end of the period", y_title="Grade at the start of the period",
                        height=max(420, 34 * len(rows) + 160))
    figure.add_heatmap(
        z=rates, x=columns, y=rows, zmin=0, zmax=1, colorscale="Blues", colorbar={"title": {"text": "Share of row"}, "tickformat": ".0%"},
        text=[[_percent_text(value) for value in row] for row in rates], texttemplate="%{text}",
        customdata=[[[count, total] for count in row] for row, total in zip(counts, totals)],
        hovertemplate="%{y} to %{x}: %{z:.2%}<br>%{customdata[0]} of %{customdata[1]} obligors<extra></extra>",
        xgap=1, ygap=1,
    )
    figure.update_yaxes(autorange="reversed", type="category", showgrid=False)
    figure.update_xaxes(type="category", side="bottom", showgrid=False)
    summary = pooled.get("summary") or {}
    chart = Chart("transition_heatmap", f"Migration matrix {pooled.get('from_period')} to {pooled.get('to_period')}", figure,
                  f"Each row sums to 100 % of the obligors that start in the grade; {summary.get('obligors', 'n/a')} "
                  f"obligor-periods over {pooled.get('pairs_of_periods', 1)} pairs of snapshot dates.", wide=True)

    header = (("From grade", "text"),) + tuple((label, "integer") for label in columns) + (("Obligors", "integer"),)
    count_table = make_table("Migration counts", "Migration counts (pooled)", header,
                             [[label] + list(row) + [total] for label, row, total in zip(rows, counts, totals)])
    rate_header = (("From grade", "text"),) + tuple((label, "percent") for label in columns)
    rate_table = make_table("Migration rates", "Migration rates (pooled, share of the row)", rate_header,
                            [[label] + list(row) for label, row in zip(rows, rates)])
    return Section("matrix", "Migration matrix", (chart,), (count_table, rate_table))


def rates_section(source: ReportInput) -> Section | None:
    """Build the migration rates per pair of snapshot dates, per grade, and the matrix weighted bandwidth."""
    results = source.results
    periods = [period for period in results.get("periods") or [] if isinstance(period, dict)]
    pooled = results.get("pooled") or {}
    charts = []
    if periods:
        labels = [f"{period.get('from_period')} to {period.get('to_period')}" for period in periods]
        figure = new_figure(x_title="Pair of snapshot dates", y_title="Share of obligors")
        for index, (key, name) in enumerate(RATES):
            if key == "stability_rate":
                continue
            figure.add_scatter(x=labels, y=[(period.get("summary") or {}).get(key) for period in periods],
                               mode="lines+markers", name=name, line={"color": PALETTE[index % len(PALETTE)]})
        figure.update_xaxes(type="category")
        figure.update_yaxes(tickformat=".1%", rangemode="tozero")
        charts.append(Chart("migration_rates", "Upgrade, downgrade, default and exit rates by period", figure, None, wide=True))

    tables = []
    rows = []
    for period in periods + ([pooled] if pooled else []):
        summary = period.get("summary") or {}
        bandwidth = period.get("matrix_weighted_bandwidth") or {}
        label = "pooled" if period is pooled else "period"
        rows.append((label, period.get("from_period"), period.get("to_period"), summary.get("obligors"),
                     *[summary.get(key) for key, _ in RATES], entry_value(bandwidth.get("upper")),
                     entry_status(bandwidth.get("upper")), entry_value(bandwidth.get("lower")), entry_status(bandwidth.get("lower"))))
    if rows:
        tables.append(make_table(
            "Rates by period", "Migration rates and matrix weighted bandwidth (MWB) by period",
            (("Scope", "text"), ("From", "text"), ("To", "text"), ("Obligors", "integer"))
            + tuple((name, "percent") for _, name in RATES)
            + (("MWB upper", "number"), ("MWB upper status", "status"), ("MWB lower", "number"), ("MWB lower status", "status")),
            rows,
        ))

    by_grade = [grade for grade in (pooled.get("summary") or {}).get("by_grade") or [] if isinstance(grade, dict)]
    if by_grade:
        tables.append(make_table(
            "Rates by grade", "Migration rates by starting grade (pooled)",
            (("Grade", "text"), ("Obligors", "integer")) + tuple((name, "percent") for _, name in RATES)
            + (("Two notches or more", "percent"), ("Flags", "text")),
            [(grade.get("grade"), grade.get("obligors"), *[grade.get(key) for key, _ in RATES], grade.get("multi_notch_rate"),
              ", ".join(flag for flag, on in (("no observations", grade.get("no_observations")), ("small grade", grade.get("small_grade"))) if on))
             for grade in by_grade],
        ))

    changes = [block for block in results.get("rate_change_tests") or [] if isinstance(block, dict)]
    change_rows = [
        (f"{(block.get('first') or {}).get('from_period')} to {(block.get('first') or {}).get('to_period')}",
         f"{(block.get('second') or {}).get('from_period')} to {(block.get('second') or {}).get('to_period')}",
         test.get("grade"), test.get("rate"), test.get("rate_first"), test.get("rate_second"), test.get("z"),
         test.get("p_value"), test.get("status"), test.get("reason"))
        for block in changes for test in block.get("tests") or [] if isinstance(test, dict) and test.get("p_value") is not None
    ]
    if change_rows:
        tables.append(make_table(
            "Rate changes", "Change of each rate between consecutive periods (two-proportion z-test)",
            (("First period", "text"), ("Second period", "text"), ("Grade", "text"), ("Rate", "text"), ("First", "percent"),
             ("Second", "percent"), ("z", "number"), ("p-value", "pvalue"), ("Status", "status"), ("Note", "text")),
            change_rows, note="Only tests that could be computed are listed.",
        ))

    z_tests = (pooled.get("migration_z_tests") or {}).get("cells") or []
    z_rows = [(cell.get("from_grade"), cell.get("to_grade"), cell.get("rate"), cell.get("neighbour_rate"), cell.get("z"),
               cell.get("p_value"), cell.get("status")) for cell in z_tests if isinstance(cell, dict) and cell.get("p_value") is not None]
    if z_rows:
        tables.append(make_table(
            "Migration z-tests", "Migration z-tests of the pooled matrix (ECB)",
            (("From grade", "text"), ("To grade", "text"), ("Rate", "percent"), ("Neighbour rate", "percent"), ("z", "number"),
             ("p-value", "pvalue"), ("Status", "status")),
            z_rows,
        ))
    if not charts and not tables:
        return None
    return Section("rates", "Migration rates and tests", tuple(charts), tuple(tables),
                   notes=tuple(text_of(warning) for warning in results.get("warnings") or []))


SECTIONS = (matrix_section, rates_section)


def period(source: ReportInput) -> str:
    """Describe the snapshot dates a transition result compares."""
    pooled = source.results.get("pooled") or {}
    used = (source.results.get("parameters") or {}).get("periods_used") or []
    text = f"{pooled.get('from_period')} to {pooled.get('to_period')}"
    if used:
        text += f" ({len(used)} snapshot dates: {text_of(used)})"
    return text


def _percent_text(value: Any) -> str:
    if not isinstance(value, (int, float)) or value == 0:
        return ""
    return f"{value:.0%}" if value >= 0.01 else "<1%"
