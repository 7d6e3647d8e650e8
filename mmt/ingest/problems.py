"""Collection of value problems found while the batches stream by.

Each problem is keyed by its code and column. It keeps the total count and
the first :data:`MAX_LISTED` offending rows with their values, so a rejection
can name them without holding every bad row in memory. Row numbers are
0-based data-row indices here; :mod:`mmt.ingest.pipeline` turns them into
1-based data-row numbers and file line numbers when it builds the error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

MAX_LISTED = 10


@dataclass(slots=True)
class Problem:
    """Offending values of one kind in one column."""

    code: str
    column: str
    role: str | None
    summary: str
    hint: str
    count: int = 0
    rows: list[int] = field(default_factory=list)
    values: list[object] = field(default_factory=list)


class ProblemLog:
    """Problems in insertion order, the first one being the one reported."""

    def __init__(self) -> None:
        self._problems: dict[tuple[str, str], Problem] = {}

    def __bool__(self) -> bool:
        return bool(self._problems)

    def __iter__(self):
        return iter(self._problems.values())

    def add(
        self,
        code: str,
        column: str,
        role: str | None,
        mask: pa.Array,
        original: pa.Array,
        row_offset: int,
        *,
        summary: str,
        hint: str,
    ) -> None:
        """Record the rows where ``mask`` is true, with values taken from ``original``."""
        mask = pc.fill_null(mask, False)
        count = pc.sum(mask).as_py() or 0
        if count == 0:
            return
        problem = self._problems.get((code, column))
        if problem is None:
            problem = Problem(code=code, column=column, role=role, summary=summary, hint=hint)
            self._problems[(code, column)] = problem
        problem.count += count
        room = MAX_LISTED - len(problem.rows)
        if room <= 0:
            return
        indices = pc.indices_nonzero(mask).slice(0, room)
        values = pc.take(original, indices).to_pylist()
        for index, value in zip(indices.to_pylist(), values):
            problem.rows.append(row_offset + index)
            problem.values.append(value)

    def merge(self, other: "ProblemLog") -> None:
        """Append the problems of ``other`` (a later batch or another column), keeping the first rows."""
        for problem in other:
            mine = self._problems.get((problem.code, problem.column))
            if mine is None:
                self._problems[(problem.code, problem.column)] = problem
                continue
            mine.count += problem.count
            room = MAX_LISTED - len(mine.rows)
            mine.rows.extend(problem.rows[:room])
            mine.values.extend(problem.values[:room])

    def first(self) -> Problem | None:
        """Return the first recorded problem, or None."""
        return next(iter(self._problems.values()), None)
