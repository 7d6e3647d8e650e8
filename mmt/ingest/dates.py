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

A value such as ``03/04/2023`` is ambiguous on its own (3 April or 4 March).
The column settles it: when some of its values can only be read day-first
(``13/04/2023``) and none can only be read month-first (``04/13/2023``), every
ambiguous value is read day-first, and the reverse. A column with no deciding
value, or with values of both kinds, keeps its ambiguous values rejected
unless the user gives ``date_format`` (a :func:`datetime.strptime` format
such as ``%d/%m/%Y``). Values matching that format are read with it, and the
others still go through the rules above. Two-digit years are rejected for the
same reason (the century is a guess), whatever the column holds.

The column arrives batch by batch, so the order is settled by the values of
the batches read so far, the current one included. Rows already read in one
order cannot be read again. So when a later batch contradicts that order, its
contradicting values are rejected as ambiguous, and the upload fails rather
than keeping dates read the wrong way round.

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
    #: DAY_FIRST or MONTH_FIRST when the text is a valid date in that order only (``13/04/2023``).
    order: str | None = None
    #: An ambiguous day/month text's two readings in days, day-first then month-first, and its separator.
    readings: tuple[int, int, str] | None = None


#: The two orders of a day/month/year text such as ``13/04/2023`` or ``04/13/2023``.
DAY_FIRST = "day_first"
MONTH_FIRST = "month_first"


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
        return _with_order(_ok(_days(year, second, first), f"DD{separator}MM{separator}YYYY"), DAY_FIRST)
    if second > 12 and first <= 12:
        return _with_order(_ok(_days(year, first, second), f"MM{separator}DD{separator}YYYY"), MONTH_FIRST)
    if first == second:
        return _ok(_days(year, first, second), f"DD{separator}MM{separator}YYYY")
    if first > 12 and second > 12:
        return ParsedDate(None, error="invalid")
    # Both parts are at most 12, so both readings are dates unless the year is 0000.
    day_first, month_first = _days(year, second, first), _days(year, first, second)
    if day_first is None or month_first is None:
        return ParsedDate(None, error="invalid")
    return ParsedDate(None, error="ambiguous", readings=(day_first, month_first, separator))


def _with_order(parsed: ParsedDate, order: str) -> ParsedDate:
    """Mark a valid date as readable in ``order`` only; an invalid one (``31/02/2023``) decides nothing."""
    if parsed.days is None:
        return parsed
    return ParsedDate(parsed.days, parsed.format, parsed.period, order=order)


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
    """Parse a column batch by batch, caching each distinct text.

    The parser also settles the column's day/month order from the values it
    has seen (see the module docstring) and reads ambiguous values in that
    order. :meth:`order_note` returns the values that decided it.
    """

    #: Deciding values kept per order for :meth:`order_note`.
    EXAMPLES = 5

    def __init__(self, date_format: str | None = None) -> None:
        self.date_format = date_format
        self._cache: dict[str, ParsedDate] = {}
        #: Distinct texts readable in one order only, first seen first, at most EXAMPLES per order.
        self._deciding: dict[str, list[str]] = {DAY_FIRST: [], MONTH_FIRST: []}
        #: The order used to read ambiguous values so far, and the distinct texts it read. Texts rather than
        #: rows, because the first batch is parsed twice (to plan the column, then to convert it).
        self._used_order: str | None = None
        self._resolved: set[str] = set()

    def parse_text(self, text: str) -> ParsedDate:
        """Parse one trimmed text, with the cache."""
        parsed = self._cache.get(text)
        if parsed is None:
            parsed = parse_date_text(text, self.date_format)
            if len(self._cache) < 1_000_000:
                self._cache[text] = parsed
        return parsed

    def order(self) -> str | None:
        """Return DAY_FIRST or MONTH_FIRST when the values seen so far decide the column's order, else None."""
        day_first, month_first = (bool(self._deciding[order]) for order in (DAY_FIRST, MONTH_FIRST))
        if day_first == month_first:
            return None
        return DAY_FIRST if day_first else MONTH_FIRST

    def order_note(self) -> dict | None:
        """Describe how ambiguous day/month values were read, or return None when none was.

        The upload reports it in the column's quality figures and as a
        ``date_order_inferred`` warning.

        Returns
        -------
        dict or None
            ``order`` (DAY_FIRST or MONTH_FIRST), ``deciding_values`` (up to
            :attr:`EXAMPLES` distinct texts that can only be read that way),
            ``resolved_count`` (distinct ambiguous texts read in that order)
            and ``resolved_values`` (up to :attr:`EXAMPLES` of them, sorted).
        """
        if self._used_order is None:
            return None
        return {
            "order": self._used_order,
            "deciding_values": list(self._deciding[self._used_order]),
            "resolved_count": len(self._resolved),
            "resolved_values": sorted(self._resolved)[: self.EXAMPLES],
        }

    def contradiction(self) -> str | None:
        """Describe why ambiguous values are rejected after the column's order was used, or return None."""
        if self._used_order is None or self.order() == self._used_order:
            return None
        other = MONTH_FIRST if self._used_order == DAY_FIRST else DAY_FIRST
        used_words, other_words = (order.replace("_", " ") for order in (self._used_order, other))
        return (
            f"Earlier rows were read {used_words} because of values such as {', '.join(self._deciding[self._used_order])}, "
            f"but values such as {', '.join(self._deciding[other])} can only be read {other_words}, so the order of "
            "this column is unknown."
        )

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
        # Everything below works on the distinct values of the batch; only the take() calls touch every row.
        encoded = pc.dictionary_encode(values)
        dictionary = encoded.dictionary.to_pylist()
        results = [self._parse_value(value) for value in dictionary]
        indices = encoded.indices
        index_values = indices.to_numpy(zero_copy_only=False)
        if indices.null_count:
            index_values = index_values[pc.is_valid(indices).to_numpy(zero_copy_only=False)]
        counts = np.bincount(index_values.astype(np.int64), minlength=len(results)) if len(results) else []
        results = self._apply_order(dictionary, results, counts)
        days = pa.array([result.days for result in results], pa.int32())
        invalid_lookup = pa.array([result.error == "invalid" for result in results], pa.bool_())
        ambiguous_lookup = pa.array([result.error == "ambiguous" for result in results], pa.bool_())
        dates = pc.cast(pc.take(days, indices), pa.date32())
        invalid = pc.fill_null(pc.take(invalid_lookup, indices), False)
        ambiguous = pc.fill_null(pc.take(ambiguous_lookup, indices), False)
        formats: dict[str, int] = {}
        any_period = False
        parsed_count = 0
        for result, count in zip(results, counts):
            if result.days is not None and count:
                formats[result.format] = formats.get(result.format, 0) + int(count)
                any_period = any_period or result.period
                parsed_count += int(count)
        return DateBatch(dates, invalid, ambiguous, formats, any_period, parsed_count)

    def _apply_order(self, dictionary: list, results: list[ParsedDate], counts) -> list[ParsedDate]:
        """Read the batch's ambiguous values in the column's order, given the deciding values seen so far.

        Once ambiguous rows were read in one order, a value that can only be
        read in the other order is marked ambiguous. Those earlier rows are
        already written, so the upload has to fail.

        NOTE: ambiguous values in batches before the first deciding value are
        rejected, even when a later batch settles the order, because they are
        written before that batch is read.
        """
        has_readings = False
        for value, result, count in zip(dictionary, results, counts):
            if result.order is not None and count:
                examples = self._deciding[result.order]
                text = value.strip() if isinstance(value, str) else str(value)
                # The first batch is parsed twice (to plan the column, then to convert it), so texts repeat.
                if len(examples) < self.EXAMPLES and text not in examples:
                    examples.append(text)
            has_readings = has_readings or result.readings is not None
        order = self.order()
        contradicted = self._used_order is not None and order != self._used_order
        if not has_readings and not contradicted:
            return results
        settled: list[ParsedDate] = []
        for value, result in zip(dictionary, results):
            if result.readings is not None and order is not None and not contradicted:
                day_first, month_first, separator = result.readings
                name = (
                    f"DD{separator}MM{separator}YYYY" if order == DAY_FIRST else f"MM{separator}DD{separator}YYYY"
                )
                result = ParsedDate(day_first if order == DAY_FIRST else month_first, name)
                self._used_order = order
                self._resolved.add(value.strip())
            elif contradicted and result.order is not None and result.order != self._used_order:
                result = ParsedDate(None, error="ambiguous")
            settled.append(result)
        return settled

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
