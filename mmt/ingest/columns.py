"""Conversion and checking of one column, batch by batch.

Each output column has a converter. The converter looks at the first batch
to settle its output type (Parquet needs one schema for the whole file) and
then converts every batch, recording bad values in the
:class:`~mmt.ingest.problems.ProblemLog` instead of stopping, so the error
can give the total count.

Feature columns (those without a role) take the narrowest type that fits
their first batch: int64, float64, date32 (ISO dates only) or text. When a
later batch does not fit, the converter raises :class:`WidenColumn` and the
whole file is read again with the wider type. That second pass is the slow
path for files whose first block is not representative.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mmt.ingest.dates import DateParser
from mmt.ingest.numbers import DOT_DECIMAL, NumberFormat, parse_floats, parse_integers
from mmt.ingest.problems import ProblemLog
from mmt.ingest.specs import RoleSpec

#: Texts read as missing in numeric feature columns (compared case-folded).
#: Role columns accept only empty cells as missing, so that a typo such as
#: ``n/a`` in a PD column is reported rather than dropped.
NA_TOKENS = ("na", "n/a", "nan", "null", "none", "nil", "#n/a")
# Spellings matched exactly, which is much faster on large batches than case-folding every value.
_NA_SPELLINGS = pa.array(
    sorted({form for token in NA_TOKENS for form in (token, token.upper(), token.capitalize(), token.title())})
)

#: Spellings of infinity read as -inf and +inf in float feature columns, with an optional sign and in any
#: case, as Parquet float columns keep infinite values. Role columns reject them as not a number.
_INFINITY = r"^[+-]?(inf|infinity)$"

#: Whole numbers at or beyond this magnitude may not be exact as doubles (53-bit significand).
EXACT_DOUBLE_LIMIT = 2.0**53

#: Dates of date and period roles before the first or after the last of these years get a warning. Such dates
#: are most often placeholders for "no date" (9999-12-31, 0001-01-01) or numbers misread as YYYYMM months,
#: such as 150612 (a DDMMYY date) as December 1506. The last year leaves room for scenario horizons up to 2100.
USUAL_YEARS = (1900, 2100)
_FIRST_USUAL_DAY = (dt.date(USUAL_YEARS[0], 1, 1) - dt.date(1970, 1, 1)).days
_LAST_USUAL_DAY = (dt.date(USUAL_YEARS[1], 12, 31) - dt.date(1970, 1, 1)).days

_TRUE_TEXTS = ("1", "yes", "y", "true", "t")
_FALSE_TEXTS = ("0", "no", "n", "false", "f")


#: Rows of the first batch used to choose types and formats. A later row that
#: does not fit triggers :class:`WidenColumn`. The pattern checks over the
#: sample are most of the cost of the plan, so it stays small.
SAMPLE_ROWS = 50_000


def head(array: pa.Array) -> pa.Array:
    """Return the first :data:`SAMPLE_ROWS` values."""
    return array.slice(0, SAMPLE_ROWS)


def fast_cast(array: pa.Array, target: pa.DataType) -> pa.Array | None:
    """Cast untrimmed text straight to a number type, or return None when any value does not parse.

    Clean numeric columns, the common case, then skip trimming and pattern checks.
    """
    try:
        return pc.cast(array, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


class WidenColumn(Exception):
    """Request to read the file again with a wider type for one column that a later batch does not fit."""

    def __init__(self, source_index: int, new_type: str) -> None:
        super().__init__(f"column {source_index} -> {new_type}")
        self.source_index = source_index
        self.new_type = new_type


def is_text(array: pa.Array) -> bool:
    """Return True for string and large_string arrays."""
    return pa.types.is_string(array.type) or pa.types.is_large_string(array.type)


def trimmed(array: pa.Array) -> pa.Array:
    """Trim text values and turn empty ones into nulls. Other types pass through unchanged."""
    if pa.types.is_large_string(array.type):
        array = pc.cast(array, pa.string())
    if not is_text(array):
        return array
    return _empty_as_null(pc.utf8_trim_whitespace(array))


def _empty_as_null(values: pa.Array) -> pa.Array:
    """Turn empty texts into nulls; most columns have none, and then no copy is made."""
    empty = pc.equal(values, "")
    if not pc.any(empty).as_py():
        return values
    return pc.if_else(empty, pa.scalar(None, values.type), values)


def without_tokens(values: pa.Array) -> tuple[pa.Array, int]:
    """Replace :data:`NA_TOKENS` with nulls and return the array with the number replaced."""
    tokens = pc.is_in(values, value_set=_NA_SPELLINGS)
    count = pc.sum(tokens).as_py() or 0
    if not count:
        return values, 0
    return pc.if_else(tokens, pa.scalar(None, values.type), values), count


def infinities(values: pa.Array) -> pa.Array:
    """Return a mask of the trimmed texts that spell infinity (see :data:`_INFINITY`), false where missing."""
    return pc.fill_null(pc.match_substring_regex(values, _INFINITY, ignore_case=True), False)


def text_of(array: pa.Array) -> pa.Array:
    """Return already trimmed values as text, with whole floats written without ``.0``."""
    if pa.types.is_large_string(array.type):
        return pc.cast(array, pa.string())
    if is_text(array):
        return array
    if pa.types.is_floating(array.type):
        whole = pc.fill_null(pc.equal(pc.floor(array), array), False)
        if (
            pc.all(pc.or_(whole, pc.is_null(array))).as_py()
            and pc.all(pc.less(pc.abs(pc.fill_null(array, 0)), 2.0**53)).as_py()
        ):
            return pc.cast(pc.cast(array, pa.int64()), pa.string())
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    return pc.cast(array, pa.string())


class Converter:
    """Base of the per-column converters."""

    role: str | None = None

    def __init__(self, name: str, source_name: str, source_index: int) -> None:
        self.name = name
        self.source_name = source_name
        self.source_index = source_index
        self.counters: dict[str, int] = {}

    def prepare(self, first: pa.Array) -> None:
        """Settle the output type from the first batch."""

    def fields(self) -> list[pa.Field]:
        """Return the output fields."""
        raise NotImplementedError

    def convert(self, array: pa.Array, offset: int, problems: ProblemLog) -> list[pa.Array]:
        """Convert one batch, recording bad values."""
        raise NotImplementedError

    def count(self, key: str, amount: int) -> None:
        """Add ``amount`` to a named counter kept for the quality summary."""
        if amount:
            self.counters[key] = self.counters.get(key, 0) + int(amount)

    def notes(self) -> dict:
        """Return role-specific quality figures."""
        return dict(self.counters)


# -- roles ---------------------------------------------------------------------------


class NumberRole(Converter):
    """A numeric or probability role, stored as float64."""

    def __init__(self, spec: RoleSpec, source_name: str, source_index: int, number_format: NumberFormat) -> None:
        super().__init__(spec.name, source_name, source_index)
        self.spec = spec
        self.role = spec.name
        self.number_format = number_format
        self.percent_example: str | None = None

    def fields(self) -> list[pa.Field]:
        return [pa.field(self.name, pa.float64())]

    def convert(self, array, offset, problems):
        numbers, invalid = self._numbers(array)
        problems.add(
            "non_numeric",
            self.source_name,
            self.role,
            invalid,
            array,
            offset,
            summary="not a number",
            hint="Correct them or leave the cells empty (an empty cell counts as missing)",
        )
        if self.spec.bounds:
            low, high = self.spec.bounds
            below = pc.fill_null(pc.less(numbers, low), False)
            above = pc.fill_null(pc.greater(numbers, high), False)
            if self.spec.enforce_bounds:
                problems.add(
                    "out_of_range",
                    self.source_name,
                    self.role,
                    pc.or_(below, above),
                    array,
                    offset,
                    summary=f"outside [{low:g}, {high:g}]",
                    hint=f"Values of {self.role} must lie between {low:g} and {high:g} (0 % and 100 %); "
                    "write percentages with a % sign or divide them by 100",
                )
            else:
                self.count(f"below_{low:g}", pc.sum(below).as_py() or 0)
                self.count(f"above_{high:g}", pc.sum(above).as_py() or 0)
        return [numbers]

    def _numbers(self, array: pa.Array) -> tuple[pa.Array, pa.Array]:
        if is_text(array):
            if self.number_format == DOT_DECIMAL:
                numbers = fast_cast(array, pa.float64())
                if numbers is not None and not pc.any(pc.invert(pc.is_finite(numbers))).as_py():
                    return numbers, _all_false(len(array))
            values = trimmed(array)
            if self.spec.kind == "probability" or self.spec.ratio:
                values, percents, example = percents_as_exponents(values)
                self.count("percent_values", percents)
                if example is not None and self.percent_example is None:
                    self.percent_example = example
            return parse_floats(values, self.number_format)
        if pa.types.is_integer(array.type) or pa.types.is_floating(array.type) or pa.types.is_decimal(array.type):
            numbers = pc.cast(array, pa.float64())
            invalid = pc.fill_null(pc.invert(pc.is_finite(numbers)), False)
            return pc.if_else(invalid, pa.scalar(None, pa.float64()), numbers), invalid
        if pa.types.is_null(array.type):
            return pa.nulls(len(array), pa.float64()), _all_false(len(array))
        # Dates, booleans and other types are not numbers.
        return pa.nulls(len(array), pa.float64()), pc.is_valid(array)


def percents_as_exponents(values: pa.Array) -> tuple[pa.Array, int, str | None]:
    """Rewrite trimmed texts such as ``2.2%`` as ``2.2e-2``; return them, the number rewritten and the first one.

    A probability written as a percentage is unambiguous. Moving the decimal
    point through the exponent, rather than dividing by 100 after parsing,
    gives the double nearest to the written decimal (0.022, not
    0.022000000000000002).
    """
    marked = pc.fill_null(pc.ends_with(values, "%"), False)
    count = pc.sum(marked).as_py() or 0
    if not count:
        return values, 0, None
    number = pc.utf8_trim_whitespace(pc.utf8_slice_codeunits(values, 0, -1))
    example = values.filter(marked)[0].as_py()
    return pc.if_else(marked, pc.binary_join_element_wise(number, "e-2", ""), values), count, example


def _all_false(length: int) -> pa.Array:
    return pa.array(np.zeros(length, dtype=bool))


class BinaryRole(Converter):
    """A 0/1 flag stored as int8, with yes/no, true/false and y/n mapped to 1/0."""

    def __init__(self, spec: RoleSpec, source_name: str, source_index: int) -> None:
        super().__init__(spec.name, source_name, source_index)
        self.role = spec.name
        self.mapped: dict[str, int] = {}

    def fields(self):
        return [pa.field(self.name, pa.int8())]

    def convert(self, array, offset, problems):
        flags, invalid = self._flags(array)
        problems.add(
            "invalid_default_flag",
            self.source_name,
            self.role,
            invalid,
            array,
            offset,
            summary="not 0 or 1",
            hint="The default flag must be 0 (no default) or 1 (default). The texts yes/no, true/false and y/n are also accepted",
        )
        self.count("defaults", pc.sum(pc.equal(flags, 1)).as_py() or 0)
        self.count("non_defaults", pc.sum(pc.equal(flags, 0)).as_py() or 0)
        return [flags]

    def _flags(self, array: pa.Array) -> tuple[pa.Array, pa.Array]:
        if is_text(array):
            flags = fast_cast(array, pa.int8())
            if flags is not None and not pc.any(pc.or_(pc.less(flags, 0), pc.greater(flags, 1))).as_py():
                return flags, _all_false(len(array))
            return self._from_values(trimmed(array))
        if pa.types.is_boolean(array.type):
            return pc.cast(array, pa.int8()), _all_false(len(array))
        if pa.types.is_null(array.type):
            return pa.nulls(len(array), pa.int8()), _all_false(len(array))
        return self._from_values(array)

    def _from_values(self, values: pa.Array) -> tuple[pa.Array, pa.Array]:
        encoded = pc.dictionary_encode(values)
        codes: list[int | None] = []
        for value in encoded.dictionary.to_pylist():
            codes.append(self._flag_of(value))
        lookup = pa.array(codes, pa.int8())
        bad = pa.array([code is None for code in codes], pa.bool_())
        flags = pc.take(lookup, encoded.indices)
        invalid = pc.fill_null(pc.take(bad, encoded.indices), False)
        self._count_word_flags(encoded)
        return flags, invalid

    def _count_word_flags(self, encoded: pa.DictionaryArray) -> None:
        dictionary = encoded.dictionary.to_pylist()
        texts = [index for index, value in enumerate(dictionary) if isinstance(value, str) and _is_word_flag(value)]
        if not texts:
            return
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        valid = pc.is_valid(encoded.indices).to_numpy(zero_copy_only=False)
        counts = np.bincount(indices[valid].astype(np.int64), minlength=len(dictionary))
        for index in texts:
            key = dictionary[index].strip().casefold()
            self.mapped[key] = self.mapped.get(key, 0) + int(counts[index])

    @staticmethod
    def _flag_of(value) -> int | None:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, float)):
            return int(value) if value in (0, 1) else None
        text = str(value).strip().casefold()
        if text in _TRUE_TEXTS:
            return 1
        if text in _FALSE_TEXTS:
            return 0
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number in (0.0, 1.0) else None

    def notes(self):
        notes = dict(self.counters)
        notes.setdefault("defaults", 0)
        notes.setdefault("non_defaults", 0)
        observed = notes["defaults"] + notes["non_defaults"]
        notes["default_rate"] = notes["defaults"] / observed if observed else None
        if self.mapped:
            notes["mapped_text"] = {text: (1 if text in _TRUE_TEXTS else 0) for text in sorted(self.mapped)}
            notes["mapped_text_rows"] = dict(sorted(self.mapped.items()))
        return notes


def _is_word_flag(value: str) -> bool:
    text = value.strip().casefold()
    return text in _TRUE_TEXTS[1:] or text in _FALSE_TEXTS[1:]


class DateRole(Converter):
    """A date or period role stored as date32, with ``<role>_label`` for periods.

    For the ``period`` kind, a column none of whose first-batch values is a
    date (say ``reference``/``current``) is kept as text instead.
    """

    def __init__(self, spec: RoleSpec, source_name: str, source_index: int, date_format: str | None) -> None:
        super().__init__(spec.name, source_name, source_index)
        self.spec = spec
        self.role = spec.name
        self.parser = DateParser(date_format)
        self.text_mode = False
        self.with_label = False
        self.formats: dict[str, int] = {}
        self.not_dates = False
        #: Dates outside :data:`USUAL_YEARS`: count, first rows, values as written and as read.
        self.unusual_note: dict | None = None

    def prepare(self, first):
        values = trimmed(head(first))
        if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
            return
        batch = self.parser.parse(values)
        present = len(values) - values.null_count
        if present and batch.parsed_count == 0 and not pc.any(batch.ambiguous).as_py():
            self.not_dates = True
            if self.spec.kind == "period":
                self.text_mode = True
        self.with_label = batch.any_period

    def fields(self):
        if self.text_mode:
            return [pa.field(self.name, pa.string())]
        fields = [pa.field(self.name, pa.date32())]
        if self.with_label:
            fields.append(pa.field(f"{self.name}_label", pa.string()))
        return fields

    def convert(self, array, offset, problems):
        if self.text_mode:
            return [text_of(trimmed(array))]
        # The parser strips each distinct text itself, which is cheaper than trimming every row.
        batch = self.parser.parse(array)
        for name, count in batch.formats.items():
            self.formats[name] = self.formats.get(name, 0) + count
        hint = 'Give the date format in the upload options, for example "%d/%m/%Y", or write dates as YYYY-MM-DD'
        contradiction = self.parser.contradiction()
        problems.add(
            "ambiguous_date",
            self.source_name,
            self.role,
            batch.ambiguous,
            array,
            offset,
            summary="ambiguous date: day/month or month/day, or a two-digit year",
            hint=f"{contradiction} {hint}" if contradiction else hint,
        )
        problems.add(
            "invalid_date",
            self.source_name,
            self.role,
            batch.invalid,
            array,
            offset,
            summary="not a date or period",
            hint="Write dates as YYYY-MM-DD, quarters as 2024Q1 or months as YYYYMM",
        )
        self._note_unusual_dates(array, batch.dates, offset)
        outputs = [batch.dates]
        if self.with_label:
            outputs.append(text_of(trimmed(array)))
        return outputs

    def _note_unusual_dates(self, array: pa.Array, dates: pa.Array, offset: int) -> None:
        """Count the dates of a batch outside :data:`USUAL_YEARS`, keeping the first rows and values."""
        # Days since 1970 rather than Python dates, which stop at year 9999 (a Parquet date can lie beyond).
        days = pc.cast(dates, pa.int32())
        bounds = pc.min_max(days)
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        if low is None or (low >= _FIRST_USUAL_DAY and high <= _LAST_USUAL_DAY):
            return
        outside = pc.fill_null(pc.or_(pc.less(days, _FIRST_USUAL_DAY), pc.greater(days, _LAST_USUAL_DAY)), False)
        count = pc.sum(outside).as_py() or 0
        note = self.unusual_note or {"count": 0, "rows": [], "values": [], "dates": []}
        note["count"] += count
        room = 5 - len(note["rows"])
        if room > 0:
            indices = pc.indices_nonzero(outside).slice(0, room)
            written = pc.take(array, indices)
            written = trimmed(written) if is_text(written) else pc.cast(written, pa.string())
            note["rows"].extend(offset + index + 1 for index in indices.to_pylist())
            note["values"].extend(written.to_pylist())
            note["dates"].extend(pc.cast(pc.take(dates, indices), pa.string()).to_pylist())
        self.unusual_note = note

    def notes(self):
        notes = dict(self.counters)
        if self.unusual_note:
            notes["dates_outside_usual_years"] = self.unusual_note["count"]
        if self.formats:
            notes["formats"] = dict(sorted(self.formats.items(), key=lambda item: -item[1]))
        if self.text_mode:
            notes["stored_as"] = "text labels"
        order = self.parser.order_note()
        if order:
            notes["day_month_order"] = order
        return notes


class TextRole(Converter):
    """A text or identifier role, stored trimmed as text (whole numbers without ``.0``)."""

    def __init__(self, spec: RoleSpec, source_name: str, source_index: int) -> None:
        super().__init__(spec.name, source_name, source_index)
        self.role = spec.name

    def fields(self):
        return [pa.field(self.name, pa.string())]

    def convert(self, array, offset, problems):
        return [text_of(trimmed(array))]


class GradeRole(Converter):
    """A rating grade, int64 when the first batch contains only whole numbers and text otherwise."""

    def __init__(self, spec: RoleSpec, source_name: str, source_index: int, forced: str | None) -> None:
        super().__init__(spec.name, source_name, source_index)
        self.role = spec.name
        self.type = forced

    def prepare(self, first):
        if self.type is not None:
            return
        self.type = "int64" if _whole_numbers(trimmed(head(first))) else "string"

    def fields(self):
        return [pa.field(self.name, pa.int64() if self.type == "int64" else pa.string())]

    def convert(self, array, offset, problems):
        if self.type == "int64" and is_text(array):
            numbers = fast_cast(array, pa.int64())
            if numbers is not None:
                return [numbers]
        values = trimmed(array)
        if self.type == "string":
            return [text_of(values)]
        if not _whole_numbers(values):
            raise WidenColumn(self.source_index, "string")
        return [pc.cast(values, pa.int64())]


def _whole_numbers(values: pa.Array) -> bool:
    if pa.types.is_integer(values.type):
        return True
    if pa.types.is_floating(values.type):
        present = values.drop_null()
        return bool(pc.all(pc.equal(pc.floor(present), present)).as_py() if len(present) else False)
    if is_text(values):
        present = values.drop_null()
        if not len(present):
            return False
        return bool(pc.all(pc.match_substring_regex(present, r"^[+-]?\d{1,18}$")).as_py())
    return False


# -- features ------------------------------------------------------------------------


class Feature(Converter):
    """A column without a role, kept under its trimmed name with the narrowest fitting type."""

    def __init__(
        self, name: str, source_name: str, source_index: int, number_format: NumberFormat, forced: str | None
    ) -> None:
        super().__init__(name, source_name, source_index)
        self.number_format = number_format
        self.type = forced
        self.arrow_type: pa.DataType | None = None
        #: Set when a text column is mostly numbers: the values that kept it text.
        self.text_note: dict | None = None
        #: Whole numbers of a float column too large to be exact as doubles: count, first rows and values.
        self.rounded_note: dict | None = None

    def prepare(self, first):
        if not is_text(first):
            if self.type is None:
                self.arrow_type = pa.string() if pa.types.is_null(first.type) else first.type
                self.type = "native"
            return
        if self.type is None:
            sample = trimmed(head(first))
            self.type = infer_text_type(sample, self.number_format)
            if self.type == "string":
                self.text_note = _mostly_numbers(sample, self.number_format)

    def fields(self):
        if self.type == "native":
            return [pa.field(self.name, self.arrow_type)]
        return [pa.field(self.name, _ARROW_TYPES[self.type])]

    def convert(self, array, offset, problems):
        if self.type == "native":
            if pa.types.is_null(array.type):
                return [pa.nulls(len(array), self.arrow_type)]
            if is_text(array):
                return [_empty_as_null(array)]
            return [array]
        if not is_text(array):
            array = pc.cast(array, pa.string())
        if self.type == "string":
            return [_empty_as_null(array)]
        if self.type in ("int64", "float64") and self.number_format == DOT_DECIMAL:
            numbers = fast_cast(array, _ARROW_TYPES[self.type])
            if numbers is not None and (self.type == "int64" or not pc.any(pc.invert(pc.is_finite(numbers))).as_py()):
                if self.type == "float64":
                    self._note_rounded_integers(array, numbers, offset)
                return [numbers]
        values = trimmed(array)
        if self.type in ("int64", "float64"):
            values, tokens = without_tokens(values)
            self.count("na_texts", tokens)
        try:
            if self.type == "int64":
                return [parse_integers(values, self.number_format)]
            if self.type == "date32":
                return [pc.cast(values, pa.date32())]
        except pa.ArrowInvalid:
            raise WidenColumn(self.source_index, _wider(values, self.number_format)) from None
        numbers, invalid = parse_floats_or_infinities(values, self.number_format)
        if pc.any(invalid).as_py():
            raise WidenColumn(self.source_index, "string")
        self._note_rounded_integers(values, numbers, offset)
        return [numbers]

    def _note_rounded_integers(self, texts: pa.Array, numbers: pa.Array, offset: int) -> None:
        """Count the whole numbers of a float batch at or beyond 2**53 in magnitude, which doubles may round.

        A column with decimals, or with a whole number beyond the int64 range,
        is stored as float64, so its large whole numbers keep only 15 to 17
        significant digits. The bounds of the batch rule out most batches
        without a pass over the texts.
        """
        bounds = pc.min_max(numbers)
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        if low is None or (low > -EXACT_DOUBLE_LIMIT and high < EXACT_DOUBLE_LIMIT):
            return
        # Infinite values pass the bounds test above, but they are not whole numbers written in digits.
        large = pc.and_(pc.greater_equal(pc.abs(numbers), EXACT_DOUBLE_LIMIT), pc.is_finite(numbers))
        large = pc.fill_null(large, False)
        texts = trimmed(texts)
        whole = pc.fill_null(pc.match_substring_regex(texts, _integer_pattern(self.number_format)), False)
        rounded = pc.and_(large, whole)
        count = pc.sum(rounded).as_py() or 0
        if not count:
            return
        note = self.rounded_note or {"count": 0, "rows": [], "values": [], "stored": []}
        note["count"] += count
        room = 5 - len(note["rows"])
        if room > 0:
            indices = pc.indices_nonzero(rounded).slice(0, room)
            note["rows"].extend(offset + index + 1 for index in indices.to_pylist())
            note["values"].extend(pc.take(texts, indices).to_pylist())
            note["stored"].extend(pc.take(numbers, indices).to_pylist())
        self.rounded_note = note


_ARROW_TYPES = {"int64": pa.int64(), "float64": pa.float64(), "date32": pa.date32(), "string": pa.string()}


def parse_floats_or_infinities(values: pa.Array, number_format: NumberFormat) -> tuple[pa.Array, pa.Array]:
    """Parse trimmed text like :func:`~mmt.ingest.numbers.parse_floats`, reading spellings of infinity as -inf or +inf.

    An overflowing number such as ``1e999`` stays invalid: only a written
    infinity is taken as one.
    """
    numbers, invalid = parse_floats(values, number_format)
    if not pc.any(invalid).as_py():
        return numbers, invalid
    # Only the invalid values are matched against the spellings of infinity: a pass over every text costs
    # about as much as the parse itself.
    infinite = infinities(pc.if_else(invalid, values, pa.scalar(None, values.type)))
    if not pc.any(infinite).as_py():
        return numbers, invalid
    invalid = pc.and_(invalid, pc.invert(infinite))
    negative = pc.fill_null(pc.starts_with(values, "-"), False)
    signed = pc.if_else(negative, pa.scalar(-np.inf), pa.scalar(np.inf))
    return pc.if_else(infinite, signed, numbers), invalid


def _wider(values: pa.Array, number_format: NumberFormat) -> str:
    _numbers, invalid = parse_floats_or_infinities(values, number_format)
    return "string" if pc.any(invalid).as_py() else "float64"


def infer_text_type(values: pa.Array, number_format: NumberFormat) -> str:
    """Return the narrowest of int64, float64, date32 and string that fits trimmed text ``values``.

    Patterns are checked before casting because a failing Arrow cast costs as
    much as a whole successful one.
    """
    values, _tokens = without_tokens(values)
    present = values.drop_null()
    if not len(present):
        return "string"
    # Codes such as 00123 lose their meaning as numbers.
    if pc.any(pc.match_substring_regex(present, r"^[+-]?0\d")).as_py():
        return "string"
    finite, any_infinite = _finite_numbers(present, number_format)
    if finite is not None:
        integer = _integer_pattern(number_format)
        if not any_infinite and pc.all(pc.match_substring_regex(finite, integer)).as_py():
            try:
                parse_integers(finite, number_format)
                return "int64"
            except pa.ArrowInvalid:
                pass  # beyond the int64 range
        _numbers, invalid = parse_floats(finite, number_format)
        if not pc.any(invalid).as_py():
            return "float64"
    if pc.all(pc.match_substring_regex(present, r"^\d{4}-\d{2}-\d{2}$")).as_py():
        try:
            pc.cast(present, pa.date32())
            return "date32"
        except pa.ArrowInvalid:
            pass
    return "string"


def _finite_numbers(present: pa.Array, number_format: NumberFormat) -> tuple[pa.Array | None, bool]:
    """Return the values that match the number pattern and whether the others all spell infinity.

    The first item is None when some value is neither, or when every value
    spells infinity: infinite values make a numeric column float64, but a
    column of nothing else stays text. Only the values that do not match the
    pattern are matched against the spellings of infinity, since a second
    pattern over every value would cost as much as the first.
    """
    numbers = pc.match_substring_regex(present, number_format.pattern())
    if pc.all(numbers).as_py():
        return present, False
    others = pc.filter(present, pc.invert(numbers))
    if len(others) == len(present) or not pc.all(infinities(others)).as_py():
        return None, False
    return pc.filter(present, numbers), True


def _mostly_numbers(values: pa.Array, number_format: NumberFormat) -> dict | None:
    """Describe the non-numbers of a column whose values are mostly numbers, or return None."""
    values, _tokens = without_tokens(values)
    present = pc.is_valid(values)
    total = pc.sum(present).as_py() or 0
    if not total:
        return None
    # Spellings of infinity are read as -inf and +inf, so they are not listed among the texts that keep the column text.
    numbers = pc.or_(pc.fill_null(pc.match_substring_regex(values, number_format.pattern()), False), infinities(values))
    count = pc.sum(numbers).as_py() or 0
    if count * 2 < total or count == total:
        return None
    others = pc.and_(present, pc.invert(numbers))
    indices = pc.indices_nonzero(others).slice(0, 5)
    return {
        "count": total - count,
        "rows": [index + 1 for index in indices.to_pylist()],
        "values": pc.take(values, indices).to_pylist(),
    }


def _integer_pattern(number_format: NumberFormat) -> str:
    if number_format.thousands is None:
        return r"^[+-]?\d+$"
    separator = "[ \u00a0\u202f]" if number_format.thousands == " " else "\\" + number_format.thousands
    return r"^[+-]?(\d+|[1-9]\d{0,2}(" + separator + r"\d{3})+)$"


def number_format_for(number_format: NumberFormat | None) -> NumberFormat:
    """Return the given format or the plain ``.``-decimal one."""
    return number_format or DOT_DECIMAL
