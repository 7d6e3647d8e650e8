"""Aggregations with DuckDB over the Parquet copies.

Queries are built from quoted identifiers and bound parameters only: column
names come from the dataset's own schema and are quoted, values are always
parameters.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

import duckdb
import numpy as np

from mmt.engine.base import Aggregates, Selection

_LOCAL = threading.local()


def quote(identifier: str) -> str:
    """Quote a column name for SQL (double quotes doubled)."""
    return '"' + identifier.replace('"', '""') + '"'


def bin_case(value: str, edges: Sequence[float]) -> str:
    """SQL for the 0-based right-closed bin of ``value``: the number of edges below it.

    Written as a plain ``CASE`` so that DuckDB and Spark SQL read it alike.
    """
    if len(edges) == 0:
        return "0"
    branches = " ".join(f"WHEN {value} <= {float(edge)!r} THEN {index}" for index, edge in enumerate(edges))
    return f"(CASE {branches} ELSE {len(edges)} END)"


def _connection() -> duckdb.DuckDBPyConnection:
    connection = getattr(_LOCAL, "connection", None)
    if connection is None:
        connection = duckdb.connect(database=":memory:")
        connection.execute("SET threads TO 2")
        connection.execute("SET preserve_insertion_order = false")
        _LOCAL.connection = connection
    return connection


def _source(selection: Selection) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = [str(selection.path)]
    for column, values in selection.filters:
        if not values:
            clauses.append("FALSE")
            continue
        non_null = [value for value in values if value is not None]
        parts = []
        if non_null:
            parts.append(f"{quote(column)} IN ({', '.join('?' for _ in non_null)})")
            params.extend(non_null)
        if len(non_null) < len(values):
            parts.append(f"{quote(column)} IS NULL")
        clauses.append("(" + " OR ".join(parts) + ")")
    for column in selection.not_null:
        clauses.append(f"{quote(column)} IS NOT NULL")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return f"(SELECT * FROM read_parquet(?){where})", params


def _fetch(sql: str, params: list[Any]) -> Aggregates:
    result = _connection().execute(sql, params).fetchnumpy()
    return Aggregates({name: np.asarray(values) for name, values in result.items()})


class DuckDBEngine:
    """Aggregation queries run by an in-process DuckDB."""

    name = "duckdb"

    def count(self, selection: Selection) -> int:
        source, params = _source(selection)
        return int(_connection().execute(f"SELECT count(*) FROM {source}", params).fetchone()[0])

    def distinct_values(self, selection: Selection, column: str, limit: int = 10_000) -> list[Any]:
        source, params = _source(selection)
        rows = _connection().execute(
            f"SELECT DISTINCT {quote(column)} AS value FROM {source} ORDER BY value NULLS LAST LIMIT {int(limit)}",
            params,
        ).fetchall()
        return [row[0] for row in rows]

    def score_counts(self, selection: Selection, score: str, flag: str, group_by: str | None = None) -> Aggregates:
        source, params = _source(selection)
        group = f"{quote(group_by)} AS grp, " if group_by else ""
        # Ordinals, not aliases: a data column may be called "score" too.
        group_ordinals = "1, 2" if group_by else "1"
        sql = (
            f"SELECT {group}{quote(score)} AS score, "
            f"sum(CASE WHEN {quote(flag)} = 1 THEN 1 ELSE 0 END)::BIGINT AS defaults, "
            f"sum(CASE WHEN {quote(flag)} = 0 THEN 1 ELSE 0 END)::BIGINT AS non_defaults "
            f"FROM {source} WHERE {quote(score)} IS NOT NULL AND {quote(flag)} IS NOT NULL "
            f"GROUP BY {group_ordinals} ORDER BY {group_ordinals}"
        )
        return _fetch(sql, params)

    def grade_sums(self, selection: Selection, grade: str, pd: str, flag: str,
                   edges: Sequence[float] | None = None) -> Aggregates:
        """Sum obligors, defaults and powers of the PD per grade.

        With ``edges`` the "grade" is the right-closed bin of column ``grade``
        (its 0-based index as text), for portfolios without a rating.
        """
        source, params = _source(selection)
        p = f"CAST({quote(pd)} AS DOUBLE)"
        y = f"CAST({quote(flag)} AS DOUBLE)"
        if edges is None:
            grade_expr = f"CAST({quote(grade)} AS VARCHAR)"
        else:
            grade_expr = f"CAST({bin_case(f'CAST({quote(grade)} AS DOUBLE)', edges)} AS VARCHAR)"
        sql = (
            f"SELECT {grade_expr} AS grade, count(*)::BIGINT AS obligors, "
            f"sum({y})::DOUBLE AS defaults, sum({p}) AS sum_pd, sum({p}*{p}) AS sum_pd2, "
            f"sum({p}*{p}*{p}) AS sum_pd3, sum({p}*{p}*{p}*{p}) AS sum_pd4, sum({y}*{p}) AS sum_default_pd, "
            f"min({p}) AS min_pd, max({p}) AS max_pd "
            f"FROM {source} WHERE {quote(pd)} IS NOT NULL AND {quote(flag)} IS NOT NULL "
            f"GROUP BY 1 ORDER BY 1"
        )
        return _fetch(sql, params)

    def quantiles(self, selection: Selection, column: str, probabilities: Sequence[float]) -> list[float]:
        source, params = _source(selection)
        probs = ", ".join(repr(float(value)) for value in probabilities)
        row = _connection().execute(
            f"SELECT quantile_cont(CAST({quote(column)} AS DOUBLE), [{probs}]) FROM {source} "
            f"WHERE {quote(column)} IS NOT NULL",
            params,
        ).fetchone()
        return [] if row is None or row[0] is None else [float(value) for value in row[0]]

    def numeric_bin_counts(self, selection: Selection, column: str, edges: Sequence[float],
                           flag: str | None = None) -> Aggregates:
        """Count rows per right-closed bin ``(e[i-1], e[i]]``; bin -1 holds missing values.

        Bin ``i`` (0-based) holds values ``x`` with ``edges[i-1] < x <= edges[i]``
        and the last bin everything above the last edge, the same as
        ``numpy.searchsorted(edges, x, side="left")``.
        """
        source, params = _source(selection)
        value = f"CAST({quote(column)} AS DOUBLE)"
        bin_expr = f"CASE WHEN {value} IS NULL OR isnan({value}) THEN -1 ELSE {bin_case(value, edges)} END"
        events = (
            f", sum(CASE WHEN {quote(flag)} = 1 THEN 1 ELSE 0 END)::BIGINT AS events, "
            f"sum(CASE WHEN {quote(flag)} = 0 THEN 1 ELSE 0 END)::BIGINT AS non_events"
            if flag else ""
        )
        flag_filter = f" WHERE {quote(flag)} IS NOT NULL" if flag else ""
        sql = (
            f"SELECT {bin_expr} AS bin, count(*)::BIGINT AS observations{events} FROM {source}{flag_filter} "
            f"GROUP BY 1 ORDER BY 1"
        )
        return _fetch(sql, params)

    def level_counts(self, selection: Selection, column: str, flag: str | None = None) -> Aggregates:
        source, params = _source(selection)
        events = (
            f", sum(CASE WHEN {quote(flag)} = 1 THEN 1 ELSE 0 END)::BIGINT AS events, "
            f"sum(CASE WHEN {quote(flag)} = 0 THEN 1 ELSE 0 END)::BIGINT AS non_events"
            if flag else ""
        )
        flag_filter = f" WHERE {quote(flag)} IS NOT NULL" if flag else ""
        sql = (
            f"SELECT CAST({quote(column)} AS VARCHAR) AS level, count(*)::BIGINT AS observations{events} "
            f"FROM {source}{flag_filter} GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST"
        )
        return _fetch(sql, params)

    def column_profile(self, selection: Selection, column: str) -> dict[str, Any]:
        source, params = _source(selection)
        row = _connection().execute(
            f"SELECT count(*), count({quote(column)}), approx_count_distinct({quote(column)}) FROM {source}",
            params,
        ).fetchone()
        return {"rows": int(row[0]), "non_missing": int(row[1]), "distinct_estimate": int(row[2] or 0)}
