"""The HTML report: one self-contained file with Plotly inlined, safe to open offline.

Every string from a result (dataset names, column names, grade labels) goes
through Jinja2's autoescaping in the page and through
:func:`~mmt.reports.figures.script_safe_json` in the chart data. The page runs
three scripts: plotly.js from the installed ``plotly`` package, the figures as
a JSON data block, and a small renderer. The two executable scripts are
allowed by their SHA-256 hashes in a Content-Security-Policy, so the page
needs neither ``unsafe-inline`` scripts nor any network access.
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
import plotly.offline
from markupsafe import Markup

from mmt.reports.figures import figure_payload, script_safe_json
from mmt.reports.model import Column, Report

# Tables longer than this are folded in a <details> element.
FOLD_ROWS = 25

RENDER_SCRIPT = """(function () {
  "use strict";
  var figures = JSON.parse(document.getElementById("mmt-figures").textContent);
  document.querySelectorAll("[data-figure]").forEach(function (node) {
    var figure = figures[Number(node.getAttribute("data-figure"))];
    Plotly.newPlot(node, figure.data, figure.layout, figure.config).then(function () {
      node.setAttribute("data-rendered", "true");
    }, function (error) {
      node.setAttribute("data-rendered", "error");
      console.error("Chart " + node.id + " could not be drawn: " + error);
    });
  });
})();"""


@dataclass(frozen=True, slots=True)
class HtmlReport:
    """A rendered report and the Content-Security-Policy that its scripts need."""

    html: str
    content_security_policy: str


@lru_cache(maxsize=1)
def _plotly_js() -> tuple[str, str]:
    source = plotly.offline.get_plotlyjs()
    return source, _script_hash(source)


def _script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(*script_hashes: str, for_meta: bool = False) -> str:
    """Build the policy of a report page.

    Plotly sets inline styles and draws heatmaps into ``data:`` images, so
    styles and images are allowed inline; nothing may be fetched.
    ``frame-ancestors`` is only valid in an HTTP header, not in a ``<meta>`` tag.
    """
    directives = [
        "default-src 'none'",
        "script-src " + " ".join(script_hashes),
        "style-src 'unsafe-inline'",
        "img-src data: blob:",
        "font-src data:",
        "base-uri 'none'",
        "form-action 'none'",
    ]
    if not for_meta:
        directives.append("frame-ancestors 'none'")
    return "; ".join(directives)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("mmt", "web/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["cell"] = format_cell
    return environment


def render_html(report: Report) -> HtmlReport:
    """Render ``report`` as a standalone HTML page.

    Returns
    -------
    HtmlReport
        The page and the policy to send with it as a header.
    """
    plotly_js, plotly_hash = _plotly_js()
    render_hash = _script_hash(RENDER_SCRIPT)
    charts = report.charts()
    figures_json = script_safe_json([figure_payload(chart.figure) for chart in charts])
    chart_index = {chart.key: index for index, chart in enumerate(charts)}
    if len(chart_index) != len(charts):
        raise ValueError("Chart keys must be unique within a report.")
    page = _environment().get_template("report.html").render(
        report=report,
        chart_index=chart_index,
        fold_rows=FOLD_ROWS,
        meta_policy=content_security_policy(plotly_hash, render_hash, for_meta=True),
        plotly_js=Markup(plotly_js),
        figures_json=Markup(figures_json),
        render_js=Markup(RENDER_SCRIPT),
    )
    return HtmlReport(html=page, content_security_policy=content_security_policy(plotly_hash, render_hash))


def format_cell(value: Any, column: Column) -> str:
    """Format a table value for the page; numbers keep four decimals or four significant digits."""
    if value is None:
        return ""
    kind = column.kind
    if kind in ("text", "status"):
        return str(value)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return str(value)
    if kind == "integer":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if kind == "percent":
        return _format_percent(value)
    return format_number(value)


def format_number(value: float) -> str:
    """Format a figure for reading: thousands separators for large values, scientific for tiny ones."""
    if value == 0:
        return "0"
    if isinstance(value, int):
        # Counts among the figures (facilities, obligors) are whole numbers, shown without decimals.
        return f"{value:,}"
    magnitude = abs(value)
    if magnitude >= 1e5:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:,.2f}"
    if magnitude >= 1e-3:
        return f"{value:.4f}"
    return f"{value:.3e}"


def _format_percent(value: float) -> str:
    if value != 0 and abs(value) < 1e-4:
        return f"{value * 100:.2e} %"
    return f"{value * 100:.2f} %"
