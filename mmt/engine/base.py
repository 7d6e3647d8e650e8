"""Engine interface: the aggregation queries every engine answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np


@dataclass(frozen=True)
class Selection:
    """Rows of one Parquet file that an analysis reads.

    ``filters`` maps a column to the values kept (``IN`` list); ``not_null``
    lists columns that must be present (rows with a missing PD or default
    flag are excluded from the PD battery, and counted).
    """

    path: Path
    filters: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    not_null: tuple[str, ...] = ()

    def with_filter(self, column: str, values: Sequence[Any]) -> "Selection":
        return Selection(self.path, self.filters + ((column, tuple(values)),), self.not_null)

    def with_not_null(self, *columns: str) -> "Selection":
        return Selection(self.path, self.filters, self.not_null + tuple(columns))


@dataclass(frozen=True)
class Grouping:
    """One grouping of a combined count query.

    ``edges`` given: right-closed bins of the numeric ``column`` (code ``i``
    holds ``edges[i-1] < x <= edges[i]``, the last code everything above the
    last edge, code -1 missing or NaN). ``edges`` None: the levels of
    ``column`` as text, None for missing. ``by`` adds a second key, such as
    the snapshot date, so that one pass gives the counts per period too.
    """

    name: str
    column: str
    edges: tuple[float, ...] | None = None
    by: str | None = None


@dataclass(frozen=True)
class Profile:
    """Row counts of a selection: ``rows`` before the not-null rules, ``used`` after,
    and per column the used rows whose value is present (not null, not NaN)."""

    rows: int
    used: int
    non_missing: dict[str, int] = field(default_factory=dict)


@dataclass
class Aggregates:
    """Column arrays of one aggregation result, keyed by output name."""

    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


class Engine(Protocol):
    """The aggregation queries of the analyses; DuckDB and Spark implement them."""

    name: str

    def count(self, selection: Selection) -> int: ...

    def distinct_values(self, selection: Selection, column: str, limit: int = 10_000) -> list[Any]: ...

    def score_counts(self, selection: Selection, score: str, flag: str,
                     group_by: str | None = None) -> Aggregates: ...

    def grade_sums(self, selection: Selection, grade: str, pd: str, flag: str,
                   edges: Sequence[float] | None = None) -> Aggregates: ...

    def quantiles(self, selection: Selection, column: str, probabilities: Sequence[float]) -> list[float]: ...

    def numeric_bin_counts(self, selection: Selection, column: str, edges: Sequence[float],
                           flag: str | None = None) -> Aggregates: ...

    def level_counts(self, selection: Selection, column: str, flag: str | None = None) -> Aggregates: ...

    def column_profile(self, selection: Selection, column: str) -> dict[str, Any]: ...

    # Combined queries: one pass over the rows answers many figures.

    def profile(self, selection: Selection, columns: Sequence[str] = ()) -> Profile: ...

    def order_statistics(self, selection: Selection, ranks: dict[str, Sequence[int]],
                         counts: dict[str, int]) -> dict[str, list[float]]: ...

    def grouped_counts(self, selection: Selection, groupings: Sequence[Grouping],
                       flag: str | None = None) -> dict[str, Aggregates]: ...

    def quantiles_many(self, selection: Selection, columns: Sequence[str],
                       probabilities: Sequence[float]) -> dict[str, list[float]]: ...

    def profile_and_quantiles(self, selection: Selection, columns: Sequence[str],
                              probabilities: Sequence[float]) -> tuple[Profile, dict[str, list[float]]]: ...

    def scope(self, flag: str | None = None) -> Any:
        """Context manager inside which the engine may keep per-column work between calls."""
        ...
