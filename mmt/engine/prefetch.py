"""An engine wrapper that answers many small aggregate calls from a few combined queries.

An analysis asks for one figure at a time (the quantiles of one feature, the
bin counts of another, the score counts of one snapshot). Asked one by one,
each call is a pass over the rows. :class:`PrefetchingEngine` lets the
analysis announce up front what it will ask (``prefetch_*``), runs the
combined queries of :mod:`mmt.engine.sql` for them, and then answers the
usual :class:`mmt.engine.base.Engine` calls from memory. A call that was not
announced goes to the wrapped engine, so the answers are always the same as
without the wrapper; only the number of passes changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mmt.engine.base import Aggregates, Grouping, Selection
from mmt.engine.sql import bins_result, levels_result

SelectionOf = Callable[[Any], Selection]
# Snapshots beyond which per-snapshot score counts are not prefetched.
MAX_SPLIT_VALUES = 400


def _edges_key(edges: Sequence[float]) -> tuple[float, ...]:
    return tuple(float(edge) for edge in edges)


class PrefetchingEngine:
    """Memoising wrapper around an engine, filled by combined queries."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.name = engine.name
        self._memo: dict[tuple, Any] = {}
        self.queries = 0
        # An engine without the combined queries (a test double) answers call by call.
        self.combined = bool(getattr(engine, "combined_queries", False))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def _remember(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self.queries += 1
            self._memo[key] = compute()
        return self._memo[key]

    # --- announcements ------------------------------------------------

    def prefetch_quantiles(self, selection: Selection, columns: Sequence[str],
                           probabilities: Sequence[float]) -> None:
        """Row counts of ``selection`` and quantiles of ``columns``: two passes."""
        if not self.combined:
            return
        self.queries += 2
        profile, values = self.engine.profile_and_quantiles(selection, list(columns), probabilities)
        self._memo[("count", selection)] = profile.used
        self._memo[("count", Selection(selection.path, selection.filters, ()))] = profile.rows
        for column, found in values.items():
            self._memo[("quantiles", selection, column, tuple(float(p) for p in probabilities))] = found

    def prefetch_bins(self, selection: Selection, groupings: Sequence[Grouping], flag: str | None,
                      split: SelectionOf | None = None) -> None:
        """Bin and level counts of every grouping in one pass.

        A grouping with ``by`` also answers the calls on ``split(value)``,
        the selection of one value of the ``by`` column (one snapshot).
        """
        if not groupings or not self.combined:
            return
        self.queries += 1
        results = self.engine.grouped_counts(selection, list(groupings), flag)
        for grouping in groupings:
            counts = results[grouping.name]
            if grouping.by is None:
                self._store_counts(selection, grouping, counts, flag)
                continue
            if split is None:
                continue
            values = counts["by"]
            for value in dict.fromkeys(values.tolist()):
                chosen = np.array([item == value for item in values.tolist()], dtype=bool)
                part = Aggregates({name: array[chosen] for name, array in counts.columns.items() if name != "by"})
                self._store_counts(split(value), grouping, part, flag)

    def _store_counts(self, selection: Selection, grouping: Grouping, counts: Aggregates, flag: str | None) -> None:
        variants = [None] + ([flag] if flag is not None else [])
        for variant in variants:
            if grouping.edges is not None:
                key = ("bins", selection, grouping.column, _edges_key(grouping.edges), variant)
                self._memo[key] = bins_result(counts if variant else _unflagged(counts), variant is not None)
            else:
                key = ("levels", selection, grouping.column, variant)
                self._memo[key] = levels_result(counts if variant else _unflagged(counts), variant is not None)

    def prefetch_score_counts(self, selection: Selection, score: str, flag: str,
                              split_column: str | None = None, split: SelectionOf | None = None) -> None:
        """Score counts of ``selection`` and, with ``split``, of each value of ``split_column``."""
        if not self.combined:
            return
        if split_column is not None and split is not None:
            values = self.distinct_values(selection, split_column, limit=MAX_SPLIT_VALUES + 1)
            if len(values) == 1:
                # One snapshot: the selection and that snapshot hold the same rows.
                counts = self.score_counts(selection, score, flag)
                if values[0] is not None:
                    self._memo[("score_counts", split(values[0]), score, flag)] = counts
                return
            if 1 < len(values) <= MAX_SPLIT_VALUES:
                self._split_score_counts(selection, score, flag, split_column, split)
                return
        self.score_counts(selection, score, flag)

    def _split_score_counts(self, selection: Selection, score: str, flag: str, split_column: str,
                            split: SelectionOf) -> None:
        self.queries += 1
        grouped = self.engine.score_counts(selection, score, flag, group_by=split_column)
        groups = grouped["grp"]
        if len(groups) == 0:
            self._memo[("score_counts", selection, score, flag)] = Aggregates(
                {name: grouped[name] for name in ("score", "defaults", "non_defaults")})
            return
        changes = np.flatnonzero(groups[1:] != groups[:-1]) + 1
        boundaries = np.concatenate(([0], changes, [len(groups)]))
        parts: list[Aggregates] = []
        for start, end in zip(boundaries[:-1].tolist(), boundaries[1:].tolist()):
            part = Aggregates({name: grouped[name][start:end] for name in ("score", "defaults", "non_defaults")})
            if groups[start] is not None:
                self._memo[("score_counts", split(groups[start]), score, flag)] = part
            parts.append(part)
        self._memo[("score_counts", selection, score, flag)] = _merge_score_counts(parts)

    # --- the Engine calls -----------------------------------------------

    def count(self, selection: Selection) -> int:
        return self._remember(("count", selection), lambda: self.engine.count(selection))

    def distinct_values(self, selection: Selection, column: str, limit: int = 10_000) -> list[Any]:
        return self._remember(("distinct", selection, column, limit),
                              lambda: self.engine.distinct_values(selection, column, limit))

    def score_counts(self, selection: Selection, score: str, flag: str, group_by: str | None = None) -> Aggregates:
        if group_by is not None:
            return self.engine.score_counts(selection, score, flag, group_by)
        return self._remember(("score_counts", selection, score, flag),
                              lambda: self.engine.score_counts(selection, score, flag))

    def grade_sums(self, selection: Selection, grade: str, pd: str, flag: str,
                   edges: Sequence[float] | None = None) -> Aggregates:
        key = ("grade_sums", selection, grade, pd, flag, None if edges is None else _edges_key(edges))
        return self._remember(key, lambda: self.engine.grade_sums(selection, grade, pd, flag, edges))

    def quantiles(self, selection: Selection, column: str, probabilities: Sequence[float]) -> list[float]:
        key = ("quantiles", selection, column, tuple(float(p) for p in probabilities))
        return self._remember(key, lambda: self.engine.quantiles(selection, column, probabilities))

    def numeric_bin_counts(self, selection: Selection, column: str, edges: Sequence[float],
                           flag: str | None = None) -> Aggregates:
        key = ("bins", selection, column, _edges_key(edges), flag)
        return self._remember(key, lambda: self.engine.numeric_bin_counts(selection, column, edges, flag))

    def level_counts(self, selection: Selection, column: str, flag: str | None = None) -> Aggregates:
        key = ("levels", selection, column, flag)
        return self._remember(key, lambda: self.engine.level_counts(selection, column, flag))


def _unflagged(counts: Aggregates) -> Aggregates:
    return Aggregates({"key": counts["key"], "observations": counts["observations"]})


def _merge_score_counts(parts: list[Aggregates]) -> Aggregates:
    """Score counts of several groups added up per distinct score."""
    scores = np.concatenate([part["score"] for part in parts])
    defaults = np.concatenate([part["defaults"] for part in parts])
    non_defaults = np.concatenate([part["non_defaults"] for part in parts])
    order = np.argsort(scores, kind="stable")
    scores, defaults, non_defaults = scores[order], defaults[order], non_defaults[order]
    if scores.size == 0:
        return Aggregates({"score": scores, "defaults": defaults, "non_defaults": non_defaults})
    starts = np.flatnonzero(np.concatenate(([True], scores[1:] != scores[:-1])))
    return Aggregates({"score": scores[starts], "defaults": np.add.reduceat(defaults, starts),
                       "non_defaults": np.add.reduceat(non_defaults, starts)})
