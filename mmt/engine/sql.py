"""The aggregation queries as SQL, shared by the DuckDB and Spark engines.

Both engines run the same query text apart from a few dialect words
(identifier quotes, the wide integer type, the discrete quantile), so their
results agree: counts are integers, sums of floating-point values are
summed as integer limbs (:mod:`mmt.engine.exact`), and quantiles come from
order statistics. Numbers in the SQL text are written as
``CAST('<repr>' AS DOUBLE)``, which both engines parse to the same double;
filter values are bound parameters.

Combined queries keep the number of passes over the rows small:
:meth:`SQLEngine.profile` counts the rows and the present values of many
columns at once, :meth:`SQLEngine.order_statistics` takes the quantiles of
many columns at once and :meth:`SQLEngine.grouped_counts` counts the bins
and levels of many columns with ``GROUPING SETS`` in one scan.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from mmt.engine.base import Aggregates, Grouping, Profile, Selection
from mmt.engine.exact import disc_probability, interpolate, limbs_to_float, quantile_ranks

# Largest number of values one order-statistics query holds (about 200 MB of doubles).
MAX_SORTED_VALUES = 25_000_000


def double_literal(value: float) -> str:
    """SQL for a double constant that every engine parses to exactly ``value``."""
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"no SQL literal for the non-finite number {number!r}")
    return f"CAST('{number!r}' AS DOUBLE)"


class SQLEngine(ABC):
    """The aggregation queries; subclasses run SQL and name the source table."""

    name = "sql"
    combined_queries = True
    text_type = "VARCHAR"
    # Type each limb is cast to before the sum; the sum must not overflow.
    limb_type = "DECIMAL(38,0)"

    # --- dialect hooks -------------------------------------------------

    @abstractmethod
    def quote(self, identifier: str) -> str:
        """Quote a column name."""

    @abstractmethod
    def table(self, selection: Selection) -> tuple[str, list[Any]]:
        """Return the table expression of the selection's file and its parameters."""

    @abstractmethod
    def discrete_quantiles(self, value: str, probabilities: Sequence[float]) -> str:
        """SQL aggregate returning the list of discrete quantiles of ``value``."""

    @abstractmethod
    def rows(self, sql: str, params: list[Any]) -> list[tuple]:
        """Run a query and return its rows as tuples."""

    @abstractmethod
    def columns(self, sql: str, params: list[Any]) -> dict[str, np.ndarray]:
        """Run a query and return its columns as NumPy arrays."""

    # --- building blocks -----------------------------------------------

    def _filters(self, selection: Selection) -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, values in selection.filters:
            if not values:
                clauses.append("FALSE")
                continue
            non_null = [value for value in values if value is not None]
            parts = []
            if non_null:
                parts.append(f"{self.quote(column)} IN ({', '.join('?' for _ in non_null)})")
                params.extend(non_null)
            if len(non_null) < len(values):
                parts.append(f"{self.quote(column)} IS NULL")
            clauses.append("(" + " OR ".join(parts) + ")")
        return clauses, params

    def _not_null(self, selection: Selection) -> str:
        if not selection.not_null:
            return "TRUE"
        return "(" + " AND ".join(f"{self.quote(column)} IS NOT NULL" for column in selection.not_null) + ")"

    def source(self, selection: Selection, *, apply_not_null: bool = True) -> tuple[str, list[Any]]:
        """Sub-query of the selected rows and its parameters."""
        table, params = self.table(selection)
        clauses, filter_params = self._filters(selection)
        if apply_not_null and selection.not_null:
            clauses.append(self._not_null(selection))
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return f"(SELECT * FROM {table}{where}) AS selected", params + filter_params

    def as_double(self, column: str) -> str:
        return f"CAST({self.quote(column)} AS DOUBLE)"

    def present(self, column: str) -> str:
        """Condition: the value is neither null nor NaN."""
        value = self.as_double(column)
        return f"({self.quote(column)} IS NOT NULL AND NOT isnan({value}))"

    def bin_expression(self, column: str, edges: Sequence[float]) -> str:
        """0-based right-closed bin of ``column``; -1 for missing or NaN."""
        value = self.as_double(column)
        if len(edges) == 0:
            inner = "0"
        else:
            branches = " ".join(
                f"WHEN {value} <= {double_literal(edge)} THEN {index}" for index, edge in enumerate(edges)
            )
            inner = f"(CASE {branches} ELSE {len(edges)} END)"
        return f"(CASE WHEN {value} IS NULL OR isnan({value}) THEN -1 ELSE {inner} END)"

    def _count_if(self, condition: str) -> str:
        return f"CAST(sum(CASE WHEN {condition} THEN 1 ELSE 0 END) AS BIGINT)"

    def truncated(self, expression: str) -> str:
        """SQL of ``expression`` (a double) truncated towards zero, as a double."""
        # Towards zero, so that removing it from the value is exact for negative values too.
        return f"(CASE WHEN {expression} >= 0 THEN floor({expression}) ELSE ceil({expression}) END)"

    def _limb_sums(self, value: str, prefix: str) -> list[str]:
        """Sums of the three integer limbs of ``value`` (see :mod:`mmt.engine.exact`)."""
        scale = double_literal(2.0**62)
        truncated = self.truncated
        scaled = f"(({value} - {truncated(value)}) * {scale})"
        low = f"(({scaled} - {truncated(scaled)}) * {scale})"
        limb = self.limb_type
        return [
            f"sum(CAST({truncated(value)} AS {limb})) AS {prefix}_0",
            f"sum(CAST({truncated(scaled)} AS {limb})) AS {prefix}_1",
            f"sum(CAST({truncated(low)} AS {limb})) AS {prefix}_2",
        ]

    # --- queries ----------------------------------------------------------

    @contextmanager
    def scope(self, flag: str | None = None) -> Iterator[None]:
        """Let the engine keep per-column work between the calls of one analysis (no-op here)."""
        yield

    def count(self, selection: Selection) -> int:
        source, params = self.source(selection)
        return int(self.rows(f"SELECT count(*) FROM {source}", params)[0][0])

    def profile(self, selection: Selection, columns: Sequence[str] = ()) -> Profile:
        """Rows before and after the not-null rules, and present values per column, in one pass."""
        source, params = self.source(selection, apply_not_null=False)
        used = self._not_null(selection)
        parts = ["count(*)", self._count_if(used)]
        parts += [self._count_if(f"{used} AND {self.present(column)}") for column in columns]
        row = self.rows(f"SELECT {', '.join(parts)} FROM {source}", params)[0]
        values = [int(value or 0) for value in row]
        return Profile(rows=values[0], used=values[1], non_missing=dict(zip(columns, values[2:])))

    def distinct_values(self, selection: Selection, column: str, limit: int = 10_000) -> list[Any]:
        source, params = self.source(selection)
        rows = self.rows(
            f"SELECT DISTINCT {self.quote(column)} AS value FROM {source} ORDER BY value NULLS LAST LIMIT {int(limit)}",
            params,
        )
        return [row[0] for row in rows]

    def order_statistics(self, selection: Selection, ranks: dict[str, Sequence[int]],
                         counts: dict[str, int]) -> dict[str, list[float]]:
        """Values at 0-based ascending ``ranks`` among the present values of each column.

        ``counts`` gives each column's number of present values (from
        :meth:`profile`). Columns are batched so that one query holds at most
        :data:`MAX_SORTED_VALUES` values.
        """
        wanted = [(column, sorted(set(int(rank) for rank in ranks[column])))
                  for column in ranks if ranks[column] and counts.get(column, 0) > 0]
        out: dict[str, list[float]] = {}
        batch: list[tuple[str, list[int]]] = []
        held = 0
        for item in wanted:
            if batch and held + counts[item[0]] > MAX_SORTED_VALUES:
                out.update(self._order_statistics_batch(selection, batch, counts))
                batch, held = [], 0
            batch.append(item)
            held += counts[item[0]]
        if batch:
            out.update(self._order_statistics_batch(selection, batch, counts))
        return {column: [out[column][rank] for rank in ranks[column]] for column in out}

    def _order_statistics_batch(self, selection: Selection, batch: list[tuple[str, list[int]]],
                                counts: dict[str, int]) -> dict[str, dict[int, float]]:
        source, params = self.source(selection)
        inner = ", ".join(
            f"(CASE WHEN {self.present(column)} THEN {self.as_double(column)} END) AS v{index}"
            for index, (column, _) in enumerate(batch)
        )
        aggregates = ", ".join(
            self.discrete_quantiles(f"v{index}", [disc_probability(rank, counts[column]) for rank in column_ranks])
            for index, (column, column_ranks) in enumerate(batch)
        )
        row = self.rows(f"SELECT {aggregates} FROM (SELECT {inner} FROM {source}) AS present_values", params)[0]
        return {
            column: dict(zip(column_ranks, (float(value) for value in values)))
            for (column, column_ranks), values in zip(batch, row)
        }

    def quantiles_many(self, selection: Selection, columns: Sequence[str],
                       probabilities: Sequence[float]) -> dict[str, list[float]]:
        """NumPy's linear quantiles of each column's present values, in two passes.

        Columns without a present value get an empty list.
        """
        counts = self.profile(selection, columns).non_missing
        return self.quantiles_from_counts(selection, columns, probabilities, counts)

    def profile_and_quantiles(self, selection: Selection, columns: Sequence[str],
                              probabilities: Sequence[float]) -> tuple[Profile, dict[str, list[float]]]:
        """Row counts of the selection and the quantiles of ``columns``: a profile pass, then one of order statistics."""
        profile = self.profile(selection, columns)
        return profile, self.quantiles_from_counts(selection, columns, probabilities, profile.non_missing)

    def quantiles_from_counts(self, selection: Selection, columns: Sequence[str],
                              probabilities: Sequence[float], counts: dict[str, int]) -> dict[str, list[float]]:
        """As :meth:`quantiles_many`, with the present-value counts already known."""
        plans = {column: quantile_ranks(counts.get(column, 0), probabilities) for column in columns}
        ranks = {column: [rank for lower, upper, _ in plan for rank in (lower, upper)] for column, plan in plans.items()}
        return interpolate_quantiles(plans, self.order_statistics(selection, ranks, counts))

    def quantiles(self, selection: Selection, column: str, probabilities: Sequence[float]) -> list[float]:
        return self.quantiles_many(selection, [column], probabilities)[column]

    def score_counts(self, selection: Selection, score: str, flag: str, group_by: str | None = None) -> Aggregates:
        """Defaults and non-defaults per distinct score (per group), sorted by group then score."""
        source, params = self.source(selection)
        group = f"{self.quote(group_by)} AS grp, " if group_by else ""
        ordinals = "1, 2" if group_by else "1"
        sql = (
            f"SELECT {group}{self.quote(score)} AS score, "
            f"{self._count_if(f'{self.quote(flag)} = 1')} AS defaults, "
            f"{self._count_if(f'{self.quote(flag)} = 0')} AS non_defaults "
            f"FROM {source} WHERE {self.present(score)} AND {self.quote(flag)} IS NOT NULL "
            f"GROUP BY {ordinals}"
        )
        if group_by is not None:
            result = self.columns(sql, params)
            occupied = (np.asarray(result["defaults"]) + np.asarray(result["non_defaults"])) > 0
            return sorted_score_counts(
                np.asarray(result["score"])[occupied], np.asarray(result["defaults"], dtype=np.int64)[occupied],
                np.asarray(result["non_defaults"], dtype=np.int64)[occupied], np.asarray(result["grp"], dtype=object)[occupied],
            )
        result = self.columns(sql, params)
        occupied = (np.asarray(result["defaults"]) + np.asarray(result["non_defaults"])) > 0
        scores = np.asarray(result["score"])[occupied]
        defaults = np.asarray(result["defaults"], dtype=np.int64)[occupied]
        non_defaults = np.asarray(result["non_defaults"], dtype=np.int64)[occupied]
        order = np.argsort(scores)
        return Aggregates({"score": scores[order], "defaults": defaults[order], "non_defaults": non_defaults[order]})

    def grade_sums(self, selection: Selection, grade: str, pd: str, flag: str,
                   edges: Sequence[float] | None = None) -> Aggregates:
        """Obligors, defaults and exact sums of powers of the PD per grade.

        With ``edges`` the "grade" is the right-closed bin of column ``grade``
        (its 0-based index as text), for portfolios without a rating.
        """
        source, params = self.source(selection)
        p = self.as_double(pd)
        y = self.quote(flag)
        if edges is None:
            grade_expr = f"CAST({self.quote(grade)} AS {self.text_type})"
        else:
            grade_expr = f"CAST({self.bin_expression(grade, edges)} AS {self.text_type})"
        powers = {"pd": p, "pd2": f"({p} * {p})", "pd3": f"({p} * {p} * {p})", "pd4": f"({p} * {p} * {p} * {p})",
                  "default_pd": f"(CASE WHEN {y} = 1 THEN {p} ELSE {double_literal(0.0)} END)"}
        sums = [part for name, value in powers.items() for part in self._limb_sums(value, f"sum_{name}")]
        sql = (
            f"SELECT {grade_expr} AS grade, count(*) AS obligors, {self._count_if(f'{y} = 1')} AS defaults, "
            f"{', '.join(sums)}, min({p}) AS min_pd, max({p}) AS max_pd "
            f"FROM {source} WHERE {self.quote(pd)} IS NOT NULL AND {y} IS NOT NULL "
            f"GROUP BY 1"
        )
        # Sorted here, not in SQL: the engines disagree on where NULL sorts by default.
        rows = sorted(self.rows(sql, params), key=lambda row: _null_last(row[0]))
        out: dict[str, np.ndarray] = {
            "grade": np.array([row[0] for row in rows], dtype=object),
            "obligors": np.array([int(row[1]) for row in rows], dtype=np.int64),
            "defaults": np.array([float(row[2]) for row in rows], dtype=float),
        }
        for index, name in enumerate(powers):
            start = 3 + 3 * index
            out[f"sum_{name}"] = np.array([limbs_to_float(*row[start:start + 3]) for row in rows], dtype=float)
        out["min_pd"] = np.array([float(row[-2]) for row in rows], dtype=float)
        out["max_pd"] = np.array([float(row[-1]) for row in rows], dtype=float)
        return Aggregates(out)

    def grouped_counts(self, selection: Selection, groupings: Sequence[Grouping],
                       flag: str | None = None) -> dict[str, Aggregates]:
        """Counts per bin or level of every grouping, in one pass with ``GROUPING SETS``.

        Each result has ``key`` (bin code or level text), ``by`` when the
        grouping has a second key, ``observations`` (all rows) and, with
        ``flag``, ``flagged`` (rows whose flag is present), ``events`` and
        ``non_events``. Rows are sorted by ``by`` then ``key`` (missing last).
        """
        if not groupings:
            return {}
        source, params = self.source(selection)
        keys: list[str] = []
        key_index: dict[tuple, int] = {}
        sets: list[tuple[int, ...]] = []
        for grouping in groupings:
            if grouping.edges is not None:
                expression = self.bin_expression(grouping.column, grouping.edges)
                identity: tuple = ("bin", grouping.column, tuple(float(edge) for edge in grouping.edges))
            else:
                expression = f"CAST({self.quote(grouping.column)} AS {self.text_type})"
                identity = ("level", grouping.column)
            members = [self._key(identity, expression, keys, key_index)]
            if grouping.by is not None:
                members.append(self._key(("by", grouping.by), self.quote(grouping.by), keys, key_index))
            sets.append(tuple(members))
        key_names = [f"k{index}" for index in range(len(keys))]
        inner = ", ".join(f"{expression} AS {name}" for expression, name in zip(keys, key_names))
        measures = ["count(*) AS observations"]
        if flag is not None:
            inner += f", {self.quote(flag)} AS flag_value"
            measures += [f"{self._count_if('flag_value IS NOT NULL')} AS flagged",
                         f"{self._count_if('flag_value = 1')} AS events",
                         f"{self._count_if('flag_value = 0')} AS non_events"]
        distinct_sets = sorted(set(sets))
        grouping_sql = ", ".join("(" + ", ".join(key_names[index] for index in members) + ")" for members in distinct_sets)
        sql = (
            f"SELECT grouping_id({', '.join(key_names)}) AS set_id, {', '.join(key_names)}, {', '.join(measures)} "
            f"FROM (SELECT {inner} FROM {source}) AS keyed GROUP BY GROUPING SETS ({grouping_sql})"
        )
        rows = self.rows(sql, params)
        width = len(key_names)
        by_set: dict[int, list[tuple]] = {}
        for row in rows:
            by_set.setdefault(int(row[0]), []).append(row)
        out: dict[str, Aggregates] = {}
        for grouping, members in zip(groupings, sets):
            set_id = sum(1 << (width - 1 - index) for index in range(width) if index not in members)
            chosen = by_set.get(set_id, [])
            key_position = 1 + members[0]
            by_position = 1 + members[1] if len(members) > 1 else None
            numeric = grouping.edges is not None
            chosen = sorted(chosen, key=lambda row: (_null_last(row[by_position]) if by_position else (0, ""),
                                                     _null_last(row[key_position]) if not numeric
                                                     else (row[key_position] < 0, row[key_position])))
            columns: dict[str, np.ndarray] = {
                "key": np.array([int(row[key_position]) if numeric else row[key_position] for row in chosen],
                                dtype=np.int64 if numeric else object),
            }
            if by_position is not None:
                columns["by"] = np.array([row[by_position] for row in chosen], dtype=object)
            names = ["observations"] + (["flagged", "events", "non_events"] if flag is not None else [])
            for offset, name in enumerate(names):
                columns[name] = np.array([int(row[1 + width + offset] or 0) for row in chosen], dtype=np.int64)
            out[grouping.name] = Aggregates(columns)
        return out

    @staticmethod
    def _key(identity: tuple, expression: str, keys: list[str], key_index: dict[tuple, int]) -> int:
        if identity not in key_index:
            key_index[identity] = len(keys)
            keys.append(expression)
        return key_index[identity]

    def numeric_bin_counts(self, selection: Selection, column: str, edges: Sequence[float],
                           flag: str | None = None) -> Aggregates:
        """Count rows per right-closed bin ``(e[i-1], e[i]]``; bin -1 holds missing values.

        Bin ``i`` (0-based) holds values ``x`` with ``edges[i-1] < x <= edges[i]``
        and the last bin everything above the last edge, the same as
        ``numpy.searchsorted(edges, x, side="left")``. Sorted by bin code.
        """
        counts = self.grouped_counts(selection, [Grouping("bins", column, tuple(edges))], flag)["bins"]
        return bins_result(counts, flag is not None)

    def level_counts(self, selection: Selection, column: str, flag: str | None = None) -> Aggregates:
        """Count rows per level (as text; None for missing), most frequent first."""
        counts = self.grouped_counts(selection, [Grouping("levels", column)], flag)["levels"]
        return levels_result(counts, flag is not None)

    def column_profile(self, selection: Selection, column: str) -> dict[str, Any]:
        source, params = self.source(selection)
        row = self.rows(
            f"SELECT count(*), count({self.quote(column)}), approx_count_distinct({self.quote(column)}) FROM {source}",
            params,
        )[0]
        return {"rows": int(row[0]), "non_missing": int(row[1]), "distinct_estimate": int(row[2] or 0)}


def interpolate_quantiles(plans: dict[str, list[tuple[int, int, float]]],
                          values: dict[str, list[float]]) -> dict[str, list[float]]:
    """Quantiles from their plans (:func:`mmt.engine.exact.quantile_ranks`) and the order statistics found."""
    out: dict[str, list[float]] = {}
    for column, plan in plans.items():
        if not plan:
            out[column] = []
            continue
        found = values[column]
        out[column] = [interpolate(found[2 * index], found[2 * index + 1], gamma)
                       for index, (_, _, gamma) in enumerate(plan)]
    return out


def sorted_score_counts(scores: np.ndarray, defaults: np.ndarray, non_defaults: np.ndarray,
                        groups: np.ndarray) -> Aggregates:
    """Score counts with a group column, sorted by group (missing last) then score."""
    distinct = sorted(set(groups.tolist()), key=_null_last)
    position = {value: index for index, value in enumerate(distinct)}
    codes = np.fromiter((position[value] for value in groups.tolist()), dtype=np.int64, count=len(groups))
    parts = []
    for code in range(len(distinct)):
        chosen = np.flatnonzero(codes == code)
        parts.append(chosen[np.argsort(scores[chosen])])
    order = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return Aggregates({"grp": groups[order], "score": scores[order], "defaults": defaults[order],
                       "non_defaults": non_defaults[order]})


def counts_per_score(scores: np.ndarray, outcome: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct scores (sorted) with their defaults (outcome 1) and non-defaults (outcome 0).

    Rows with any other outcome and NaN scores are left out.
    """
    keep = (outcome == 0) | (outcome == 1)
    if scores.dtype.kind == "f":
        keep &= ~np.isnan(scores)
    scores, outcome = scores[keep], outcome[keep]
    ordered = np.sort(scores)
    if ordered.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return ordered, empty, empty
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    distinct = ordered[starts]
    sizes = np.diff(np.append(starts, ordered.size)).astype(np.int64)
    defaults = np.bincount(np.searchsorted(distinct, scores[outcome == 1], side="left"),
                           minlength=distinct.size).astype(np.int64)
    return distinct, defaults, sizes - defaults


def _null_last(value: Any) -> tuple:
    return (1, "") if value is None else (0, value)


def bins_result(counts: Aggregates, with_flag: bool) -> Aggregates:
    """The ``numeric_bin_counts`` answer from a grouping's counts (bins sorted, missing -1 first)."""
    keep = counts["flagged"] > 0 if with_flag else np.ones(len(counts), dtype=bool)
    codes = counts["key"][keep]
    order = np.argsort(codes, kind="stable")
    columns = {"bin": codes[order]}
    if with_flag:
        columns["observations"] = counts["flagged"][keep][order]
        columns["events"] = counts["events"][keep][order]
        columns["non_events"] = counts["non_events"][keep][order]
    else:
        columns["observations"] = counts["observations"][keep][order]
    return Aggregates(columns)


def levels_result(counts: Aggregates, with_flag: bool) -> Aggregates:
    """The ``level_counts`` answer from a grouping's counts: most frequent first, then by level."""
    keep = counts["flagged"] > 0 if with_flag else np.ones(len(counts), dtype=bool)
    levels = counts["key"][keep]
    observations = counts["flagged"][keep] if with_flag else counts["observations"][keep]
    order = np.asarray(sorted(range(len(levels)), key=lambda index: (-int(observations[index]),) + _null_last(levels[index])),
                       dtype=np.int64)
    columns = {"level": levels[order], "observations": observations[order]}
    if with_flag:
        columns["events"] = counts["events"][keep][order]
        columns["non_events"] = counts["non_events"][keep][order]
    return Aggregates(columns)
