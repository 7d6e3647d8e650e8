"""Report sections of the stability (PSI/CSI per column) and WOE/IV analyses."""

from __future__ import annotations

from typing import Any

from mmt.reports.figures import BLUE, PALETTE, SKY, VERMILLION, add_status_bands, new_figure, status_colours
from mmt.reports.model import Chart, ReportInput, Section
from mmt.reports.pd import bins_table, format_index
from mmt.reports.tables import make_table, text_of

# WOE charts drawn in one report; every column stays in the tables.
MAX_WOE_CHARTS = 30


def stability_index_section(source: ReportInput) -> Section | None:
    """Build the PSI/CSI of every column against the bands, with its table and the bins of each column."""
    columns = _entries(source.results.get("columns"))
    if not columns:
        return None
    thresholds = source.thresholds
    amber, red = thresholds.get("psi_threshold", 0.1), thresholds.get("psi_red_threshold", 0.25)

    ordered = sorted(columns.items(), key=lambda item: -(item[1].get("statistic") or 0.0))
    names = [f"{entry.get('index', 'PSI')} {name}" for name, entry in ordered]
    values = [entry.get("statistic") for _, entry in ordered]
    figure = new_figure(x_title="Index value", height=max(320, 26 * len(names) + 120))
    largest = max([value for value in values if isinstance(value, (int, float))] + [0.0])
    add_status_bands(figure, amber, red, axis="x", maximum=largest * 1.1)
    figure.add_bar(x=values, y=names, orientation="h", marker={"color": status_colours([e.get("status") for _, e in ordered])},
                   text=[format_index(value) for value in values], textposition="outside", showlegend=False,
                   hovertemplate="%{y}: %{x:.4f}<extra></extra>")
    figure.update_yaxes(autorange="reversed", type="category")
    chart = Chart("stability_index", "PSI and CSI per column against the traffic-light bands", figure,
                  f"Bands of the PSI: up to {amber:g} green, up to {red:g} amber, above red; CSI uses "
                  f"{thresholds.get('csi_threshold', amber):g} and {thresholds.get('csi_red_threshold', red):g}.",
                  wide=True)

    summary = make_table(
        "Stability", "Stability index per column",
        (("Column", "text"), ("Index", "text"), ("Kind", "text"), ("Value", "number"), ("Band", "text"),
         ("Status", "status"), ("Chi-square", "number"), ("Degrees of freedom", "integer"), ("p-value", "pvalue"),
         ("Reference rows", "integer"), ("Current rows", "integer"), ("Reason", "text")),
        [(name, entry.get("index"), entry.get("kind"), entry.get("statistic"), entry.get("band"), entry.get("status"),
          entry.get("chi_square"), entry.get("degrees_of_freedom"), entry.get("pvalue"), entry.get("reference_total"),
          entry.get("current_total"), entry.get("reason")) for name, entry in ordered],
    )

    bins = make_table(
        "Stability bins", "Bins per column: reference against current",
        (("Column", "text"), ("Bin", "text"), ("Reference count", "integer"), ("Reference share", "percent"),
         ("Current count", "integer"), ("Current share", "percent"), ("Contribution", "number"), ("Flags", "text")),
        [(name, *row) for name, entry in ordered for row in bins_table("", "", entry).rows],
    )
    return Section("stability_index", "Population and characteristic stability", (chart,), (summary, bins))


def stability_trend_section(source: ReportInput) -> Section | None:
    """Build the index of every column per period of the trend, when the result has two periods or more."""
    trend = {name: [point for point in points if isinstance(point, dict)]
             for name, points in (source.results.get("trend") or {}).items() if isinstance(points, list)}
    trend = {name: points for name, points in trend.items() if len(points) >= 2}
    if not trend:
        return None
    thresholds = source.thresholds
    figure = new_figure(x_title="Period", y_title="Index against the reference rows")
    largest = max([point.get("statistic") or 0.0 for points in trend.values() for point in points] + [0.0])
    add_status_bands(figure, thresholds.get("psi_threshold", 0.1), thresholds.get("psi_red_threshold", 0.25),
                     maximum=largest * 1.1)
    for index, (name, points) in enumerate(trend.items()):
        figure.add_scatter(x=[text_of(point.get("period")) for point in points], y=[point.get("statistic") for point in points],
                           mode="lines+markers", name=name, line={"color": PALETTE[index % len(PALETTE)]})
    figure.update_xaxes(type="category")
    table = make_table(
        "Stability trend", "Index per column and period",
        (("Column", "text"), ("Period", "text"), ("Value", "number"), ("Band", "text"), ("Status", "status"),
         ("p-value", "pvalue"), ("Rows", "integer")),
        [(name, point.get("period"), point.get("statistic"), point.get("band"), point.get("status"), point.get("pvalue"),
          point.get("current_total")) for name, points in trend.items() for point in points],
    )
    return Section("stability_trend", "Stability by period", (Chart("stability_trend", "Index per period", figure, None, wide=True),),
                   (table,))


def woe_section(source: ReportInput) -> Section | None:
    """Build the information value per column, the WOE bars of the strongest columns and the tables of every bin."""
    columns = _entries(source.results.get("columns"))
    if not columns:
        return None

    ordered = sorted(columns.items(), key=lambda item: -(item[1].get("iv") or 0.0))
    names = [name for name, _ in ordered]
    figure = new_figure(x_title="Information value (IV)", height=max(320, 26 * len(names) + 120))
    figure.add_bar(x=[entry.get("iv") for _, entry in ordered], y=names, orientation="h", marker={"color": BLUE},
                   customdata=[text_of(entry.get("strength") or "n/a") for _, entry in ordered],
                   hovertemplate="%{y}: IV %{x:.4f} (%{customdata})<extra></extra>", showlegend=False)
    figure.update_yaxes(type="category", autorange="reversed")
    charts = [Chart("iv", "Information value by column", figure, None, wide=True)]

    for index, (name, entry) in enumerate(ordered[:MAX_WOE_CHARTS]):
        bins = [bin_ for bin_ in entry.get("bins") or [] if isinstance(bin_, dict)]
        if not bins:
            continue
        woe = [bin_.get("woe") for bin_ in bins]
        chart = new_figure(x_title="Bin", y_title="WOE = ln(% events / % non-events)", height=340)
        chart.add_bar(x=[text_of(bin_.get("label")) for bin_ in bins], y=woe, name="WOE",
                      marker={"color": [VERMILLION if (value or 0) > 0 else SKY for value in woe]},
                      customdata=[[bin_.get("count"), bin_.get("event_rate")] for bin_ in bins],
                      hovertemplate="%{x}: WOE %{y:.4f}<br>%{customdata[0]} rows, event rate %{customdata[1]:.2%}<extra></extra>")
        chart.update_xaxes(type="category")
        charts.append(Chart(f"woe_{index}", f"WOE of {name} (IV {format_index(entry.get('iv'))})", chart, None))

    notes = []
    if len(ordered) > MAX_WOE_CHARTS:
        notes.append(f"WOE charts are drawn for the {MAX_WOE_CHARTS} columns of highest IV; the tables list all "
                     f"{len(ordered)} columns.")

    tables = (
        make_table(
            "Information value", "Information value per column",
            (("Column", "text"), ("Kind", "text"), ("Binning", "text"), ("IV", "number"), ("IV without pure bins", "number"),
             ("Strength", "text"), ("Rows", "integer"), ("Events", "integer"), ("WOE trend", "text"), ("Reason", "text")),
            [(name, entry.get("kind"), entry.get("method"), entry.get("iv"), entry.get("iv_exact"), entry.get("strength"),
              entry.get("total_count"), entry.get("total_events"), entry.get("woe_trend"), entry.get("reason"))
             for name, entry in ordered],
        ),
        make_table(
            "WOE bins", "Weight of evidence per bin",
            (("Column", "text"), ("Bin", "text"), ("Rows", "integer"), ("Events", "integer"), ("Non-events", "integer"),
             ("Event rate", "percent"), ("WOE", "number"), ("IV contribution", "number"), ("Flags", "text")),
            [(name, bin_.get("label"), bin_.get("count"), bin_.get("events"), bin_.get("non_events"), bin_.get("event_rate"),
              bin_.get("woe"), bin_.get("iv_bin"), text_of(bin_.get("flags") or []))
             for name, entry in ordered for bin_ in entry.get("bins") or [] if isinstance(bin_, dict)],
            note=text_of(source.results.get("woe_convention")) if source.results.get("woe_convention") else None,
        ),
    )
    return Section("woe", "Weight of evidence and information value", tuple(charts), tables, notes=tuple(notes))


STABILITY_SECTIONS = (stability_index_section, stability_trend_section)
WOE_SECTIONS = (woe_section,)


def stability_period(source: ReportInput) -> str:
    """Describe the reference and current rows of a stability result."""
    periods = source.results.get("periods") or {}
    reference = source.results.get("reference") or {}
    current = periods.get("current")
    current_text = f"current {text_of(current)}" if current else "current all rows"
    if reference.get("source") == "reference_dataset":
        chosen = reference.get("reference_periods")
        return f"{current_text}; reference dataset" + (f" ({text_of(chosen)})" if chosen else "")
    return f"{current_text}; reference {text_of(periods.get('reference') or reference.get('reference_periods') or [])}"


def woe_period(source: ReportInput) -> str:
    """Describe the rows of a WOE result."""
    chosen = (source.results.get("parameters") or {}).get("periods")
    return f"periods {text_of(chosen)}" if chosen else "all rows of the dataset"


def _entries(columns: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(columns, dict):
        return {}
    return {name: entry for name, entry in columns.items() if isinstance(entry, dict)}
