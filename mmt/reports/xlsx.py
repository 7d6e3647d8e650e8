"""The Excel export of a report: a facts sheet, then one worksheet per table.

Numbers are written as numbers (with a number format, never as text), status
cells are filled green, amber or red and keep their word, and text that a
spreadsheet could read as a formula is neutralised (see :func:`neutralise`).
"""

from __future__ import annotations

import io
import math
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from mmt.reports.model import Report, Table

# Excel reads a cell starting with these as a formula (OWASP, "CSV Injection"):
# "=", "+", "-", "@", and tab or carriage return before them.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Excel's "Good", "Neutral" and "Bad" cell styles.
STATUS_STYLES = {
    "green": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "amber": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "red": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
}
NUMBER_FORMATS = {"integer": "#,##0", "number": "General", "pvalue": "General", "percent": "0.00%"}
MAX_COLUMN_WIDTH = 60


def neutralise(text: str) -> str:
    """Prefix ``'`` to text that starts like a formula, so it stays text when edited or saved as CSV."""
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def render_xlsx(report: Report) -> bytes:
    """Write ``report`` as an XLSX workbook and return its bytes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {
        "in_memory": True,
        # write_string is used for text anyway; these stop write() from guessing.
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    formats = _Formats(workbook)
    _write_facts(workbook.add_worksheet("Report"), report, formats)
    used_names = {"report"}
    for table in report.tables():
        name = _unique_name(table.sheet, used_names)
        _write_table(workbook.add_worksheet(name), table, formats)
    workbook.close()
    return buffer.getvalue()


class _Formats:
    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.heading = workbook.add_format({"bold": True, "font_size": 12})
        self.label = workbook.add_format({"bold": True, "font_color": "#444444", "valign": "top"})
        self.header = workbook.add_format({"bold": True, "bg_color": "#E7EAF0", "bottom": 1, "text_wrap": True, "valign": "top"})
        self.note = workbook.add_format({"italic": True, "font_color": "#555555"})
        self.text = workbook.add_format({"valign": "top"})
        self.wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.numbers = {kind: workbook.add_format({"num_format": code}) for kind, code in NUMBER_FORMATS.items()}
        self.statuses = {status: workbook.add_format({**style, "bold": True}) for status, style in STATUS_STYLES.items()}


def _write_facts(sheet: Worksheet, report: Report, formats: _Formats) -> None:
    sheet.write_string(0, 0, neutralise(report.title), formats.title)
    row = 2
    for label, value in report.header:
        sheet.write_string(row, 0, neutralise(label), formats.label)
        sheet.write_string(row, 1, neutralise(value), formats.wrapped)
        row += 1

    row += 1
    sheet.write_string(row, 0, "Thresholds used", formats.heading)
    row += 1
    for title, column in (("Threshold", 0), ("Value", 1), ("Meaning", 2)):
        sheet.write_string(row, column, title, formats.header)
    for key, value, meaning in report.thresholds_used:
        row += 1
        sheet.write_string(row, 0, neutralise(key), formats.text)
        _write_number(sheet, row, 1, value, formats.numbers["number"])
        sheet.write_string(row, 2, neutralise(meaning), formats.text)

    row += 2
    sheet.write_string(row, 0, "Statuses", formats.heading)
    for status in ("red", "amber", "green", "none"):
        row += 1
        style = formats.statuses.get(status, formats.label)
        sheet.write_string(row, 0, status if status != "none" else "without status", style)
        _write_number(sheet, row, 1, report.status_counts.get(status, 0), formats.numbers["integer"])

    if report.problems:
        row += 2
        sheet.write_string(row, 0, "Parts that could not be built", formats.heading)
        for problem in report.problems:
            row += 1
            sheet.write_string(row, 0, neutralise(problem), formats.text)

    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 90)
    sheet.set_column(2, 2, 60)


def _write_table(sheet: Worksheet, table: Table, formats: _Formats) -> None:
    sheet.write_string(0, 0, neutralise(table.title), formats.heading)
    header_row = 1
    if table.note:
        sheet.write_string(1, 0, neutralise(table.note), formats.note)
        header_row = 2
    widths = [len(column.title) for column in table.columns]
    for index, column in enumerate(table.columns):
        sheet.write_string(header_row, index, neutralise(column.title), formats.header)
    for offset, values in enumerate(table.rows, start=1):
        row = header_row + offset
        for index, (column, value) in enumerate(zip(table.columns, values)):
            widths[index] = max(widths[index], _shown_width(value, column.kind))
            if value is None:
                continue
            if column.kind == "status":
                sheet.write_string(row, index, str(value), formats.statuses.get(str(value), formats.text))
            elif column.kind == "text":
                sheet.write_string(row, index, neutralise(str(value)), formats.text)
            else:
                _write_number(sheet, row, index, value, formats.numbers[column.kind])
    for index, width in enumerate(widths):
        sheet.set_column(index, index, min(MAX_COLUMN_WIDTH, max(8, width + 2)))
    sheet.freeze_panes(header_row + 1, 0)
    if table.rows:
        sheet.autofilter(header_row, 0, header_row + len(table.rows), len(table.columns) - 1)


def _write_number(sheet: Worksheet, row: int, column: int, value: Any, number_format) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        # NOTE: make_table already turns non-numbers in numeric columns into None; this keeps a stray one visible.
        sheet.write_string(row, column, neutralise(str(value)))
        return
    # NOTE: xlsxwriter writes 16 significant digits, so a double may come back one unit in the last place off.
    sheet.write_number(row, column, value, number_format)


def _shown_width(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind in ("text", "status"):
        return len(str(value))
    return 12


def _unique_name(name: str, used: set[str]) -> str:
    """Return ``name``, or ``name`` with a number, so no two sheets share a case-insensitive name."""
    candidate = name
    counter = 2
    while candidate.lower() in used:
        suffix = f" {counter}"
        candidate = name[: 31 - len(suffix)] + suffix
        counter += 1
    used.add(candidate.lower())
    return candidate
