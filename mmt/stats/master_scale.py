"""Order rating grades from best to worst on a recognised rating scale.

Sorting grade labels as text puts "10" before "2" and "Baa1" before "A1", so
every table by grade (transition matrices, calibration by grade) first needs
the order of the scale. Recognised scales, tried in this order:

``numeric``
    Numbers, as numbers or text ("1" .. "10", "2.5"). Smaller is better.
``moodys``
    Moody's long-term scale: Aaa, Aa1, Aa2, Aa3, A1 .. A3, Baa1 .. Baa3,
    Ba1 .. Ba3, B1 .. B3, Caa1 .. Caa3, Ca, C. Case-sensitive, so that "AAA"
    is read as S&P and "Aaa" as Moody's. A bare category such as "Aa" sorts
    just before its middle modifier ("Aa2").
``sp_fitch``
    S&P and Fitch long-term scale: AAA, AA+, AA, AA-, A+ .. A-, BBB+ .. BBB-,
    BB+ .. BB-, B+ .. B-, CCC+, CCC, CCC-, CC, C.
``letter``
    One letter with an optional numeric sub-grade or +/- modifier, such as
    the Lending Club grades A1 .. G5: letter first, then "+", bare, "-", or
    the sub-grade number.

Default states ("D", "SD", "RD", "Default", "DEF", any case) always come
last, selective and restricted defaults before "D". A bare "D" is a
performing grade when a worse letter grade (E, F, ...) is present, as in the
Lending Club grades A .. G. A custom order, when given, replaces scale
recognition for the labels it lists.

Labels that fit no scale are placed after the recognised performing grades
in natural order ("x2" before "x10") and reported in
:attr:`GradeOrder.warnings`. They are never sorted as plain text without
that warning.

The agency tables below are the long-term rating symbols that Moody's, S&P
Global Ratings and Fitch publish. They are written out here because no
maintained Python package orders rating symbols.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable

_MOODYS_GRADES: tuple[str, ...] = (
    "Aaa",
    "Aa1", "Aa2", "Aa3",
    "A1", "A2", "A3",
    "Baa1", "Baa2", "Baa3",
    "Ba1", "Ba2", "Ba3",
    "B1", "B2", "B3",
    "Caa1", "Caa2", "Caa3",
    "Ca",
    "C",
)  # fmt: skip
_MOODYS_BARE_CATEGORIES: tuple[str, ...] = ("Aa", "A", "Baa", "Ba", "B", "Caa")

_SP_FITCH_GRADES: tuple[str, ...] = (
    "AAA",
    "AA+", "AA", "AA-",
    "A+", "A", "A-",
    "BBB+", "BBB", "BBB-",
    "BB+", "BB", "BB-",
    "B+", "B", "B-",
    "CCC+", "CCC", "CCC-",
    "CC",
    "C",
)  # fmt: skip

# Rank among default states: a selective or restricted default (some
# obligations still served) before a full default.
_DEFAULT_STATE_RANKS: dict[str, int] = {"SD": 0, "RD": 0, "D": 1, "DEF": 1, "DEFAULT": 1}

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_LETTER_GRADE = re.compile(r"([A-Z])([+-]|[0-9]+)?")
_LETTER_AFTER_D = re.compile(r"[E-Z](?:[+-]|[0-9]+)?")
_DIGITS = re.compile(r"([0-9]+)")

SCALES: tuple[str, ...] = ("numeric", "moodys", "sp_fitch", "letter")


class InvalidGradeOrderError(ValidationError, ValueError):
    """A custom grade order with a blank or repeated grade (the request's fault, HTTP 422).

    It is also a :class:`ValueError`, so callers that catch the plain error
    keep working.
    """

    code = "invalid_grade_order"


class UnrecognisedGradeWarning(UserWarning):
    """Grade labels that fit no recognised scale and were ordered by natural sort."""


@dataclass(frozen=True, slots=True)
class GradeOrder:
    """Grades of a rating scale from best to worst, default states last.

    Attributes
    ----------
    grades : tuple of str
        All grades, best first, default states at the end.
    default_states : tuple of str
        The grades that are default states, in their order within ``grades``.
    scale : str
        ``"custom"``, one of :data:`SCALES`, or ``"unrecognised"``.
    unrecognised : tuple of str
        Labels that fit neither the custom order nor the scale.
    warnings : tuple of str
        Plain-sentence warnings about the fallback order.
    """

    grades: tuple[str, ...]
    default_states: tuple[str, ...]
    scale: str
    unrecognised: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def performing_grades(self) -> tuple[str, ...]:
        """Grades that are not default states, best first."""
        defaults = set(self.default_states)
        return tuple(grade for grade in self.grades if grade not in defaults)

    def rank(self) -> dict[str, int]:
        """Return the position of each grade, 0 for the best."""
        return {grade: position for position, grade in enumerate(self.grades)}

    def to_dict(self) -> dict[str, Any]:
        """Return the order as plain JSON values."""
        return to_jsonable(
            {
                "grades": list(self.grades),
                "default_states": list(self.default_states),
                "scale": self.scale,
                "unrecognised": list(self.unrecognised),
                "warnings": list(self.warnings),
            }
        )


def normalise_grade(value: Any) -> str | None:
    """Return a grade label as stripped text, or ``None`` when it is missing.

    Integral numbers become their integer text (``2.0`` -> ``"2"``), so that a
    grade column read as floats matches the same grades read as text.
    ``None``, NaN, ``pandas.NA``, ``NaT`` and blank text are missing.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if _is_missing(value):
        return None
    if isinstance(value, bool):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        # numpy scalars: convert so that the integral check below applies.
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def resolve_grade_order(
    labels: Iterable[Any],
    *,
    custom_order: Sequence[Any] | None = None,
    default_states: Sequence[Any] | None = None,
) -> GradeOrder:
    """Order grade labels from best to worst.

    Parameters
    ----------
    labels : iterable
        Grade labels as observed. Missing values are skipped and repeats
        count once.
    custom_order : sequence, optional
        Grades best first. It wins over scale recognition, and its grades are
        kept even when absent from ``labels`` (empty grades of a master
        scale). Observed labels missing from it follow, with a warning.
    default_states : sequence, optional
        Labels that are default states. When omitted, "D", "SD", "RD",
        "Default" and "DEF" (any case) are default states.

    Returns
    -------
    GradeOrder
        The order, the default states, the recognised scale and warnings.

    Raises
    ------
    InvalidGradeOrderError
        If ``custom_order`` lists a grade twice or contains a blank grade.
        The error is a :class:`~mmt.errors.ValidationError` and a :class:`ValueError`.
    """
    observed = _distinct_labels(labels)
    custom = None if custom_order is None else _custom_grades(custom_order)
    candidates = list(custom) if custom is not None else []
    candidates += [label for label in observed if custom is None or label not in custom]

    explicit_defaults = None if default_states is None else _distinct_labels(default_states)
    defaults = _default_states(candidates, explicit_defaults)
    default_set = set(defaults)

    if custom is not None:
        scale = "custom"
        known = [grade for grade in custom if grade not in default_set]
        known_set = set(custom)
        unknown = [label for label in observed if label not in known_set and label not in default_set]
    else:
        performing = [label for label in observed if label not in default_set]
        scale, keys = _recognise_scale(performing)
        known = sorted(keys, key=lambda label: (keys[label], label))
        unknown = [label for label in performing if label not in keys]

    unknown = sorted(unknown, key=_natural_key)
    custom_position = {grade: position for position, grade in enumerate(custom or ())}
    ordered_defaults = sorted(
        defaults,
        key=lambda label: (
            _DEFAULT_STATE_RANKS.get(label.upper(), 2),
            custom_position.get(label, len(custom_position)),
            _natural_key(label),
        ),
    )
    messages: list[str] = []
    if unknown:
        messages.append(_unrecognised_message(unknown, scale))
    if scale == "numeric":
        gap_message = _integer_gap_message(known)
        if gap_message:
            messages.append(gap_message)
    return GradeOrder(
        grades=tuple(known + unknown + ordered_defaults),
        default_states=tuple(ordered_defaults),
        scale=scale if known or not unknown else "unrecognised",
        unrecognised=tuple(unknown),
        warnings=tuple(messages),
    )


def order_grades(
    labels: Iterable[Any],
    *,
    custom_order: Sequence[Any] | None = None,
    default_states: Sequence[Any] | None = None,
) -> list[str]:
    """Order grade labels from best to worst, default states last.

    Same rules as :func:`resolve_grade_order`. Labels that fit no scale
    raise an :class:`UnrecognisedGradeWarning` through :mod:`warnings`.

    Returns
    -------
    list of str
        The distinct normalised labels (plus the grades of ``custom_order``),
        best first.
    """
    order = resolve_grade_order(labels, custom_order=custom_order, default_states=default_states)
    if order.unrecognised:
        warnings.warn(order.warnings[0], UnrecognisedGradeWarning, stacklevel=2)
    return list(order.grades)


def grade_rank(
    labels: Iterable[Any],
    *,
    custom_order: Sequence[Any] | None = None,
    default_states: Sequence[Any] | None = None,
) -> dict[str, int]:
    """Map each normalised grade label to its position, 0 for the best.

    Same rules as :func:`resolve_grade_order`. Use the mapping to sort rows
    by grade or to compute notch distances.
    """
    order = resolve_grade_order(labels, custom_order=custom_order, default_states=default_states)
    return order.rank()


def _is_missing(value: Any) -> bool:
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        # pandas.NA raises on bool(), and a value that cannot be compared is no grade either.
        return True


def _distinct_labels(values: Iterable[Any]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        label = normalise_grade(value)
        if label is not None:
            seen.setdefault(label, None)
    return list(seen)


def _custom_grades(custom_order: Sequence[Any]) -> list[str]:
    grades = [normalise_grade(value) for value in custom_order]
    if any(grade is None for grade in grades):
        raise InvalidGradeOrderError(
            "The custom grade order contains a missing or blank grade. List each grade once, best first.",
            details={"grade_order": [None if grade is None else grade for grade in grades]},
        )
    repeated = sorted({grade for grade in grades if grades.count(grade) > 1}, key=_natural_key)
    if repeated:
        raise InvalidGradeOrderError(
            f"The custom grade order lists these grades more than once: {repeated}. List each grade once, best first.",
            details={"repeated": repeated},
        )
    return grades  # type: ignore[return-value]


def _default_states(labels: list[str], explicit: list[str] | None) -> list[str]:
    if explicit is not None:
        return list(explicit)
    # "D" is a performing grade only on a pure letter scale that goes past D.
    others = [label.upper() for label in labels if label.upper() not in _DEFAULT_STATE_RANKS]
    d_is_performing = (
        bool(others)
        and all(_LETTER_GRADE.fullmatch(label) for label in others)
        and any(_LETTER_AFTER_D.fullmatch(label) for label in others)
    )
    defaults = []
    for label in labels:
        upper = label.upper()
        if upper not in _DEFAULT_STATE_RANKS:
            continue
        if upper == "D" and d_is_performing:
            continue
        defaults.append(label)
    return defaults


def _numeric_key(label: str) -> tuple[float, ...] | None:
    if not _NUMBER.fullmatch(label):
        return None
    return (float(label),)


def _table_key(table: dict[str, tuple[int, ...]]) -> Callable[[str], tuple[int, ...] | None]:
    return table.get


def _letter_key(label: str) -> tuple[int, ...] | None:
    match = _LETTER_GRADE.fullmatch(label.upper())
    if match is None:
        return None
    letter, modifier = match.groups()
    if modifier is None:
        modifier_rank = 0
    elif modifier == "+":
        modifier_rank = -1
    elif modifier == "-":
        modifier_rank = 1
    else:
        modifier_rank = int(modifier)
    return (ord(letter), modifier_rank)


def _build_moodys_table() -> dict[str, tuple[int, ...]]:
    table = {grade: (2 * position, 0) for position, grade in enumerate(_MOODYS_GRADES)}
    for category in _MOODYS_BARE_CATEGORIES:
        middle = f"{category}2"
        table[category] = (table[middle][0] - 1, 0)
    return table


_MOODYS_TABLE = _build_moodys_table()
_SP_FITCH_TABLE = {grade: (position,) for position, grade in enumerate(_SP_FITCH_GRADES)}

_SCALE_KEYS: dict[str, Callable[[str], tuple[Any, ...] | None]] = {
    "numeric": _numeric_key,
    "moodys": _table_key(_MOODYS_TABLE),
    "sp_fitch": _table_key(_SP_FITCH_TABLE),
    "letter": _letter_key,
}


def _recognise_scale(labels: list[str]) -> tuple[str, dict[str, tuple[Any, ...]]]:
    """Pick the first scale that reads every label, else the one reading most."""
    best_scale = "unrecognised"
    best_keys: dict[str, tuple[Any, ...]] = {}
    for scale in SCALES:
        key_of = _SCALE_KEYS[scale]
        keys = {}
        for label in labels:
            key = key_of(label)
            if key is not None:
                keys[label] = key
        if len(keys) == len(labels):
            return scale, keys
        if len(keys) > len(best_keys):
            best_scale, best_keys = scale, keys
    return best_scale, best_keys


def _natural_key(label: str) -> tuple[tuple[tuple[int, int, str], ...], str]:
    parts = []
    for part in _DIGITS.split(label):
        if not part:
            continue
        if _DIGITS.fullmatch(part):
            parts.append((0, int(part), ""))
        else:
            parts.append((1, 0, part.casefold()))
    return tuple(parts), label


def _unrecognised_message(unknown: list[str], scale: str) -> str:
    listed = ", ".join(repr(label) for label in unknown[:10])
    more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    if scale == "custom":
        where = "are not in the custom grade order"
    elif scale == "unrecognised":
        where = "fit no known rating scale"
    else:
        where = f"do not belong to the recognised {scale} scale"
    return (
        f"Grades {listed}{more} {where}. They are placed after the other performing grades "
        "in natural order. Pass the grade order best to worst to set it explicitly."
    )


def _integer_gap_message(grades: list[str]) -> str | None:
    values = [float(grade) for grade in grades]
    if not values or not all(value.is_integer() for value in values):
        return None
    present = {int(value) for value in values}
    missing = (value for value in range(min(present), max(present) + 1) if value not in present)
    first_missing = list(itertools.islice(missing, 10))
    if not first_missing:
        return None
    more = max(max(present) - min(present) + 1 - len(present) - len(first_missing), 0)
    listed = ", ".join(str(value) for value in first_missing) + (f" and {more} more" if more else "")
    return (
        f"These numeric grades are absent from the data: {listed}. They get no row or column, "
        "so pass the full grade order to keep them as empty grades."
    )
