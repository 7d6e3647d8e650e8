"""Bins for stability (PSI/CSI) and weight-of-evidence statistics.

Numeric bins are intervals between interior cut points ("edges") with
``-inf`` and ``+inf`` as outer bounds. They are right-closed,
``(e[i-1], e[i]]``, by default. The outer bins contain ``-inf`` and
``+inf``, so their labels close there: ``[-inf, e[0]]`` and ``(e[-1], inf]``. optbinning's bins are left-closed,
``[e[i-1], e[i])``, so a :class:`BinningSpec` from :func:`optimal_binning`
records ``closed="left"``. Special values (for example ``-999``) get one bin
each. Missing values always get their own bin labelled ``"Missing"``, even
when it is empty, so that two periods binned alike have the same rows.

Bin codes follow one layout everywhere: interval bins (or category groups)
first, then one code per special value, then the Missing code last.

Quantile cut points use numpy's ``"linear"`` method (numpy's default). The
stability and WOE analyses compute theirs with the same NumPy call over the
values read from the Parquet copy, so the cut points agree to the last bit.
DuckDB's ``quantile_cont`` interpolates the same way up to rounding (the
tests compare the two with a relative tolerance). Optimal binning is
delegated to optbinning (G. Navas-Palencia, "Optimal binning: mathematical
programming formulation", arXiv:2001.08025).
"""

from __future__ import annotations

import math

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable

__all__ = [
    "MISSING_LABEL",
    "BinningSpec",
    "CategoricalLevels",
    "assign_categorical_bins",
    "assign_numeric_bins",
    "bin_labels",
    "check_binary_target",
    "check_labels",
    "categorical_levels",
    "check_counts",
    "equal_width_edges",
    "numeric_binning",
    "optimal_binning",
    "quantile_edges",
    "user_edges",
]

MISSING_LABEL = "Missing"

#: Magnitude to which optimal binning scales a column of smaller numbers before the fit (see ``_fit_range``).
FIT_MAGNITUDE = 2.0**20

Closed = Literal["right", "left"]
NumericMethod = Literal["quantile", "equal_width", "user"]


@dataclass(frozen=True, slots=True)
class BinningSpec:
    """Bins of one characteristic, reusable on another period's values.

    Attributes
    ----------
    kind : {"numeric", "categorical"}
        Interval bins on numbers, or groups of category levels.
    method : str
        How the bins were made: ``"quantile"``, ``"equal_width"``, ``"user"``,
        ``"optimal"`` or ``"levels"`` (one bin per category level).
    edges : tuple of float
        Interior cut points, increasing (numeric only).
    closed : {"right", "left"}
        Side on which the interval bins are closed (numeric only).
    special_values : tuple of float
        Values with a bin of their own, in code order after the intervals.
    groups : tuple of tuple
        Category levels of each bin (categorical only).
    """

    kind: Literal["numeric", "categorical"]
    method: str
    edges: tuple[float, ...] = ()
    closed: Closed = "right"
    special_values: tuple[float, ...] = ()
    groups: tuple[tuple[Any, ...], ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels of all bins in code order, Missing last."""
        if self.kind == "numeric":
            return bin_labels(
                self.edges, closed=self.closed, special_values=self.special_values
            )
        return _group_labels(self.groups)

    @property
    def n_bins(self) -> int:
        """Number of bins including the special and Missing bins."""
        return len(self.labels)

    def assign(self, values: Any) -> np.ndarray:
        """Return the bin code of each value (see :func:`assign_numeric_bins`)."""
        if self.kind == "numeric":
            return assign_numeric_bins(
                values,
                self.edges,
                closed=self.closed,
                special_values=self.special_values,
            )
        return assign_categorical_bins(values, self.groups)

    def to_dict(self) -> dict[str, Any]:
        """Return the binning as plain JSON values."""
        return to_jsonable(
            {
                "kind": self.kind,
                "method": self.method,
                "edges": list(self.edges),
                "closed": self.closed,
                "special_values": list(self.special_values),
                "groups": [list(group) for group in self.groups],
                "labels": list(self.labels),
            }
        )


@dataclass(frozen=True, slots=True)
class CategoricalLevels:
    """Category levels of a characteristic over a reference and a current period.

    Attributes
    ----------
    levels : tuple
        Non-missing levels: reference levels by descending reference
        frequency, then levels seen only in the current period by descending
        current frequency. Ties are ordered by the level's text.
    labels : tuple of str
        Text of each level, then ``"Missing"``.
    unseen : tuple of bool
        Per label, whether the level is absent from the reference period
        (always ``False`` for Missing).
    reference_counts, current_counts : tuple of int
        Observations per label in each period.
    """

    levels: tuple[Any, ...]
    labels: tuple[str, ...]
    unseen: tuple[bool, ...]
    reference_counts: tuple[int, ...]
    current_counts: tuple[int, ...]

    def to_spec(self) -> BinningSpec:
        """Return a binning with one bin per level."""
        return BinningSpec(
            kind="categorical",
            method="levels",
            groups=tuple((level,) for level in self.levels),
        )


def check_counts(counts: Any, name: str) -> np.ndarray:
    """Return ``counts`` as a 1-D float array after checking them.

    Raises
    ------
    ValidationError
        If the counts are not a non-empty 1-D sequence of finite,
        non-negative numbers.
    """
    try:
        array = np.asarray(counts, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValidationError(
            f"{name} must be numbers; got {counts!r}.",
            code="invalid_counts",
            details={"argument": name},
        ) from error

    if array.ndim != 1 or array.size == 0:
        raise ValidationError(
            f"{name} must be a non-empty list of counts per bin; got shape {array.shape}.",
            code="invalid_counts",
            details={"argument": name},
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValidationError(
            f"{name} must be finite and non-negative; got {array.tolist()!r}.",
            code="invalid_counts",
            details={"argument": name},
        )
    return array


def check_binary_target(target: Any) -> np.ndarray:
    """Return a 0/1 target as an int array, rejecting missing and other values."""
    objects = _as_object_array(target)
    if np.any(np.asarray(pd.isna(objects), dtype=bool)):
        raise ValidationError(
            "target must be 0 or 1 for every row; found missing values.",
            code="invalid_target",
        )
    try:
        numbers = objects.astype(float)
    except (TypeError, ValueError) as error:
        raise ValidationError(
            "target must be 0 or 1 for every row; found text or other objects.",
            code="invalid_target",
        ) from error
    if not np.all((numbers == 0) | (numbers == 1)):
        bad = sorted(set(numbers[(numbers != 0) & (numbers != 1)].tolist()))[:5]
        raise ValidationError(
            f"target must be 0 or 1 for every row; found {bad}.",
            code="invalid_target",
            details={"values": bad},
        )
    return numbers.astype(np.int64)


def check_labels(labels: Sequence[str] | None, size: int) -> tuple[str, ...]:
    """Return one text label per bin, ``"bin 1"``, ``"bin 2"``, ... by default.

    Raises
    ------
    ValidationError
        If the number of labels differs from ``size``.
    """
    if labels is None:
        return tuple(f"bin {index + 1}" for index in range(size))
    labels = tuple(str(label) for label in labels)
    if len(labels) != size:
        raise ValidationError(
            f"labels must name each of the {size} bins; got {len(labels)} labels.",
            code="length_mismatch",
        )
    return labels


def quantile_edges(
    reference_values: Any,
    n_bins: int = 10,
    *,
    special_values: Iterable[float] = (),
) -> np.ndarray:
    """Compute interior cut points at the quantiles of the reference values.

    Parameters
    ----------
    reference_values : array_like
        Reference-period values. Missing and special values are left out.
    n_bins : int, optional
        Requested number of bins (10 gives deciles).
    special_values : iterable of float, optional
        Values that get bins of their own and do not move the cut points.

    Returns
    -------
    numpy.ndarray
        Increasing, distinct cut points at probabilities ``1/n_bins, ...,
        (n_bins-1)/n_bins``. Duplicate quantiles (many tied values) are
        merged, so there can be fewer than ``n_bins - 1`` of them, and none
        when there is no finite value.

    Notes
    -----
    numpy's ``method="linear"`` interpolation, which DuckDB's
    ``quantile_cont`` follows up to rounding. Bins built on these cut points are right-closed,
    so each quantile belongs to the bin below it.
    """
    n_bins = _check_n_bins(n_bins)
    finite = _finite_non_special(reference_values, special_values)
    if finite.size == 0 or n_bins == 1:
        return np.empty(0)

    probabilities = np.arange(1, n_bins) / n_bins
    with np.errstate(over="ignore", invalid="ignore"):
        cut_points = np.quantile(finite, probabilities, method="linear")
    if not np.all(np.isfinite(cut_points)):
        # Interpolating between order statistics near -1.8e308 and +1.8e308 overflows. Halving is exact
        # (except for subnormal values), so the quantiles of the halved values, doubled, are the same cut points.
        cut_points = np.quantile(finite / 2.0, probabilities, method="linear") * 2.0
    return np.unique(cut_points)


def equal_width_edges(
    reference_values: Any,
    n_bins: int = 10,
    *,
    special_values: Iterable[float] = (),
) -> np.ndarray:
    """Compute interior cut points splitting the reference range in equal widths.

    Parameters
    ----------
    reference_values : array_like
        Reference-period values. Missing and special values are left out.
    n_bins : int, optional
        Number of bins between the minimum and the maximum.
    special_values : iterable of float, optional
        Values that get bins of their own and do not move the cut points.

    Returns
    -------
    numpy.ndarray
        ``n_bins - 1`` increasing cut points, or none when the values are
        constant or all missing.
    """
    n_bins = _check_n_bins(n_bins)
    finite = _finite_non_special(reference_values, special_values)
    if finite.size == 0:
        return np.empty(0)

    low, high = float(finite.min()), float(finite.max())
    if low == high:
        return np.empty(0)
    if not math.isfinite(high - low):
        # The width overflows (values near ±1.8e308), so each cut point is weighed from the two ends instead.
        shares = np.arange(1, n_bins) / n_bins
        return np.unique(low * (1.0 - shares) + high * shares)
    return np.unique(np.linspace(low, high, n_bins + 1)[1:-1])


def user_edges(cut_points: Iterable[float]) -> np.ndarray:
    """Return user cut points sorted and without duplicates.

    Raises
    ------
    ValidationError
        If a cut point is not a finite number.
    """
    try:
        array = np.asarray(list(cut_points), dtype=float).ravel()
    except (TypeError, ValueError) as error:
        raise ValidationError(
            f"cut points must be numbers; got {cut_points!r}.",
            code="invalid_cut_points",
        ) from error

    if not np.all(np.isfinite(array)):
        raise ValidationError(
            f"cut points must be finite numbers; got {array.tolist()!r}.",
            code="invalid_cut_points",
        )
    return np.unique(array)


def numeric_binning(
    reference_values: Any,
    *,
    method: NumericMethod = "quantile",
    n_bins: int = 10,
    edges: Iterable[float] | None = None,
    special_values: Iterable[float] = (),
) -> BinningSpec:
    """Build right-closed numeric bins from the reference period.

    Parameters
    ----------
    reference_values : array_like
        Reference-period values.
    method : {"quantile", "equal_width", "user"}, optional
        Cut points at reference quantiles, at equal widths, or ``edges``.
        Passing ``edges`` implies ``"user"``.
    n_bins : int, optional
        Requested number of interval bins for the first two methods.
    edges : iterable of float, optional
        User cut points.
    special_values : iterable of float, optional
        Values binned on their own, such as ``-999``.

    Returns
    -------
    BinningSpec
    """
    specials = _special_tuple(special_values)
    if edges is not None:
        cut_points = user_edges(edges)
        method = "user"
    elif method == "quantile":
        cut_points = quantile_edges(reference_values, n_bins, special_values=specials)
    elif method == "equal_width":
        cut_points = equal_width_edges(reference_values, n_bins, special_values=specials)
    else:
        raise ValidationError(
            f"method must be 'quantile', 'equal_width' or 'user' with edges; got {method!r}.",
            code="invalid_option",
            details={"option": "method"},
        )
    return BinningSpec(
        kind="numeric",
        method=method,
        edges=tuple(float(edge) for edge in cut_points),
        special_values=specials,
    )


def bin_labels(
    edges: Iterable[float],
    *,
    closed: Closed = "right",
    special_values: Iterable[float] = (),
) -> tuple[str, ...]:
    """Return labels of all numeric bins in code order.

    Parameters
    ----------
    edges : iterable of float
        Interior cut points, increasing.
    closed : {"right", "left"}, optional
        Closed side of the intervals.
    special_values : iterable of float, optional
        Special values, labelled ``"Special: <value>"``.

    Returns
    -------
    tuple of str
        Interval labels such as ``"[-inf, 0.25]"``, then the special values,
        then ``"Missing"``. Cut points are rounded to 6 significant digits,
        or more where needed to keep distinct cut points apart, so a label
        can show ``367.94`` for a cut point stored as ``367.94000000000005``.
        Cut points below 1e-4 or from 1e15 in magnitude are written in
        scientific notation, such as ``1.23457e+300``.
    """
    bounds = ["-inf", *_format_edges(_check_edges(edges)), "inf"]
    intervals = []
    for index in range(len(bounds) - 1):
        lower, upper = bounds[index], bounds[index + 1]
        # -inf and +inf fall in the outer bins (see assign_numeric_bins), so those ends are closed.
        left = "[" if closed == "left" or lower == "-inf" else "("
        right = "]" if closed == "right" or upper == "inf" else ")"
        intervals.append(f"{left}{lower}, {upper}{right}")
    specials = [f"Special: {_format_number(value)}" for value in special_values]
    return (*intervals, *specials, MISSING_LABEL)


def assign_numeric_bins(
    values: Any,
    edges: Iterable[float],
    *,
    closed: Closed = "right",
    special_values: Iterable[float] = (),
) -> np.ndarray:
    """Return the bin code of each value.

    Parameters
    ----------
    values : array_like
        Numbers; ``None``, ``NaN`` and ``pd.NA`` are missing.
    edges : iterable of float
        Interior cut points, increasing.
    closed : {"right", "left"}, optional
        ``"right"`` puts a value equal to a cut point in the bin below it,
        ``"left"`` in the bin above it.
    special_values : iterable of float, optional
        Values with bins of their own.

    Returns
    -------
    numpy.ndarray of int
        Codes ``0 .. k-1`` for the ``k = len(edges) + 1`` intervals, then one
        code per special value, then ``k + len(special_values)`` for missing.
        ``-inf`` and ``+inf`` fall in the outer intervals.

    Raises
    ------
    ValidationError
        If the edges are not strictly increasing.
    """
    numbers = _as_float_array(values)
    cut_points = _check_edges(edges)
    specials = _special_tuple(special_values)
    n_intervals = cut_points.size + 1

    side = "left" if closed == "right" else "right"
    codes = np.searchsorted(cut_points, numbers, side=side).astype(np.int64)
    for offset, special in enumerate(specials):
        codes[numbers == special] = n_intervals + offset
    codes[np.isnan(numbers)] = n_intervals + len(specials)
    return codes


def categorical_levels(
    reference_values: Any, current_values: Any = ()
) -> CategoricalLevels:
    """List the category levels of two periods in a stable order.

    Parameters
    ----------
    reference_values : array_like
        Reference-period levels; ``None``, ``NaN`` and ``pd.NA`` are missing.
    current_values : array_like, optional
        Current-period levels.

    Returns
    -------
    CategoricalLevels
        Reference levels by frequency, then levels seen only in the current
        period (flagged as unseen), then Missing, which is always present.
    """
    reference_counter, reference_missing = _count_levels(reference_values)
    current_counter, current_missing = _count_levels(current_values)

    def by_frequency(counter: Counter) -> list[Any]:
        return sorted(counter, key=lambda level: (-counter[level], str(level)))

    reference_levels = by_frequency(reference_counter)
    unseen_levels = by_frequency(
        Counter({level: n for level, n in current_counter.items() if level not in reference_counter})
    )
    levels = (*reference_levels, *unseen_levels)

    return CategoricalLevels(
        levels=levels,
        labels=(*(str(level) for level in levels), MISSING_LABEL),
        unseen=(*(level not in reference_counter for level in levels), False),
        reference_counts=(*(reference_counter[level] for level in levels), reference_missing),
        current_counts=(*(current_counter[level] for level in levels), current_missing),
    )


def assign_categorical_bins(
    values: Any, groups: Sequence[Sequence[Any]]
) -> np.ndarray:
    """Return the bin code of each category value.

    Parameters
    ----------
    values : array_like
        Category levels; ``None``, ``NaN`` and ``pd.NA`` are missing.
    groups : sequence of sequences
        Levels of each bin. One level per bin gives one bin per level.

    Returns
    -------
    numpy.ndarray of int
        Index of the group holding each value, ``len(groups)`` for missing.

    Raises
    ------
    ValidationError
        If a value belongs to no group.
    """
    objects = _as_object_array(values)
    missing = np.asarray(pd.isna(objects), dtype=bool)
    code_of = {level: index for index, group in enumerate(groups) for level in group}

    codes = np.full(objects.size, len(groups), dtype=np.int64)
    unknown = []
    for position in np.flatnonzero(~missing):
        code = code_of.get(objects[position])
        if code is None:
            unknown.append(objects[position])
        else:
            codes[position] = code

    if unknown:
        examples = sorted({str(level) for level in unknown})[:5]
        raise ValidationError(
            f"{len(unknown)} values belong to no bin, for example {examples}. "
            "Build the levels from both periods with categorical_levels.",
            code="unknown_category",
            details={"levels": examples},
        )
    return codes


def optimal_binning(
    values: Any,
    target: Any,
    *,
    dtype: Literal["numerical", "categorical"] = "numerical",
    monotonic_trend: str | None = "auto",
    max_n_bins: int | None = None,
    special_values: Iterable[float] | None = None,
    name: str = "",
) -> BinningSpec:
    """Find bins that maximise the information value with optbinning.

    Parameters
    ----------
    values : array_like
        Characteristic values; missing values are allowed.
    target : array_like of {0, 1}
        1 for an event (default, bad), 0 for a non-event.
    dtype : {"numerical", "categorical"}, optional
        Kind of characteristic, as optbinning names it.
    monotonic_trend : str or None, optional
        Trend of the event rate across bins, passed to optbinning:
        ``"auto"``, ``"auto_heuristic"``, ``"auto_asc_desc"``,
        ``"ascending"``, ``"descending"``, ``"concave"``, ``"convex"``,
        ``"peak"``, ``"valley"`` or ``None``.
    max_n_bins : int, optional
        Maximum number of bins, without the special and Missing bins.
    special_values : iterable of float, optional
        Numeric values binned on their own, one bin each.
    name : str, optional
        Characteristic name, used in messages.

    Returns
    -------
    BinningSpec
        Numeric bins are **left-closed** (``closed="left"``), as optbinning
        assigns them; categorical bins are the groups of levels found.

    Raises
    ------
    NotComputable
        If the target has a single class or optbinning finds no solution.

    Notes
    -----
    optbinning 1.0 first pre-bins the data (a CART tree by default), then
    merges every pre-bin with no events or no non-events into a neighbour
    because such a pure bin has an infinite WoE. So the final interval bins
    are never pure on the data they were fitted on. Missing values and
    special values take no part in the optimisation and get their own bins,
    which can be empty or pure. optbinning's binning table then shows WoE 0
    for them, whereas :func:`mmt.stats.woe.calculate_woe` flags a pure bin
    and adjusts it.
    """
    # Imported here because optbinning pulls in ortools, which is slow to load.
    from optbinning import OptimalBinning

    events = check_binary_target(target)
    if dtype == "numerical":
        x: np.ndarray = _as_float_array(values)
    elif dtype == "categorical":
        x = _as_object_array(values)
    else:
        raise ValidationError(
            f"dtype must be 'numerical' or 'categorical'; got {dtype!r}.",
            code="invalid_option",
            details={"option": "dtype"},
        )
    if x.size != events.size:
        raise ValidationError(
            f"values and target must have the same length; got {x.size} and {events.size}.",
            code="length_mismatch",
        )
    if events.size == 0 or events.min() == events.max():
        raise NotComputable(
            f"optimal binning needs events and non-events; got {int(events.sum())} events "
            f"out of {events.size} observations",
            "insufficient_classes",
        )

    specials = _special_tuple(special_values or ())
    exponent = 0
    if dtype == "numerical":
        x, exponent = _fit_range(x, name, specials)
    special_codes = {_format_number(value): [float(np.ldexp(value, exponent))] for value in specials} or None
    binning = OptimalBinning(
        name=name,
        dtype=dtype,
        monotonic_trend=monotonic_trend,
        max_n_bins=max_n_bins,
        special_codes=special_codes,
    )
    binning.fit(x, events)
    if binning.status not in ("OPTIMAL", "FEASIBLE"):
        raise NotComputable(
            f"optbinning found no binning for {name or 'the characteristic'}: status {binning.status}",
            "solver_failed",
        )

    if dtype == "numerical":
        return BinningSpec(
            kind="numeric",
            method="optimal",
            edges=tuple(float(np.ldexp(split, -exponent)) for split in binning.splits),
            closed="left",
            special_values=specials,
        )
    groups = tuple(
        tuple(np.asarray(group, dtype=object).tolist()) for group in binning.splits
    )
    return BinningSpec(kind="categorical", method="optimal", groups=groups)


def _fit_range(values: np.ndarray, name: str, special_values: Sequence[float] = ()) -> tuple[np.ndarray, int]:
    """Return the values optbinning can fit and the power of two they were multiplied by.

    optbinning's pre-binning tree (scikit-learn 1.9) works in 32-bit floats,
    rejects infinite values and treats values less than 1e-7 apart as equal
    (``FEATURE_THRESHOLD``), so a column of numbers below about 1e-6 got one
    bin. Infinite values become missing for the fit. They still fall into
    the outer intervals when the rows are assigned to the bins found. A
    column whose largest magnitude (special values included) is below
    :data:`FIT_MAGNITUDE` is multiplied by ``2**exponent`` to bring it into
    ``[FIT_MAGNITUDE / 2, FIT_MAGNITUDE)``. Multiplying by a power of two is
    exact, and the tree's split points scale with it, so the caller gets the
    cut points back by dividing by the same power of two.

    Raises
    ------
    ValidationError
        For a finite value beyond the 32-bit range (about ±3.4e38).
    """
    limit = float(np.finfo(np.float32).max)
    beyond = np.isfinite(values) & (np.abs(values) > limit)
    if beyond.any():
        example = float(values[beyond][0])
        raise ValidationError(
            f"Column {name or 'values'} has values beyond ±3.4e38 (for example {example:g}), which optimal binning "
            "cannot fit: its decision tree works in 32-bit floats. Use the quantile or equal_width method, or "
            "rescale the column.",
            code="value_out_of_range",
            details={"column": name, "example": example, "limit": limit},
        )
    fitted = np.where(np.isinf(values), np.nan, values)
    magnitudes = np.abs(np.concatenate([fitted[np.isfinite(fitted)], np.asarray(special_values, dtype=float)]))
    largest = float(magnitudes.max()) if magnitudes.size else 0.0
    if largest == 0.0 or largest >= FIT_MAGNITUDE:
        return fitted, 0
    # frexp gives largest = mantissa * 2**power with the mantissa in [0.5, 1), so the product lies in [2**19, 2**20).
    exponent = int(math.log2(FIT_MAGNITUDE)) - math.frexp(largest)[1]
    return np.ldexp(fitted, exponent), exponent


def _group_labels(groups: Sequence[Sequence[Any]]) -> tuple[str, ...]:
    labels = []
    for group in groups:
        if len(group) == 1:
            labels.append(str(group[0]))
        else:
            labels.append("[" + ", ".join(str(level) for level in group) + "]")
    return (*labels, MISSING_LABEL)


def _format_edges(edges: Iterable[float]) -> list[str]:
    values = [float(edge) for edge in edges]
    for digits in range(6, 18):
        texts = [_format_number(value, digits) for value in values]
        if len(set(texts)) == len(texts):
            return texts
    return [_format_number(value) for value in values]


# Magnitudes written without an exponent. Outside them positional text runs to
# hundreds of digits (1e300, 1e-300), so labels switch to scientific notation.
_POSITIONAL_RANGE = (1e-4, 1e15)


def _format_number(value: float, digits: int | None = None) -> str:
    value = float(value)
    magnitude = abs(value)
    if magnitude != 0 and not _POSITIONAL_RANGE[0] <= magnitude < _POSITIONAL_RANGE[1]:
        if digits is None:
            return np.format_float_scientific(value, trim="-")
        text = np.format_float_scientific(value, precision=digits - 1, unique=False, trim="-")
        # NumPy 2.4 keeps the point of a bare mantissa here ("1.e+300").
        return text.replace(".e", "e")
    if digits is not None:
        # Never round away digits before the decimal point.
        whole_digits = len(str(int(magnitude)))
        return np.format_float_positional(
            value, precision=max(digits, whole_digits), fractional=False, trim="-"
        )
    # Shortest text that round-trips, written without an exponent.
    return np.format_float_positional(value, trim="-")


def _check_edges(edges: Iterable[float]) -> np.ndarray:
    cut_points = np.asarray(list(edges), dtype=float)
    if (
        cut_points.ndim != 1
        or not np.all(np.isfinite(cut_points))
        or np.any(np.diff(cut_points) <= 0)
    ):
        raise ValidationError(
            f"edges must be strictly increasing finite numbers; got {cut_points.tolist()!r}. "
            "Pass cut points through user_edges to sort them.",
            code="invalid_cut_points",
        )
    return cut_points


def _check_n_bins(n_bins: Any) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValidationError(
            f"n_bins must be a whole number of at least 1; got {n_bins!r}.",
            code="invalid_option",
            details={"option": "n_bins"},
        )
    return int(n_bins)


def _special_tuple(special_values: Iterable[float]) -> tuple[float, ...]:
    specials = user_edges(special_values)
    return tuple(float(value) for value in specials)


def _finite_non_special(values: Any, special_values: Iterable[float]) -> np.ndarray:
    numbers = _as_float_array(values)
    keep = np.isfinite(numbers)
    for special in _special_tuple(special_values):
        keep &= numbers != special
    return numbers[keep]


def _as_float_array(values: Any) -> np.ndarray:
    """Return values as a 1-D float array with NaN for every missing value."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return values.astype(float).ravel()
    if isinstance(values, (pd.Series, pd.api.extensions.ExtensionArray)) and (
        pd.api.types.is_numeric_dtype(values.dtype)
    ):
        return np.asarray(values.to_numpy(dtype=float, na_value=np.nan)).ravel()
    objects = _as_object_array(values)
    missing = np.asarray(pd.isna(objects), dtype=bool)
    numbers = np.full(objects.size, np.nan)
    try:
        numbers[~missing] = objects[~missing].astype(float)
    except (TypeError, ValueError) as error:
        raise ValidationError(
            "values must be numbers or missing; found text or other objects.",
            code="non_numeric_values",
        ) from error
    return numbers


def _as_object_array(values: Any) -> np.ndarray:
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        return np.asarray(values.to_numpy(dtype=object), dtype=object).ravel()
    array = np.asarray(values, dtype=object)
    return array.ravel()


def _count_levels(values: Any) -> tuple[Counter[Hashable], int]:
    objects = _as_object_array(values)
    missing = np.asarray(pd.isna(objects), dtype=bool)
    return Counter(objects[~missing].tolist()), int(missing.sum())
