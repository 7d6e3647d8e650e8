"""Parsing of date and period columns.

Accepted without options: ISO dates (``2023-12-31``, also with a time),
``2023/12/31`` and ``2023.12.31``, day-month-year or month-day-year with
``/``, ``.`` or ``-`` when the day is above 12 (``31/12/2023``,
``12/31/2023``), month names (``Dec 31 2023``, ``31 Dec 2023``,
``December 31, 2023``, ``31-Dec-2023``), ``YYYYMMDD`` and periods: quarters
(``2020Q1``, ``2020-Q1``, ``Q1 2020``), months (``YYYYMM`` such as
``200312``, ``2023-12``, ``Dec 2023``). A period is stored as its last day.

A date with a time keeps the calendar date as written, whatever the time
and the offset: ``2023-01-01T23:30:00-05:00`` is 2023-01-01, not the UTC
date 2023-01-02. A Parquet timestamp with a time zone is read the same way,
as its date in that zone, and year 1 follows the same rule as any other.

A value such as ``03/04/2023`` is ambiguous (3 April or 4 March) and is
rejected unless the user gives ``date_format`` (a :func:`datetime.strptime`
format such as ``%d/%m/%Y``). Values matching that format are read with it,
and the others still go through the rules above. Two-digit years are
rejected for the same reason (the century is a guess).

A column contains few distinct dates, so each distinct text is parsed once in
Python and the result is mapped back onto the rows with Arrow.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_EPOCH = dt.date(1970, 1, 1)

_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?P<separator>[T ])\d{1,2}:\d{2}(?P<seconds>:\d{2}(?:\.(?P<fraction>\d+))?)?(?P<zone>Z|[+-]\d{2}:?\d{2})?)?$"
)
_YMD = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})$")
_XY = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})(?: 00:00(?::00)?)?$")
_COMPACT_DAY = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_COMPACT_MONTH = re.compile(r"^(\d{4})(\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_QUARTER_FIRST_YEAR = re.compile(r"^(\d{4})\s*[-/ ]?\s*[Qq]([1-4])$")
_QUARTER_FIRST_Q = re.compile(r"^[Qq]([1-4])\s*[-/ ]?\s*(\d{4})$")
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$")

_MONTH_NAME_DAY_FORMATS = (
    ("%b %d %Y", "Mon DD YYYY"),
    ("%B %d %Y", "Month DD YYYY"),
    ("%b %d, %Y", "Mon DD, YYYY"),
    ("%B %d, %Y", "Month DD, YYYY"),
    ("%d %b %Y", "DD Mon YYYY"),
    ("%d %B %Y", "DD Month YYYY"),
    ("%d-%b-%Y", "DD-Mon-YYYY"),
    ("%d-%B-%Y", "DD-Month-YYYY"),
)
_MONTH_NAME_FORMATS = (
    ("%b %Y", "Mon YYYY"),
    ("%B %Y", "Month YYYY"),
    ("%b-%Y", "Mon-YYYY"),
    ("%B-%Y", "Month-YYYY"),
)


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """Result of parsing one text: days since 1970-01-01, or an error."""

    days: int | None
    format: str | None = None
    period: bool = False
    error: str | None = None  # "invalid" or "ambiguous"


def _days(year: int, month: int, day: int) -> int | None:
    try:
        return (dt.date(year, month, day) - _EPOCH).days
    except ValueError:
        return None


def _month_end(year: int, month: int) -> int | None:
    if not 1 <= month <= 12 or year < 1:
        return None
    return _days(year, month, calendar.monthrange(year, month)[1])


def _ok(days: int | None, name: str, period: bool = False) -> ParsedDate:
    if days is None:
        return ParsedDate(None, error="invalid")
    return ParsedDate(days, name, period)


def parse_date_text(text: str, date_format: str | None = None) -> ParsedDate:
    """Parse one trimmed text to a date or period end (see the module docstring)."""
    if date_format:
        try:
            parsed = dt.datetime.strptime(text, date_format)
        except ValueError:
            pass
        else:
            return _ok((parsed.date() - _EPOCH).days, date_format)
    match = _ISO.match(text)
    if match:
        return _ok(_days(int(match[1]), int(match[2]), int(match[3])), _iso_format_name(match))
    match = _YMD.match(text)
    if match:
        return _ok(_days(int(match[1]), int(match[3]), int(match[4])), f"YYYY{match[2]}MM{match[2]}DD")
    match = _XY.match(text)
    if match:
        return _parse_day_month(int(match[1]), int(match[3]), int(match[4]), match[2])
    match = _COMPACT_DAY.match(text)
    if match:
        return _ok(_days(int(match[1]), int(match[2]), int(match[3])), "YYYYMMDD")
    match = _COMPACT_MONTH.match(text)
    if match:
        return _ok(_month_end(int(match[1]), int(match[2])), "YYYYMM", period=True)
    match = _YEAR_MONTH.match(text)
    if match:
        return _ok(_month_end(int(match[1]), int(match[2])), "YYYY-MM", period=True)
    match = _QUARTER_FIRST_YEAR.match(text)
    if match:
        return _ok(_month_end(int(match[1]), 3 * int(match[2])), "YYYYQn", period=True)
    match = _QUARTER_FIRST_Q.match(text)
    if match:
        return _ok(_month_end(int(match[2]), 3 * int(match[1])), "Qn YYYY", period=True)
    if _TWO_DIGIT_YEAR.match(text):
        return ParsedDate(None, error="ambiguous")
    if any(character.isalpha() for character in text):
        return _parse_month_name(text)
    return ParsedDate(None, error="invalid")


def _iso_format_name(match: re.Match) -> str:
    """Describe an ISO date's written form, such as ``YYYY-MM-DDThh:mm:ss.fff±hh:mm``, for the format counts."""
    if match["separator"] is None:
        return "YYYY-MM-DD"
    name = f"YYYY-MM-DD{match['separator']}hh:mm"
    if match["seconds"]:
        name += ":ss"
    if match["fraction"]:
        name += "." + "f" * len(match["fraction"])
    zone = match["zone"]
    if zone == "Z":
        name += "Z"
    elif zone:
        name += "±hh:mm" if ":" in zone else "±hhmm"
    return name


def _parse_day_month(first: int, second: int, year: int, separator: str) -> ParsedDate:
    if first > 12 and second <= 12:
        return _ok(_days(year, second, first), f"DD{separator}MM{separator}YYYY")
    if second > 12 and first <= 12:
        return _ok(_days(year, first, second), f"MM{separator}DD{separator}YYYY")
    if first == second:
        return _ok(_days(year, first, second), f"DD{separator}MM{separator}YYYY")
    if first > 12 and second > 12:
        return ParsedDate(None, error="invalid")
    return ParsedDate(None, error="ambiguous")


def _parse_month_name(text: str) -> ParsedDate:
    compact = " ".join(text.split())
    for pattern, name in _MONTH_NAME_DAY_FORMATS:
        try:
            parsed = dt.datetime.strptime(compact, pattern)
        except ValueError:
            continue
        return _ok((parsed.date() - _EPOCH).days, name)
    for pattern, name in _MONTH_NAME_FORMATS:
        try:
            parsed = dt.datetime.strptime(compact, pattern)
        except ValueError:
            continue
        return _ok(_month_end(parsed.year, parsed.month), name, period=True)
    return ParsedDate(None, error="invalid")


@dataclass(slots=True)
class DateBatch:
    """Dates of one batch with the masks and format counts needed for checks."""

    dates: pa.Array  # date32
    invalid: pa.Array  # bool
    ambiguous: pa.Array  # bool
    formats: dict[str, int]
    any_period: bool
    parsed_count: int


class DateParser:
    """Parse a column batch by batch, caching each distinct text."""

    def __init__(self, date_format: str | None = None) -> None:
        self.date_format = date_format
        self._cache: dict[str, ParsedDate] = {}

    def parse_text(self, text: str) -> ParsedDate:
        """Parse one trimmed text, with the cache."""
        parsed = self._cache.get(text)
        if parsed is None:
            parsed = parse_date_text(text, self.date_format)
            if len(self._cache) < 1_000_000:
                self._cache[text] = parsed
        return parsed

    def parse(self, values: pa.Array) -> DateBatch:
        """Parse an Arrow array of text, numbers (``YYYYMM``, ``YYYYMMDD``), dates or timestamps."""
        if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
            dates = pc.cast(values, options=pc.CastOptions(pa.date32(), allow_time_truncate=True))
            false = pa.array(np.zeros(len(values), dtype=bool))
            return DateBatch(
                dates, false, false, {"date": len(values) - values.null_count}, False, len(values) - values.null_count
            )
        if pa.types.is_boolean(values.type) or pa.types.is_null(values.type):
            values = (
                pc.cast(values, pa.string())
                if not pa.types.is_null(values.type)
                else pa.nulls(len(values), pa.string())
            )
        encoded = pc.dictionary_encode(values)
        dictionary = encoded.dictionary.to_pylist()
        results = [self._parse_value(value) for value in dictionary]
        indices = encoded.indices
        days = pa.array([result.days for result in results], pa.int32())
        invalid_lookup = pa.array([result.error == "invalid" for result in results], pa.bool_())
        ambiguous_lookup = pa.array([result.error == "ambiguous" for result in results], pa.bool_())
        dates = pc.cast(pc.take(days, indices), pa.date32())
        invalid = pc.fill_null(pc.take(invalid_lookup, indices), False)
        ambiguous = pc.fill_null(pc.take(ambiguous_lookup, indices), False)
        index_values = indices.to_numpy(zero_copy_only=False)
        if indices.null_count:
            index_values = index_values[pc.is_valid(indices).to_numpy(zero_copy_only=False)]
        counts = np.bincount(index_values.astype(np.int64), minlength=len(results)) if len(results) else []
        formats: dict[str, int] = {}
        any_period = False
        parsed_count = 0
        for result, count in zip(results, counts):
            if result.days is not None and count:
                formats[result.format] = formats.get(result.format, 0) + int(count)
                any_period = any_period or result.period
                parsed_count += int(count)
        return DateBatch(dates, invalid, ambiguous, formats, any_period, parsed_count)

    def _parse_value(self, value: object) -> ParsedDate:
        if isinstance(value, str):
            text = value.strip()
            # A blank cell is a missing date, not an invalid one.
            return self.parse_text(text) if text else ParsedDate(None)
        if isinstance(value, bool):
            return ParsedDate(None, error="invalid")
        if isinstance(value, (int, float)):
            if isinstance(value, float) and not value.is_integer():
                return ParsedDate(None, error="invalid")
            return self.parse_text(str(int(value)))
        return ParsedDate(None, error="invalid")
