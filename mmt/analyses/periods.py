"""Period columns and period values named in analysis requests.

A request names periods as text ("2024-06-30", "2024Q2", "reference") or
numbers (202406). They are matched against the labels of the column's
distinct values: ISO text for dates, integral numbers without ".0", other
values as stripped text. An ISO date-time such as "2024-06-30T00:00:00"
matches the date 2024-06-30.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from mmt.errors import ValidationError

__all__ = [
    "PERIOD_COLUMNS",
    "PeriodOption",
    "find_period_column",
    "match_periods",
    "period_label",
    "requested_periods",
]

PeriodValue = str | int | float
PeriodOption = PeriodValue | list[PeriodValue] | None

# Period columns looked for, in this order, when the request names none.
PERIOD_COLUMNS = ("snapshot_date", "period", "date")

_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def period_label(value: Any) -> str:
    """Return the text of a period value: ISO dates, integral numbers without ".0"."""
    if isinstance(value, dt.datetime):
        # pandas.Timestamp.time() drops nanoseconds, so they are checked on their own.
        midnight = value.time() == dt.time(0) and not getattr(value, "nanosecond", 0)
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def requested_periods(option: PeriodOption) -> list[str] | None:
    """Return the labels of the periods an option names, ``None`` when it names none."""
    if option is None:
        return None
    items = option if isinstance(option, list) else [option]
    return [period_label(item) for item in items]


def match_periods(requested: list[str], labels: dict[Any, str], option: str, column: str,
                  dataset: str) -> tuple[Any, ...]:
    """Return the raw values of ``column`` whose labels the request names, without repeats.

    Raises
    ------
    ValidationError
        ``unknown_period`` naming the labels that match no value and listing
        the available ones.
    """
    by_label = {label: value for value, label in labels.items()}
    matched: list[Any] = []
    unknown: list[str] = []
    for label in requested:
        if label not in by_label and _ISO_DATE_TIME.match(label):
            label = label[:10]
        if label not in by_label:
            unknown.append(label)
        elif by_label[label] not in matched:
            matched.append(by_label[label])
    if unknown:
        available = list(labels.values())
        raise ValidationError(
            f"Option {option}: {', '.join(unknown)} is not a value of column {column} in the {dataset}. "
            f"Choose from: {', '.join(available[:50])}.",
            code="unknown_period",
            details={"option": option, "unknown": unknown, "available": available[:200]},
        )
    return tuple(matched)


def find_period_column(requested: str | None, columns: dict[str, Any] | set[str] | list[str]) -> str | None:
    """Return the requested period column, or the first of :data:`PERIOD_COLUMNS` present.

    Raises
    ------
    ValidationError
        ``missing_column`` when the requested column is not in ``columns``.
    """
    if requested is not None:
        if requested not in columns:
            raise ValidationError(
                f"Option period_column: the dataset has no column {requested}.",
                code="missing_column",
                details={"option": "period_column", "missing": [requested], "columns": sorted(columns)},
            )
        return requested
    return next((column for column in PERIOD_COLUMNS if column in columns), None)
