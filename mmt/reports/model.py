"""Building blocks of a report: the stored result it reads, tables, charts and sections.

The HTML and the Excel renderers share these objects, so both show the same
tables with the same values: the HTML file draws the charts and the tables,
the workbook has one sheet per table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import plotly.graph_objects as go

ColumnKind = Literal["text", "integer", "number", "percent", "pvalue", "status"]


@dataclass(frozen=True, slots=True)
class ReportInput:
    """A stored analysis result with the datasets it read, as plain values."""

    result_id: int
    analysis_type: str
    created_at: str
    software_version: str
    input_sha256: str
    duration_ms: float
    parameters: dict[str, Any]
    thresholds: dict[str, Any]
    statuses: list[dict[str, Any]]
    warnings: list[Any]
    results: dict[str, Any]
    dataset: dict[str, Any] | None = None
    reference_dataset: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its title and how its values are shown.

    ``percent`` values are fractions (0.05 is shown as 5.00 %); ``status``
    values are ``green``, ``amber``, ``red`` or ``None``.
    """

    title: str
    kind: ColumnKind = "number"


@dataclass(frozen=True, slots=True)
class Table:
    """A table of a report and one sheet of the workbook.

    ``sheet`` is the worksheet name (at most 31 characters, unique in a report).
    """

    sheet: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str | None = None

    def __post_init__(self) -> None:
        if len(self.sheet) > 31 or any(ch in self.sheet for ch in "[]:*?/\\"):
            raise ValueError(f"Invalid worksheet name {self.sheet!r}: at most 31 characters and none of []:*?/\\.")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"Table {self.sheet!r}: a row has {len(row)} values for {len(self.columns)} columns.")


@dataclass(frozen=True, slots=True)
class Chart:
    """A Plotly figure with its title and a caption that explains how to read it.

    A ``wide`` chart (a time series, a heatmap) takes the full width of the page.
    """

    key: str
    title: str
    figure: go.Figure
    caption: str | None = None
    wide: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """A titled part of a report: its charts, then its tables."""

    key: str
    title: str
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a renderer needs: header facts, the status table and the sections."""

    title: str
    header: tuple[tuple[str, str], ...]
    thresholds_used: tuple[tuple[str, float, str], ...]
    summary: Table
    status_counts: dict[str, int]
    sections: tuple[Section, ...]
    appendix: tuple[Table, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)

    def tables(self) -> list[Table]:
        """Return every table in reading order: the summary, the sections', the appendix."""
        tables = [self.summary]
        for section in self.sections:
            tables.extend(section.tables)
        tables.extend(self.appendix)
        return tables

    def charts(self) -> list[Chart]:
        """Return every chart in reading order."""
        return [chart for section in self.sections for chart in section.charts]
