"""Rating transition counts and the migration statistics of the ECB instructions.

Sources (formulas, not code):

* ECB Banking Supervision, *Instructions for reporting the validation results
  of internal models - IRB Pillar I models for credit risk* (February 2019),
  section 2.5.5: the customer migration matrix, the upper and lower matrix
  weighted bandwidth (MWB), and the z-tests of the stability of the migration
  matrix (monotone off-diagonal frequencies, p-value = Phi(z)).
* The two-proportion z-test with pooled variance for a change of a
  transition rate between two periods. Its square is Pearson's chi-square
  statistic of the 2 x 2 table without continuity correction.

Conventions, following the ECB migration matrix:

* Rows are the grades at the start of the period, columns the state at the
  end: every grade of the scale, then ``"Exit"`` for an obligor with no row at
  the next date (terminated relationship). A ``"New"`` row counts obligors
  that appear at the next date only. Both are excluded from the statistics.
* ``N_i`` is the number of obligors in performing grade ``i`` at the start,
  exits and defaults included, and ``p_ij = N_ij / N_i``. So per grade
  stability + upgrade + downgrade + default + exit rates add up to one.
* Default states are absorbing: they are columns and rows for every scale.
  Their row rates are 1 on the state itself by definition; the counts in the
  row are obligors observed in default at both dates, reported separately
  and left out of every statistic.
* Grades with no obligor at the start keep their row, with counts 0 and rates
  ``None``.

The MWB and the migration z-tests are written by hand because no maintained
library implements them. The two-proportion z-test is written out (instead of
calling ``statsmodels.stats.proportion.proportions_ztest``) so that this module
stays on numpy and scipy and so that undefined cases raise
:class:`~mmt.stats.NotComputable` instead of returning NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable
from mmt.stats.master_scale import normalise_grade

EXIT = "Exit"
NEW = "New"

SUMMARY_RATES: tuple[str, ...] = ("stability", "upgrade", "downgrade", "default")


@dataclass(frozen=True, slots=True, eq=False)
class TransitionCounts:
    """Count matrix of rating transitions between two dates (or pooled).

    Attributes
    ----------
    row_labels : tuple of str
        Performing grades best first, then default states observed at the
        start, then ``"New"`` when obligors appeared.
    column_labels : tuple of str
        Every grade of the scale (default states last), then ``"Exit"`` when
        exits are counted.
    counts : numpy.ndarray
        Integer counts, shape ``(len(row_labels), len(column_labels))``.
    performing_grades : tuple of str
        The grades that are not default states, best first.
    default_states : tuple of str
        The absorbing default states.
    missing_rating : int
        Pairs left out because the rating at either date is missing.
    exits_dropped : int
        Pairs ``grade -> Exit`` left out because exits are not counted.
    new_dropped : int
        Pairs ``New -> grade`` left out because exits are not counted.
    """

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    counts: np.ndarray
    performing_grades: tuple[str, ...]
    default_states: tuple[str, ...]
    missing_rating: int = 0
    exits_dropped: int = 0
    new_dropped: int = 0

    @property
    def row_totals(self) -> np.ndarray:
        """Number of obligors per starting row."""
        return self.counts.sum(axis=1)

    @property
    def performing_block(self) -> np.ndarray:
        """Counts from performing grade to performing grade, K x K."""
        size = len(self.performing_grades)
        return self.counts[:size, :size]

    @property
    def performing_totals(self) -> np.ndarray:
        """``N_i`` of each performing grade: all obligors starting in it."""
        return self.row_totals[: len(self.performing_grades)]

    @property
    def empty_grades(self) -> tuple[str, ...]:
        """Performing grades without any obligor at the start."""
        totals = self.performing_totals
        return tuple(grade for grade, total in zip(self.performing_grades, totals) if total == 0)

    @property
    def default_rows(self) -> tuple[str, ...]:
        """Default states that have a row because obligors started in them."""
        totals = self.row_totals
        return tuple(
            label
            for label, total in zip(self.row_labels, totals)
            if label in self.default_states and total > 0
        )

    def row_rates(self) -> list[list[float | None]]:
        """Return ``N_ij / N_i`` per row, ``None`` for every cell of an empty row.

        A default state's row is absorbing by definition: 1 on the state itself
        and 0 elsewhere, whatever was observed.
        """
        rates: list[list[float | None]] = []
        for label, row, total in zip(self.row_labels, self.counts, self.row_totals):
            if label in self.default_states:
                rates.append([1.0 if column == label else 0.0 for column in self.column_labels])
            elif total == 0:
                rates.append([None] * len(self.column_labels))
            else:
                rates.append([float(count) / float(total) for count in row])
        return rates

    def __add__(self, other: TransitionCounts) -> TransitionCounts:
        """Pool two matrices of the same scale (rows ``"New"`` or defaults may differ)."""
        if (
            self.column_labels != other.column_labels
            or self.performing_grades != other.performing_grades
            or self.default_states != other.default_states
        ):
            raise ValueError("Only transition counts on the same grades and columns can be pooled.")
        rows = _row_order(self, other)
        counts = np.zeros((len(rows), len(self.column_labels)), dtype=np.int64)
        for source in (self, other):
            for position, label in enumerate(source.row_labels):
                counts[rows.index(label)] += source.counts[position]
        return TransitionCounts(
            row_labels=tuple(rows),
            column_labels=self.column_labels,
            counts=counts,
            performing_grades=self.performing_grades,
            default_states=self.default_states,
            missing_rating=self.missing_rating + other.missing_rating,
            exits_dropped=self.exits_dropped + other.exits_dropped,
            new_dropped=self.new_dropped + other.new_dropped,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return counts, row totals and row rates as plain JSON values."""
        return to_jsonable(
            {
                "rows": list(self.row_labels),
                "columns": list(self.column_labels),
                "counts": self.counts,
                "row_totals": self.row_totals,
                "row_rates": self.row_rates(),
                "empty_grades": list(self.empty_grades),
                "default_rows": list(self.default_rows),
                "missing_rating": self.missing_rating,
                "exits_dropped": self.exits_dropped,
                "new_dropped": self.new_dropped,
            }
        )


def _row_order(first: TransitionCounts, second: TransitionCounts) -> list[str]:
    present = set(first.row_labels) | set(second.row_labels)
    ordered = list(first.performing_grades)
    ordered += [state for state in first.default_states if state in present]
    if NEW in present:
        ordered.append(NEW)
    return ordered


def transition_counts(
    from_ratings: Sequence[Any],
    to_ratings: Sequence[Any],
    order: Sequence[str],
    *,
    default_states: Sequence[str],
    include_exits: bool = True,
) -> TransitionCounts:
    """Count obligors by grade at the start and state at the end.

    Parameters
    ----------
    from_ratings, to_ratings : sequence
        Rating of each obligor at the start and at the end of the period,
        same length. ``"New"`` as start marks an obligor that appears at the
        end only, ``"Exit"`` as end one that has no row at the end. Missing
        values (``None``, NaN, blank) are counted in ``missing_rating`` and
        left out.
    order : sequence of str
        Every grade of the scale, best first (see
        :func:`mmt.stats.master_scale.resolve_grade_order`).
    default_states : sequence of str
        The grades of ``order`` that are default states.
    include_exits : bool, default True
        Count ``"Exit"`` and ``"New"``. When False those pairs are dropped and
        only counted in ``exits_dropped`` and ``new_dropped``.

    Returns
    -------
    TransitionCounts

    Raises
    ------
    ValueError
        If the lengths differ, a rating is not in ``order``, a default state
        is not in ``order``, or ``order`` repeats a grade.
    """
    if len(from_ratings) != len(to_ratings):
        raise ValueError(
            f"from_ratings has {len(from_ratings)} values but to_ratings has {len(to_ratings)}."
        )
    grades = [str(grade) for grade in order]
    if len(set(grades)) != len(grades):
        raise ValueError("The grade order lists a grade more than once.")
    if EXIT in grades or NEW in grades:
        raise ValueError(f"{EXIT!r} and {NEW!r} are reserved and cannot be grades.")
    defaults = tuple(str(state) for state in default_states)
    unknown_defaults = [state for state in defaults if state not in grades]
    if unknown_defaults:
        raise ValueError(f"Default states {unknown_defaults} are not in the grade order.")
    default_set = set(defaults)
    performing = tuple(grade for grade in grades if grade not in default_set)
    ordered_defaults = tuple(grade for grade in grades if grade in default_set)
    columns = list(performing) + list(ordered_defaults)
    if include_exits:
        columns.append(EXIT)
    column_index = {label: position for position, label in enumerate(columns)}
    row_candidates = list(performing) + list(ordered_defaults) + [NEW]
    row_index = {label: position for position, label in enumerate(row_candidates)}

    starts = [normalise_grade(value) for value in from_ratings]
    ends = [normalise_grade(value) for value in to_ratings]
    unknown = sorted(
        {label for label in starts if label is not None and label not in row_index}
        | {label for label in ends if label is not None and label not in column_index and label != EXIT}
    )
    if unknown:
        raise ValueError(f"Ratings {unknown[:10]} are not grades of the given order.")
    if any(start == NEW and end == EXIT for start, end in zip(starts, ends)):
        raise ValueError(f"A pair cannot be both {NEW!r} at the start and {EXIT!r} at the end.")

    missing = exits_dropped = new_dropped = 0
    cells = np.zeros((len(row_candidates), len(columns)), dtype=np.int64)
    pair_codes: list[int] = []
    width = len(columns)
    for start, end in zip(starts, ends):
        if start is None or end is None:
            missing += 1
            continue
        if not include_exits and (start == NEW or end == EXIT):
            if end == EXIT:
                exits_dropped += 1
            else:
                new_dropped += 1
            continue
        pair_codes.append(row_index[start] * width + column_index[end])
    if pair_codes:
        cells += np.bincount(
            np.asarray(pair_codes, dtype=np.int64), minlength=cells.size
        ).reshape(cells.shape)

    totals = cells.sum(axis=1)
    # Default rows are kept even when no obligor starts in default: the state
    # is absorbing by definition, so its row is known without observations.
    kept_rows = list(range(len(performing) + len(ordered_defaults)))
    if totals[-1] > 0:
        kept_rows.append(len(row_candidates) - 1)
    return TransitionCounts(
        row_labels=tuple(row_candidates[position] for position in kept_rows),
        column_labels=tuple(columns),
        counts=cells[kept_rows],
        performing_grades=performing,
        default_states=ordered_defaults,
        missing_rating=missing,
        exits_dropped=exits_dropped,
        new_dropped=new_dropped,
    )


@dataclass(frozen=True, slots=True)
class GradeMigration:
    """Migration figures of one starting grade.

    Counts are obligors. Rates divide by ``obligors`` and are ``None`` when
    the grade has no obligor at the start. ``default_rate`` is the observed
    one-year default rate of the grade in the ECB cohort sense (exits stay in
    the denominator).
    """

    grade: str
    obligors: int
    stayed: int
    upgraded: int
    downgraded: int
    defaulted: int
    exited: int
    multi_notch: int

    def rate(self, name: str) -> float | None:
        """Return the rate ``name`` (stability, upgrade, downgrade, default, exit, multi_notch)."""
        count = {
            "stability": self.stayed,
            "upgrade": self.upgraded,
            "downgrade": self.downgraded,
            "default": self.defaulted,
            "exit": self.exited,
            "multi_notch": self.multi_notch,
        }[name]
        return None if self.obligors == 0 else count / self.obligors

    def to_dict(self) -> dict[str, Any]:
        """Return counts and rates as plain JSON values."""
        return {
            "grade": self.grade,
            "obligors": self.obligors,
            "stayed": self.stayed,
            "upgraded": self.upgraded,
            "downgraded": self.downgraded,
            "defaulted": self.defaulted,
            "exited": self.exited,
            "multi_notch": self.multi_notch,
            "stability_rate": self.rate("stability"),
            "upgrade_rate": self.rate("upgrade"),
            "downgrade_rate": self.rate("downgrade"),
            "default_rate": self.rate("default"),
            "exit_rate": self.rate("exit"),
            "multi_notch_rate": self.rate("multi_notch"),
            "no_observations": self.obligors == 0,
        }


@dataclass(frozen=True, slots=True)
class MigrationSummary:
    """Portfolio migration figures over the performing grades.

    ``total`` aggregates all grades. Rates are ``None`` when no obligor
    starts in a performing grade.
    """

    grades: tuple[GradeMigration, ...]
    total: GradeMigration
    default_states_observed_at_start: int = 0
    cures: int = 0
    new_obligors: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the totals and the figures per grade as plain JSON values."""
        total = self.total.to_dict()
        total.pop("grade")
        return to_jsonable(
            {
                **total,
                "default_states_observed_at_start": self.default_states_observed_at_start,
                "cures": self.cures,
                "new_obligors": self.new_obligors,
                "by_grade": [grade.to_dict() for grade in self.grades],
            }
        )


def migration_summary(counts: TransitionCounts) -> MigrationSummary:
    """Summarise stability, upgrades, downgrades, defaults and multi-notch moves.

    A move between performing grades ``i`` and ``j`` is an upgrade when ``j``
    is better than ``i``, a downgrade when worse, and multi-notch when
    ``|i - j| >= 2`` (positions on the performing scale). A move to any
    default state counts as a default, not as a downgrade.

    Parameters
    ----------
    counts : TransitionCounts

    Returns
    -------
    MigrationSummary
    """
    size = len(counts.performing_grades)
    block = counts.performing_block
    totals = counts.performing_totals
    default_columns = [counts.column_labels.index(state) for state in counts.default_states]
    exit_column = counts.column_labels.index(EXIT) if EXIT in counts.column_labels else None
    positions = np.arange(size)
    distance = positions[None, :] - positions[:, None]

    per_grade = []
    for row, grade in enumerate(counts.performing_grades):
        per_grade.append(
            GradeMigration(
                grade=grade,
                obligors=int(totals[row]),
                stayed=int(block[row, row]),
                upgraded=int(block[row][distance[row] < 0].sum()),
                downgraded=int(block[row][distance[row] > 0].sum()),
                defaulted=int(counts.counts[row, default_columns].sum()) if default_columns else 0,
                exited=int(counts.counts[row, exit_column]) if exit_column is not None else 0,
                multi_notch=int(block[row][np.abs(distance[row]) >= 2].sum()),
            )
        )
    total = GradeMigration(
        grade="all",
        obligors=sum(item.obligors for item in per_grade),
        stayed=sum(item.stayed for item in per_grade),
        upgraded=sum(item.upgraded for item in per_grade),
        downgraded=sum(item.downgraded for item in per_grade),
        defaulted=sum(item.defaulted for item in per_grade),
        exited=sum(item.exited for item in per_grade),
        multi_notch=sum(item.multi_notch for item in per_grade),
    )
    default_rows = [counts.row_labels.index(state) for state in counts.default_rows]
    observed_in_default = int(counts.row_totals[default_rows].sum()) if default_rows else 0
    cures = int(counts.counts[default_rows, :size].sum()) if default_rows else 0
    new_obligors = (
        int(counts.row_totals[counts.row_labels.index(NEW)]) if NEW in counts.row_labels else 0
    )
    return MigrationSummary(
        grades=tuple(per_grade),
        total=total,
        default_states_observed_at_start=observed_in_default,
        cures=cures,
        new_obligors=new_obligors,
    )


def _square_counts(counts: Any) -> np.ndarray:
    matrix = np.asarray(counts, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"A square K x K count matrix is required, got shape {matrix.shape}.")
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
        raise ValueError("Counts must be finite and non-negative.")
    return matrix


def matrix_weighted_bandwidth(counts: Any, direction: str) -> float:
    """Compute the upper or lower matrix weighted bandwidth (ECB 2019, 2.5.5.1).

    ``upper = sum_{j>i} |i-j| N_ij / sum_{j>i} max(|i-K|, |i-1|) N_ij`` and the
    lower one with ``j < i``. Because ``N_i p_ij = N_ij``, only the K x K counts
    between performing grades (best first) enter. Upper means towards worse
    grades (downgrades) when the grades are ordered best first.

    Parameters
    ----------
    counts : array_like
        K x K counts, rows = grade at the start, columns = grade at the end.
    direction : {"upper", "lower"}

    Returns
    -------
    float
        In (0, 1].

    Raises
    ------
    NotComputable
        If K < 2 or there is no migration in that direction.
    ValueError
        If ``counts`` is not square, or has negative or non-finite values.
    """
    matrix = _square_counts(counts)
    if direction not in ("upper", "lower"):
        raise ValueError(f"direction must be 'upper' or 'lower', got {direction!r}.")
    size = matrix.shape[0]
    if size < 2:
        raise NotComputable("The matrix weighted bandwidth needs at least two grades.", "too_few_grades")
    grade_number = np.arange(1, size + 1)
    distance = np.abs(grade_number[:, None] - grade_number[None, :])
    max_distance = np.maximum(np.abs(grade_number - size), np.abs(grade_number - 1))
    side = np.triu(np.ones_like(matrix, dtype=bool), 1)
    if direction == "lower":
        side = side.T
    migrations = np.where(side, matrix, 0.0)
    normaliser = float(np.sum(max_distance[:, None] * migrations))
    if normaliser == 0:
        if direction == "upper":
            moves = "downward (towards worse grades)"
        else:
            moves = "upward (towards better grades)"
        raise NotComputable(
            f"No {moves} migration, so the {direction} matrix weighted bandwidth is undefined.",
            "no_migrations",
        )
    return float(np.sum(distance * migrations)) / normaliser


@dataclass(frozen=True, slots=True)
class MigrationZTest:
    """ECB z-test of one off-diagonal cell: is the cell nearer the diagonal at least as frequent.

    ``z`` and ``p_value`` are ``None`` with a ``reason`` when undefined. A
    small ``p_value`` flags a cell more frequent than its neighbour nearer
    the diagonal.
    """

    from_grade: str
    to_grade: str
    rate: float | None
    neighbour_rate: float | None
    z: float | None
    p_value: float | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the test as plain JSON values."""
        return to_jsonable(
            {
                "from_grade": self.from_grade,
                "to_grade": self.to_grade,
                "rate": self.rate,
                "neighbour_rate": self.neighbour_rate,
                "z": self.z,
                "p_value": self.p_value,
                "reason": self.reason,
            }
        )


def migration_z_test(counts: Any, row_totals: Any, row: int, column: int) -> tuple[float, float]:
    """Test monotonicity of one off-diagonal cell (ECB 2019, 2.5.5.2).

    For ``j > i`` the neighbour is ``(i, j-1)``, for ``j < i`` it is
    ``(i, j+1)``, and ``z = (p_neighbour - p_ij) / sqrt((p_ij (1 - p_ij) +
    p_n (1 - p_n) + 2 p_ij p_n) / N_i)``. H0: ``p_neighbour >= p_ij``.

    Parameters
    ----------
    counts : array_like
        K x K counts between performing grades, best first.
    row_totals : array_like
        ``N_i``: all obligors starting in each grade (exits and defaults
        included), at least the row sums of ``counts``.
    row, column : int
        The cell, ``row != column``.

    Returns
    -------
    tuple of float
        ``(z, p_value)`` with ``p_value = Phi(z)``.

    Raises
    ------
    NotComputable
        If ``N_i = 0`` or both frequencies are 0 (zero variance).
    ValueError
        If ``row == column`` or the inputs are inconsistent.
    """
    matrix = _square_counts(counts)
    totals = np.asarray(row_totals, dtype=float)
    if totals.shape != (matrix.shape[0],):
        raise ValueError("row_totals needs one value per grade.")
    if np.any(totals < matrix.sum(axis=1)):
        raise ValueError("row_totals must be at least the row sums of counts.")
    if row == column:
        raise ValueError("The migration z-test is defined for off-diagonal cells only.")
    obligors = totals[row]
    if obligors == 0:
        raise NotComputable("No obligor starts in this grade.", "no_observations")
    neighbour = column - 1 if column > row else column + 1
    rate = matrix[row, column] / obligors
    neighbour_rate = matrix[row, neighbour] / obligors
    variance = (
        rate * (1 - rate) + neighbour_rate * (1 - neighbour_rate) + 2 * rate * neighbour_rate
    ) / obligors
    if variance <= 0:
        raise NotComputable(
            "Both this cell and its neighbour nearer the diagonal have frequency 0, "
            "so the z-test is undefined.",
            "zero_variance",
        )
    z = (neighbour_rate - rate) / np.sqrt(variance)
    return float(z), float(scipy_stats.norm.cdf(z))


def migration_z_tests(
    counts: Any, row_totals: Any, grades: Sequence[str]
) -> tuple[MigrationZTest, ...]:
    """Run :func:`migration_z_test` on every off-diagonal cell, row by row.

    Undefined cells are returned with ``z`` and ``p_value`` ``None`` and the
    reason.
    """
    matrix = _square_counts(counts)
    totals = np.asarray(row_totals, dtype=float)
    if len(grades) != matrix.shape[0]:
        raise ValueError("grades needs one label per row of counts.")
    results = []
    for row in range(matrix.shape[0]):
        for column in range(matrix.shape[1]):
            if row == column:
                continue
            neighbour = column - 1 if column > row else column + 1
            obligors = totals[row]
            rate = None if obligors == 0 else float(matrix[row, column] / obligors)
            neighbour_rate = None if obligors == 0 else float(matrix[row, neighbour] / obligors)
            try:
                z, p_value = migration_z_test(matrix, totals, row, column)
            except NotComputable as error:
                untested = MigrationZTest(
                    grades[row], grades[column], rate, neighbour_rate, None, None, error.reason
                )
                results.append(untested)
                continue
            results.append(MigrationZTest(grades[row], grades[column], rate, neighbour_rate, z, p_value))
    return tuple(results)


@dataclass(frozen=True, slots=True)
class TwoProportionTest:
    """Two-sided pooled z-test that a rate differs between two periods."""

    events_first: int
    obligors_first: int
    events_second: int
    obligors_second: int
    z: float
    p_value: float

    @property
    def rate_first(self) -> float:
        """Rate in the first period."""
        return self.events_first / self.obligors_first

    @property
    def rate_second(self) -> float:
        """Rate in the second period."""
        return self.events_second / self.obligors_second

    def to_dict(self) -> dict[str, Any]:
        """Return the test as plain JSON values."""
        return to_jsonable(
            {
                "events_first": self.events_first,
                "obligors_first": self.obligors_first,
                "rate_first": self.rate_first,
                "events_second": self.events_second,
                "obligors_second": self.obligors_second,
                "rate_second": self.rate_second,
                "z": self.z,
                "p_value": self.p_value,
            }
        )


def rate_change_test(
    events_first: int, obligors_first: int, events_second: int, obligors_second: int
) -> TwoProportionTest:
    """Test whether a transition rate of one grade changed between two periods.

    Pooled two-proportion z-test: ``z = (p2 - p1) / sqrt(p (1 - p) (1/n1 +
    1/n2))`` with ``p = (x1 + x2) / (n1 + n2)``, two-sided p-value
    ``2 (1 - Phi(|z|))``. Its square equals Pearson's chi-square statistic
    of the 2 x 2 table without continuity correction. A positive ``z``
    means the rate rose.

    Raises
    ------
    NotComputable
        If either period has no obligor, or the pooled rate is 0 or 1.
    ValueError
        If a count is negative or the events exceed the obligors.
    """
    for events, obligors in ((events_first, obligors_first), (events_second, obligors_second)):
        if events < 0 or obligors < 0 or events > obligors:
            raise ValueError(f"Invalid counts: {events} events out of {obligors} obligors.")
    if obligors_first == 0 or obligors_second == 0:
        raise NotComputable("The grade has no obligor in one of the two periods.", "no_observations")
    pooled = (events_first + events_second) / (obligors_first + obligors_second)
    if pooled in (0.0, 1.0):
        raise NotComputable(
            "The rate is 0 or 1 in both periods, so the test statistic is undefined.", "zero_variance"
        )
    difference = events_second / obligors_second - events_first / obligors_first
    standard_error = np.sqrt(pooled * (1 - pooled) * (1 / obligors_first + 1 / obligors_second))
    z = float(difference / standard_error)
    p_value = float(2 * scipy_stats.norm.sf(abs(z)))
    return TwoProportionTest(events_first, obligors_first, events_second, obligors_second, z, p_value)
