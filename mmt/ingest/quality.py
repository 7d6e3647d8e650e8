"""Data-quality summary, accumulated batch by batch.

Per output column: the stored type, the number of missing values (NaN
included), minimum, maximum and mean of the finite values for numbers
(integers, floats and decimals) with the count of infinite values apart,
first and last date for dates, and the number of distinct values
for text, booleans and binary values (counted exactly up to
:data:`DISTINCT_CAP`, then reported as capped). Everything is plain JSON with
no NaN or infinity.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mmt.errors import ValidationError

DISTINCT_CAP = 1000


class ColumnQuality:
    """Running figures of one output column."""

    def __init__(self, name: str, arrow_type: pa.DataType, role: str | None, source: str | None) -> None:
        self.name = name
        self.type = arrow_type
        self.role = role
        self.source = source
        self.count = 0
        self.missing = 0
        self.minimum = None
        self.maximum = None
        self.total = 0.0
        self.present = 0
        self.distinct: set | None = set()
        self.infinite = 0
        #: First rows (counted from 1) of infinite values, with the values.
        self.infinite_rows: list[int] = []
        self.infinite_values: list[float] = []

    def update(self, array: pa.Array, first_row: int = 0) -> None:
        """Add one batch of the column, whose first value is row ``first_row`` (0-based) of the file."""
        self.count += len(array)
        self.missing += array.null_count
        numeric = _is_numeric(self.type)
        if pa.types.is_duration(self.type) or pa.types.is_interval(self.type):
            # Arrow has no minimum or maximum of durations, so the summary shows their missing count only.
            return
        if numeric or pa.types.is_temporal(self.type):
            if len(array) == array.null_count:
                return
            if pa.types.is_float16(self.type):
                # Arrow has no min_max kernel for half floats. Every half-float value is exact in float32.
                array = pc.cast(array, pa.float32())
            bounds = pc.min_max(array)
            if pa.types.is_floating(self.type) and _any_infinite(bounds):
                array = self._without_infinities(array, first_row)
                if len(array) == array.null_count:
                    return
                bounds = pc.min_max(array)
            low = self._python_bound(array, bounds["min"], first_row)
            high = self._python_bound(array, bounds["max"], first_row)
            if pa.types.is_decimal(self.type):
                # JSON has no decimal type, so the bounds become doubles (about 15 significant digits).
                low, high = float(low), float(high)
            if not _is_nan(low):
                # min_max skips NaN and returns NaN only for a batch of nothing else.
                self.minimum = low if self.minimum is None else min(self.minimum, low)
                self.maximum = high if self.maximum is None else max(self.maximum, high)
            if numeric:
                self._add_to_mean(array)
            return
        if self.distinct is not None and _has_countable_levels(self.type):
            # Hashing a whole batch of identifiers is costly, and a slice already shows when they exceed the cap.
            if len(pc.unique(array.slice(0, 4 * DISTINCT_CAP))) > DISTINCT_CAP:
                self.distinct = None
                return
            for value in pc.unique(array.drop_null()).to_pylist():
                self.distinct.add(value)
                if len(self.distinct) > DISTINCT_CAP:
                    self.distinct = None
                    break

    def _without_infinities(self, array: pa.Array, first_row: int) -> pa.Array:
        """Count the infinite values of a float batch, keeping the first rows, and return it with them as null."""
        infinite = pc.fill_null(pc.is_inf(array), False)
        self.infinite += pc.sum(infinite).as_py() or 0
        room = 5 - len(self.infinite_rows)
        if room > 0:
            indices = pc.indices_nonzero(infinite).slice(0, room)
            self.infinite_rows.extend(first_row + index + 1 for index in indices.to_pylist())
            self.infinite_values.extend(pc.take(array, indices).to_pylist())
        return pc.if_else(infinite, pa.scalar(None, array.type), array)

    def _python_bound(self, array: pa.Array, bound: pa.Scalar, first_row: int) -> Any:
        """Return ``bound`` as a Python value, or raise ``invalid_date`` naming its row when Python has no such date."""
        try:
            return bound.as_py()
        except (OverflowError, ValueError):
            # Python dates stop at year 9999; such values are damage, not data.
            column = self.source or self.name
            row = first_row + pc.index(array, bound).as_py() + 1
            stored = _stored_form(bound)
            raise ValidationError(
                f"Column {column} has a date outside the years 1 to 9999 in row {row} ({stored}). "
                "Correct the value or leave the cell empty, then upload the file again.",
                code="invalid_date",
                details={"column": column, "rows": [row], "values": [stored]},
            ) from None

    def _add_to_mean(self, array: pa.Array) -> None:
        # A safe cast rejects integers beyond 2**53. Rounded to the nearest double, they still give a fair mean.
        doubles = pc.cast(array, pa.float64(), safe=False)
        total = pc.sum(doubles).as_py() or 0.0
        present = len(array) - array.null_count
        if math.isnan(total):
            # A Parquet float column can contain NaN. The analyses bin it as Missing, so the summary counts it as missing.
            is_nan = pc.is_nan(doubles)
            nan_count = pc.sum(is_nan).as_py() or 0
            self.missing += nan_count
            present -= nan_count
            total = pc.sum(pc.filter(doubles, pc.invert(is_nan))).as_py() or 0.0
        self.total += total
        self.present += present

    def summary(self) -> dict:
        """Return the figures as plain JSON values."""
        entry: dict = {"dtype": str(self.type), "missing": self.missing}
        if self.role:
            entry["role"] = self.role
        if self.source is not None:
            entry["source_column"] = self.source
        if _is_numeric(self.type):
            entry["min"] = _finite(self.minimum)
            entry["max"] = _finite(self.maximum)
            entry["mean"] = _finite(self.total / self.present) if self.present else None
            if self.infinite:
                entry["infinite"] = self.infinite
        elif pa.types.is_temporal(self.type):
            entry["min"] = _iso(self.minimum)
            entry["max"] = _iso(self.maximum)
        elif self.distinct is None:
            entry["distinct_more_than"] = DISTINCT_CAP
        elif _has_countable_levels(self.type):
            entry["distinct"] = len(self.distinct)
        return entry


def _is_numeric(arrow_type: pa.DataType) -> bool:
    return pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type)


def _has_countable_levels(arrow_type: pa.DataType) -> bool:
    """Return whether the summary counts the distinct values of a column of this type."""
    return (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_string_view(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_binary(arrow_type)
        or pa.types.is_large_binary(arrow_type)
        or pa.types.is_binary_view(arrow_type)
        or pa.types.is_fixed_size_binary(arrow_type)
    )


_TIME_UNITS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}


def _stored_form(bound: pa.Scalar) -> str:
    """Describe a date or timestamp that Python cannot hold as a count of units from 1970-01-01."""
    if pa.types.is_date32(bound.type):
        unit, integer = "days", pa.int32()
    elif pa.types.is_date64(bound.type):
        unit, integer = "milliseconds", pa.int64()
    elif pa.types.is_timestamp(bound.type):
        unit, integer = _TIME_UNITS.get(bound.type.unit, bound.type.unit), pa.int64()
    else:
        return str(bound)
    count = bound.cast(integer).as_py()
    if count < 0:
        return f"{-count} {unit} before 1970-01-01"
    return f"{count} {unit} after 1970-01-01"


def _any_infinite(bounds: pa.StructScalar) -> bool:
    """Return whether the minimum or maximum of a float batch is infinite."""
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    return any(isinstance(value, float) and math.isinf(value) for value in (low, high))


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _finite(value):
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _iso(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return None if value is None else str(value)
