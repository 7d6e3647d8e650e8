"""Number formats of text columns: decimal mark, thousands separator, parsing.

A comma-separated file always uses ``.`` as decimal mark and no thousands
separator, so ``"0,05"`` in such a file is a text value, not a number. In
files separated by ``;``, tab or ``|`` (European spreadsheet exports) each
column's format is detected from its values:

* a value such as ``0,0125`` or ``1.234,56`` proves a decimal comma;
* a value such as ``0.5`` or ``1.25`` proves a decimal point;
* a column whose only dotted values look like ``1.234`` or ``12.500`` (one
  to three digits, then groups of three) is ambiguous: ``1.234`` may be
  1234 or 1.234. It follows the marks proved by the other columns of the
  file, and is rejected as ``ambiguous_number`` when the file proves
  neither or both, so a 1000-fold error is never guessed silently.

The user can declare ``decimal`` and ``thousands`` in the upload options,
which then apply to every column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SPACES = "[ \u00a0\u202f]"
_EXPONENT = r"([eE][+-]?\d+)?"

# Whole-value patterns of the evidence used to detect a column's format.
_PLAIN_INTEGER = r"^[+-]?\d+$"
_DOT_THOUSANDS_ONLY = r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$"
_DOT_DECIMAL = r"^[+-]?(\d+\.\d*|\.\d+)" + _EXPONENT + "$"
# An exponent without a decimal mark (1e-05) is a number but proves neither mark.
_EXPONENT_ONLY = r"^[+-]?\d+[eE][+-]?\d+$"
_COMMA_DECIMAL = r"^[+-]?(\d+|[1-9]\d{0,2}([." + _SPACES[1:-1] + r"]\d{3})+),\d+" + _EXPONENT + "$"
_SPACE_GROUPED = r"^[+-]?[1-9]\d{0,2}(" + _SPACES + r"\d{3})+$"


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """Decimal mark and thousands separator of a column (``thousands`` ``" "`` means any space)."""

    decimal: str = "."
    thousands: str | None = None

    def describe(self) -> dict:
        """Return the format as plain JSON values."""
        return {"decimal": self.decimal, "thousands": self.thousands}

    def pattern(self) -> str:
        """Return the regular expression a valid number matches in this format."""
        decimal = "\\" + self.decimal if self.decimal == "." else self.decimal
        if self.thousands is None:
            integer = r"\d+"
        else:
            separator = _SPACES if self.thousands == " " else "\\" + self.thousands
            integer = r"(\d+|[1-9]\d{0,2}(" + separator + r"\d{3})+)"
        return r"^[+-]?(" + integer + "(" + decimal + r"\d*)?|" + decimal + r"\d+)" + _EXPONENT + "$"


DOT_DECIMAL = NumberFormat(".", None)


@dataclass(frozen=True, slots=True)
class ColumnEvidence:
    """What the values of one text column prove about its number format."""

    numeric: bool
    comma_decimal: bool = False
    dot_decimal: bool = False
    dot_thousands: bool = False
    space_thousands: bool = False
    multi_dot: bool = False


def gather_evidence(values: pa.Array) -> ColumnEvidence:
    """Classify the non-null, trimmed text ``values`` of one column."""
    values = values.drop_null()
    if len(values) == 0:
        return ColumnEvidence(numeric=False)
    plain = pc.match_substring_regex(values, _PLAIN_INTEGER)
    dot_decimal = pc.match_substring_regex(values, _DOT_DECIMAL)
    thousands_only = pc.match_substring_regex(values, _DOT_THOUSANDS_ONLY)
    comma_decimal = pc.match_substring_regex(values, _COMMA_DECIMAL)
    space_grouped = pc.match_substring_regex(values, _SPACE_GROUPED)
    multi_dot = pc.match_substring_regex(values, r"^[+-]?[1-9]\d{0,2}(\.\d{3}){2,}$")
    exponent_only = pc.match_substring_regex(values, _EXPONENT_ONLY)
    dot_grouped_comma = pc.match_substring_regex(values, r"^[+-]?[1-9]\d{0,2}(\.\d{3})+,\d+")
    any_form = plain
    for form in (dot_decimal, thousands_only, comma_decimal, space_grouped, multi_dot, exponent_only):
        any_form = pc.or_(any_form, form)
    # A column counts as numeric when most values look like numbers. The others are reported later.
    matching = pc.sum(any_form).as_py() or 0
    if matching * 2 < len(values) or matching == 0:
        return ColumnEvidence(numeric=False)
    proves_dot = pc.and_(dot_decimal, pc.invert(thousands_only))
    has_space = pc.any(pc.match_substring_regex(values, _SPACES)).as_py()
    return ColumnEvidence(
        numeric=True,
        comma_decimal=bool(pc.any(comma_decimal).as_py()),
        dot_decimal=bool(pc.any(proves_dot).as_py()),
        dot_thousands=bool(pc.any(pc.or_(pc.or_(thousands_only, multi_dot), dot_grouped_comma)).as_py()),
        space_thousands=bool(has_space),
        multi_dot=bool(pc.any(multi_dot).as_py()),
    )


def file_decimal_marks(evidence: dict[int, ColumnEvidence]) -> set[str]:
    """Return the decimal marks that some column of the file proves."""
    marks: set[str] = set()
    for item in evidence.values():
        if item.comma_decimal:
            marks.add(",")
        if item.dot_decimal:
            marks.add(".")
    return marks


def resolve_format(item: ColumnEvidence, file_marks: set[str]) -> NumberFormat | None:
    """Choose the number format of a column in a file that may use decimal commas.

    Returns None when the column is ambiguous (only values like ``1.234``) and
    the rest of the file proves neither or both decimal marks.
    """
    space = " " if item.space_thousands else None
    if item.comma_decimal:
        return NumberFormat(",", "." if item.dot_thousands else space)
    if item.dot_decimal:
        return NumberFormat(".", None)
    if item.dot_thousands:
        if item.multi_dot:
            return NumberFormat(",", ".")
        if file_marks == {","}:
            return NumberFormat(",", ".")
        if file_marks == {"."}:
            return NumberFormat(".", None)
        return None
    # Integers only, possibly grouped with spaces: no decimal mark to decide.
    return NumberFormat(",", space) if space else DOT_DECIMAL


def normalise(values: pa.Array, number_format: NumberFormat) -> tuple[pa.Array, pa.Array | None]:
    """Rewrite trimmed text numbers in ``number_format`` to the ``.``-decimal form.

    Returns the rewritten strings and, for formats other than plain
    ``.``-decimal, a mask of the values that do not match the format (None
    when every value was left as it was).
    """
    if number_format == DOT_DECIMAL:
        return values, None
    invalid = pc.and_(pc.is_valid(values), pc.invert(pc.match_substring_regex(values, number_format.pattern())))
    rewritten = values
    if number_format.thousands == " ":
        rewritten = pc.replace_substring_regex(rewritten, _SPACES, "")
    elif number_format.thousands:
        rewritten = pc.replace_substring(rewritten, number_format.thousands, "")
    if number_format.decimal != ".":
        rewritten = pc.replace_substring(rewritten, number_format.decimal, ".")
    return rewritten, invalid


def parse_floats(values: pa.Array, number_format: NumberFormat) -> tuple[pa.Array, pa.Array]:
    """Parse trimmed text (null = missing) to float64.

    Returns
    -------
    numbers : pyarrow.Array
        float64, null where the value is missing or invalid.
    invalid : pyarrow.Array
        bool, true where a present value is not a finite number in the format.
    """
    rewritten, invalid = normalise(values, number_format)
    if invalid is not None:
        rewritten = pc.if_else(invalid, pa.scalar(None, pa.string()), rewritten)
    try:
        numbers = pc.cast(rewritten, pa.float64())
    except pa.ArrowInvalid:
        # Slow path, only for columns with bad values: find them by pattern, parse the rest.
        bad = pc.and_(pc.is_valid(rewritten), pc.invert(pc.match_substring_regex(rewritten, DOT_DECIMAL.pattern())))
        invalid = bad if invalid is None else pc.or_(invalid, bad)
        numbers = pc.cast(pc.if_else(bad, pa.scalar(None, pa.string()), rewritten), pa.float64())
    # "nan" and "inf" parse as floats but are not usable numbers.
    non_finite = pc.fill_null(pc.invert(pc.is_finite(numbers)), False)
    if pc.any(non_finite).as_py():
        numbers = pc.if_else(non_finite, pa.scalar(None, pa.float64()), numbers)
        invalid = non_finite if invalid is None else pc.or_(invalid, non_finite)
    if invalid is None:
        invalid = pa.array(np.zeros(len(values), dtype=bool))
    return numbers, pc.fill_null(invalid, False)


def parse_integers(values: pa.Array, number_format: NumberFormat) -> pa.Array:
    """Parse trimmed text to int64, raising ``pyarrow.ArrowInvalid`` on any non-integer."""
    rewritten, invalid = normalise(values, number_format)
    if invalid is not None and pc.any(invalid).as_py():
        raise pa.ArrowInvalid("value outside the number format")
    return pc.cast(rewritten, pa.int64())
