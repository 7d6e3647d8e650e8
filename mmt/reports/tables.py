"""Small helpers to build report tables from result dictionaries."""

from __future__ import annotations

from typing import Any, Iterable

from mmt.reports.figures import finite_or_none
from mmt.reports.model import Column, ColumnKind, Table


def make_table(sheet: str, title: str, columns: Iterable[tuple[str, ColumnKind]], rows: Iterable[Iterable[Any]],
               note: str | None = None) -> Table:
    """Build a :class:`Table`, turning non-finite numbers into ``None``."""
    column_specs = tuple(Column(title, kind) for title, kind in columns)
    clean_rows = []
    for row in rows:
        values = []
        for column, value in zip(column_specs, row):
            if column.kind in ("integer", "number", "percent", "pvalue"):
                values.append(finite_or_none(value))
            elif column.kind == "status":
                values.append(value if value in ("green", "amber", "red") else None)
            else:
                values.append(None if value is None else text_of(value))
        clean_rows.append(tuple(values))
    return Table(sheet=sheet, title=title, columns=column_specs, rows=tuple(clean_rows), note=note)


def text_of(value: Any) -> str:
    """Return a readable text for a label or a small structure (lists are joined with commas)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(text_of(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {text_of(item)}" for key, item in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def entry_value(entry: Any) -> Any:
    """Return the ``value`` of a ``{"value", "status"}`` entry, or the entry itself when it is a number."""
    if isinstance(entry, dict):
        return entry.get("value")
    return entry


def entry_status(entry: Any) -> str | None:
    """Return the traffic light of a ``{"value", "status"}`` entry."""
    if isinstance(entry, dict):
        status = entry.get("status")
        return status if status in ("green", "amber", "red") else None
    return None


def entry_reason(entry: Any) -> str | None:
    """Return why an entry has no value, when it says so."""
    if isinstance(entry, dict) and entry.get("value") is None:
        return entry.get("reason") or entry.get("message")
    return None
