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
