"""In-memory reference of the aggregation engine, written for the tests.

Every figure is computed from the rows held in NumPy with the plainest tools:
``numpy.quantile`` for quantiles, ``numpy.searchsorted`` for right-closed
bins, ``numpy.unique`` for score and level counts and ``math.fsum`` (the
correctly rounded sum) for the sums of PD powers. Nothing here is shared
with :mod:`mmt.engine`, so equal answers mean the engines compute the
figures the analyses expect.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from mmt.engine.base import Aggregates, Grouping, Profile, Selection


class ReferenceEngine:
    """Answers the Engine calls from the whole Parquet file read into memory."""

    name = "reference"

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, list]] = {}

    @contextmanager
    def scope(self, flag: str | None = None):
        yield

    def _rows(self, selection: Selection, apply_not_null: bool = True) -> dict[str, list]:
        key = str(selection.path)
        if key not in self._tables:
            self._tables[key] = pq.read_table(selection.path).to_pydict()
        table = self._tables[key]
        size = len(next(iter(table.values())))
        keep = [True] * size
        for column, values in selection.filters:
            allowed = list(values)
            keep = [k and (table[column][i] in allowed) for i, k in enumerate(keep)]
        if apply_not_null:
            for column in selection.not_null:
                keep = [k and table[column][i] is not None for i, k in enumerate(keep)]
        return {column: [value for value, k in zip(values, keep) if k] for column, values in table.items()}

    @staticmethod
    def _present(values: list) -> np.ndarray:
        return np.array([float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))],
                        dtype=float)

    def count(self, selection: Selection) -> int:
        rows = self._rows(selection)
        return len(next(iter(rows.values())))

    def profile(self, selection: Selection, columns: Sequence[str] = ()) -> Profile:
        everything = self._rows(selection, apply_not_null=False)
        used = self._rows(selection)
        return Profile(rows=len(next(iter(everything.values()))), used=len(next(iter(used.values()))),
                       non_missing={column: int(self._present(used[column]).size) for column in columns})

    def distinct_values(self, selection: Selection, column: str, limit: int = 10_000) -> list[Any]:
        values = set(self._rows(selection)[column])
        present = sorted(value for value in values if value is not None)
        return (present + ([None] if None in values else []))[:limit]

    def quantiles(self, selection: Selection, column: str, probabilities: Sequence[float]) -> list[float]:
        values = self._present(self._rows(selection)[column])
        if values.size == 0:
            return []
        return [float(value) for value in np.quantile(values, np.asarray(probabilities, dtype=float))]

    def quantiles_many(self, selection, columns, probabilities):
        return {column: self.quantiles(selection, column, probabilities) for column in columns}

    def order_statistics(self, selection: Selection, ranks: dict[str, Sequence[int]],
                         counts: dict[str, int]) -> dict[str, list[float]]:
        rows = self._rows(selection)
        out = {}
        for column, requested_ranks in ranks.items():
            ordered = np.sort(self._present(rows[column]))
            if requested_ranks and ordered.size:
                out[column] = [float(ordered[int(rank)]) for rank in requested_ranks]
        return out

    def score_counts(self, selection: Selection, score: str, flag: str, group_by: str | None = None) -> Aggregates:
        rows = self._rows(selection)
        triples = [(g, s, f) for g, s, f in zip(rows[group_by] if group_by else [None] * len(rows[score]),
                                                rows[score], rows[flag])
                   if s is not None and f is not None and not (isinstance(s, float) and math.isnan(s)) and f in (0, 1)]
        table: dict[tuple, list[int]] = {}
        for group, value, outcome in triples:
            entry = table.setdefault((group, value), [0, 0])
            entry[0 if outcome == 1 else 1] += 1
        keys = sorted(table, key=lambda key: ((key[0] is None, key[0]) if group_by else (0, 0), key[1]))
        columns = {"score": np.array([key[1] for key in keys]),
                   "defaults": np.array([table[key][0] for key in keys], dtype=np.int64),
                   "non_defaults": np.array([table[key][1] for key in keys], dtype=np.int64)}
        if group_by:
            columns["grp"] = np.array([key[0] for key in keys], dtype=object)
        return Aggregates(columns)

    def grade_sums(self, selection: Selection, grade: str, pd: str, flag: str,
                   edges: Sequence[float] | None = None) -> Aggregates:
        rows = self._rows(selection)
        groups: dict[Any, list[tuple[float, int]]] = {}
        for label, p, y in zip(rows[grade], rows[pd], rows[flag]):
            if p is None or y is None:
                continue
            if edges is not None:
                key = None if label is None else str(int(np.searchsorted(np.asarray(edges, dtype=float), float(label), side="left")))
            else:
                key = None if label is None else _text(label)
            groups.setdefault(key, []).append((float(p), int(y)))
        keys = sorted(groups, key=lambda key: (key is None, key or ""))
        out: dict[str, list] = {name: [] for name in ("grade", "obligors", "defaults", "sum_pd", "sum_pd2", "sum_pd3",
                                                      "sum_pd4", "sum_default_pd", "min_pd", "max_pd")}
        for key in keys:
            pds = [p for p, _ in groups[key]]
            out["grade"].append(key)
            out["obligors"].append(len(pds))
            out["defaults"].append(float(sum(y == 1 for _, y in groups[key])))
            out["sum_pd"].append(math.fsum(pds))
            out["sum_pd2"].append(math.fsum(p * p for p in pds))
            out["sum_pd3"].append(math.fsum(p * p * p for p in pds))
            out["sum_pd4"].append(math.fsum(p * p * p * p for p in pds))
            out["sum_default_pd"].append(math.fsum(p for p, y in groups[key] if y == 1))
            out["min_pd"].append(min(pds))
            out["max_pd"].append(max(pds))
        return Aggregates({name: np.array(values, dtype=object if name == "grade" else None)
                           for name, values in out.items()})

    def _bin_codes(self, values: list, edges: Sequence[float]) -> list[int]:
        edge_array = np.asarray(edges, dtype=float)
        codes = []
        for value in values:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                codes.append(-1)
            else:
                codes.append(int(np.searchsorted(edge_array, float(value), side="left")))
        return codes

    def numeric_bin_counts(self, selection: Selection, column: str, edges: Sequence[float],
                           flag: str | None = None) -> Aggregates:
        rows = self._rows(selection)
        codes = self._bin_codes(rows[column], edges)
        return self._counts("bin", codes, rows[flag] if flag else None, sort_by_count=False)

    def level_counts(self, selection: Selection, column: str, flag: str | None = None) -> Aggregates:
        rows = self._rows(selection)
        levels = [None if value is None else _text(value) for value in rows[column]]
        return self._counts("level", levels, rows[flag] if flag else None, sort_by_count=True)

    @staticmethod
    def _counts(name: str, keys: list, flags: list | None, sort_by_count: bool) -> Aggregates:
        table: dict[Any, list[int]] = {}
        for index, key in enumerate(keys):
            if flags is not None and flags[index] is None:
                continue
            entry = table.setdefault(key, [0, 0, 0])
            entry[0] += 1
            if flags is not None:
                entry[1] += flags[index] == 1
                entry[2] += flags[index] == 0
        if sort_by_count:
            order = sorted(table, key=lambda key: (-table[key][0], key is None, key or ""))
        else:
            order = sorted(table)
        columns = {name: np.array(order, dtype=object if name == "level" else np.int64),
                   "observations": np.array([table[key][0] for key in order], dtype=np.int64)}
        if flags is not None:
            columns["events"] = np.array([table[key][1] for key in order], dtype=np.int64)
            columns["non_events"] = np.array([table[key][2] for key in order], dtype=np.int64)
        return Aggregates(columns)

    def grouped_counts(self, selection: Selection, groupings: Sequence[Grouping], flag: str | None = None):
        raise NotImplementedError("the reference answers the per-figure calls only")

    def column_profile(self, selection: Selection, column: str) -> dict[str, Any]:
        raise NotImplementedError


def _text(value: Any) -> str:
    """Text of a level as SQL's CAST(... AS VARCHAR) writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)
