"""Reports of stored analysis results: a self-contained HTML page and an Excel workbook.

:func:`build_report` turns a :class:`ReportInput` (a stored result as plain
values) into a :class:`Report` of sections, charts and tables;
:func:`render_html` and :func:`render_xlsx` write it out.
"""

from __future__ import annotations

from mmt.reports.build import build_report
from mmt.reports.html import HtmlReport, render_html
from mmt.reports.model import Chart, Column, Report, ReportInput, Section, Table
from mmt.reports.xlsx import render_xlsx

__all__ = [
    "Chart",
    "Column",
    "HtmlReport",
    "Report",
    "ReportInput",
    "Section",
    "Table",
    "build_report",
    "render_html",
    "render_xlsx",
]
