"""Counts per bin, category level and period over a dataset's Parquet copy.

The stability and WOE analyses need queries that the aggregation engine does
not offer. Optimal bins from optbinning are left-closed, special values such as
-999 get bins of their own and stay out of the quantiles, and counts grouped by
period give the reference period, the current period and the trend in one pass
over the rows. DuckDB reads the selected rows of the Parquet copy: column
names are quoted identifiers and every value (period, special value) is a
bound parameter. Quantiles and bin counts of numeric columns are computed
in NumPy from the values read (a batch of columns at a time), so that the
quantiles equal :func:`numpy.quantile` to the last bit; level counts are
grouped in SQL.

Bin codes follow :class:`mmt.stats.binning.BinningSpec`: interval bins first,
then one code per special value, then the Missing code last. NULL and NaN are
missing, as in :func:`mmt.stats.binning.assign_numeric_bins`.

NOTE: these queries run on DuckDB even when ``MMT_ENGINE`` selects Spark.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mmt.engine.base import Selection
from mmt.engine.duckdb_engine import quote
from mmt.stats.binning import BinningSpec

__all__ = [
    "ALL_ROWS",
    "binned_counts",
    "column_kinds",
    "count_rows",
    "distinct_values",
    "fetch_column",
    "level_counts",
    "numeric_quantiles",
    "numeric_range",
    "prefetch_binned_counts",
    "prefetch_quantiles",
    "prefetched",
    "read_schema",
    "special_values_for",
    "target_summary",
]

# Group key of the counts when they are not grouped by a period column.
ALL_ROWS = "__all_rows__"
# Columns aggregated by one query of a prefetch: enough to make per-query costs
# small on wide files, few enough to keep the SQL text and its parameters modest.
PREFETCH_COLUMNS = 100
# Values read into memory at once (8 bytes each) for the quantiles of a batch of columns.
FETCH_VALUES = 20_000_000
# Size of the Arrow batches read for quantiles and bin counts: BATCH_VALUES values
# (8 bytes each) over the columns read, and at least BATCH_ROWS rows.
BATCH_ROWS = 8_192
BATCH_VALUES = 1_000_000

_LOCAL = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    connection = getattr(_LOCAL, "connection", None)
    if connection is None:
        connection = duckdb.connect(database=":memory:")
        connection.execute("SET threads TO 2")
        # DuckDB 2.0 propagates Parquet statistics that hide NaN from isnan().
        connection.execute("SET disabled_optimizers = 'statistics_propagation'")
        # A WOE or stability analysis runs a few queries per column, and each
        # query parsed the file's footer again: with 1,000 columns that was most
        # of the time. Stored Parquet copies are never rewritten in place, and
        # DuckDB checks the file's modification time before using the cache.
        connection.execute("SET parquet_metadata_cache = true")
        _LOCAL.connection = connection
    return connection


def read_schema(path: Any) -> pa.Schema:
    """Return the Arrow schema of a Parquet file without reading its rows."""
    return pq.read_schema(path)


def _source(selection: Selection, *columns: str | None) -> tuple[str, list[Any]]:
    """Return the rows of ``selection`` as a sub-query of ``columns`` (all when none is named) and its parameters.

    Naming the columns matters for wide files: binding ``SELECT *`` over a
    file of 1,000 columns took three times as long as the query itself, and
    a WOE analysis runs a few queries per column.
    """
    named = [column for column in dict.fromkeys(columns) if column]
    projection = ", ".join(quote(column) for column in named) if named else "*"
    clauses: list[str] = []
    params: list[Any] = [str(selection.path)]
    for column, values in selection.filters:
        non_null = [value for value in values if value is not None]
        parts = []
        if non_null:
            placeholders = []
            for value in non_null:
                placeholder, param = _filter_param(value)
                placeholders.append(placeholder)
                params.append(param)
            parts.append(f"{quote(column)} IN ({', '.join(placeholders)})")
        if len(non_null) < len(values):
            parts.append(f"{quote(column)} IS NULL")
        clauses.append("(" + " OR ".join(parts) + ")" if parts else "FALSE")
    for column in selection.not_null:
        clauses.append(f"{quote(column)} IS NOT NULL")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return f"(SELECT {projection} FROM read_parquet(?){where})", params


def _filter_param(value: Any) -> tuple[str, Any]:
    """Return the placeholder and parameter that compare a column with ``value`` exactly."""
    if isinstance(value, pd.Timestamp) and value.tz is None:
        if value.nanosecond:
            # DuckDB binds a Python date-time in microseconds, which would drop the nanoseconds.
            return "CAST(? AS TIMESTAMP_NS)", value.isoformat()
        return "?", value.to_pydatetime()
    return "?", value


def _as_double(column: str) -> str:
    return f"CAST({quote(column)} AS DOUBLE)"


def _regular_values(column: str, special_values: Sequence[float]) -> tuple[str, list[Any]]:
    """Return a condition true for finite values that are not special values."""
    value = _as_double(column)
    condition = f"{value} IS NOT NULL AND isfinite({value})"
    if special_values:
        condition += f" AND {value} NOT IN ({', '.join('?' for _ in special_values)})"
    return condition, [float(special) for special in special_values]


def count_rows(selection: Selection) -> int:
    """Return the number of selected rows."""
    source, params = _source(selection)
    return int(_connection().execute(f"SELECT count(*) FROM {source}", params).fetchone()[0])


@contextmanager
def prefetched() -> Iterator[None]:
    """Keep the results of :func:`prefetch_quantiles` and :func:`prefetch_binned_counts` for the calls made inside.

    A WOE analysis of a wide file requests the quantiles and then the bin
    counts of each column in turn. Answered one query per column, the fixed
    cost of a scan of a file with a thousand columns made most of the time;
    announced up front, they take one scan per :data:`PREFETCH_COLUMNS`
    columns, and each later call finds its result here. The results are
    those of the single-column queries: the same aggregates over the same rows.
    """
    previous = getattr(_LOCAL, "memo", None)
    _LOCAL.memo = {}
    try:
        yield
    finally:
        _LOCAL.memo = previous


def _memo() -> dict | None:
    return getattr(_LOCAL, "memo", None)


def _quantile_key(selection: Selection, column: str, probabilities: Sequence[float],
                  special_values: Sequence[float]) -> tuple:
    return ("quantiles", selection, column, tuple(map(float, probabilities)), tuple(map(float, special_values)))


def _counts_key(selection: Selection, column: str, binning: BinningSpec, flag: str | None,
                group_by: str | None = None) -> tuple:
    return ("bins", selection, column, binning.edges, binning.closed, tuple(binning.special_values), flag, group_by)


def prefetch_quantiles(selection: Selection, requests: Sequence[tuple[str, Sequence[float]]],
                       probabilities: Sequence[float]) -> None:
    """Compute :func:`numeric_quantiles` of many ``(column, special values)`` at once, inside :func:`prefetched`."""
    memo = _memo()
    if memo is None or not probabilities:
        return
    for chunk in _chunks(selection, requests):
        for (column, specials), found in zip(chunk, _quantiles_of(selection, chunk, probabilities)):
            memo[_quantile_key(selection, column, probabilities, specials)] = found


def prefetch_binned_counts(selection: Selection, requests: Sequence[tuple[str, BinningSpec]],
                           flag: str | None = None, group_by: str | None = None) -> None:
    """Compute :func:`binned_counts` of many ``(column, binning)`` at once, inside :func:`prefetched`."""
    memo = _memo()
    if memo is None:
        return
    for start in range(0, len(requests), PREFETCH_COLUMNS):
        chunk = list(requests[start:start + PREFETCH_COLUMNS])
        for (column, binning), found in zip(chunk, _counts_of(selection, chunk, flag, group_by)):
            memo[_counts_key(selection, column, binning, flag, group_by)] = found


def numeric_quantiles(selection: Selection, column: str, probabilities: Sequence[float],
                      special_values: Sequence[float] = ()) -> np.ndarray:
    """Return the distinct quantiles of the finite, non-special values, increasing.

    The quantiles are NumPy's default linear interpolation
    (:func:`numpy.quantile`), the one :func:`mmt.stats.binning.quantile_edges`
    uses. DuckDB's ``quantile_cont`` interpolates with other floating-point
    steps and differed from NumPy in the last bits of about 8 % of the
    deciles of random test data, so the values are read and NumPy computes them. The result is
    empty when there is no such value.
    """
    if not probabilities:
        return np.empty(0)
    memo = _memo()
    if memo is not None:
        found = memo.get(_quantile_key(selection, column, probabilities, special_values))
        if found is not None:
            return found.copy()
    return _quantiles_of(selection, [(column, special_values)], probabilities)[0]


def _chunks(selection: Selection, requests: Sequence[tuple[str, Any]]) -> Iterator[list[tuple[str, Any]]]:
    """Split ``requests`` into batches of columns whose values fit in :data:`FETCH_VALUES`."""
    try:
        rows = int(pq.read_metadata(selection.path).num_rows)
    except (OSError, ValueError):
        rows = FETCH_VALUES
    size = max(1, min(PREFETCH_COLUMNS, FETCH_VALUES // max(rows, 1)))
    for start in range(0, len(requests), size):
        yield list(requests[start:start + size])


def _quantiles_of(selection: Selection, requests: Sequence[tuple[str, Sequence[float]]],
                  probabilities: Sequence[float]) -> list[np.ndarray]:
    """Return :func:`numeric_quantiles` of each ``(column, special values)``, reading the columns in one scan.

    Only the finite, non-special values of each batch are kept, so the
    memory is that of the values the quantiles need.
    """
    regular_parts: list[list[np.ndarray]] = [[] for _ in requests]
    with _read_doubles(selection, [column for column, _ in requests]) as (_, batches):
        for batch in batches:
            for index, (_, specials) in enumerate(requests):
                values = _doubles(batch, index)
                regular_parts[index].append(values[_is_regular(values, specials)])
    quantiles = []
    for parts in regular_parts:
        regular = np.concatenate(parts) if parts else np.empty(0)
        quantiles.append(_quantiles(regular, probabilities))
    return quantiles


def _counts_of(selection: Selection, requests: Sequence[tuple[str, BinningSpec]], flag: str | None,
               group_by: str | None) -> list[dict[Any, dict[str, np.ndarray]]]:
    """Return :func:`binned_counts` of each ``(column, binning)``, reading the columns in one scan.

    The counts are added batch by batch, so the memory does not grow with the number of rows.
    """
    names = ["observations"] + (["events", "non_events"] if flag else [])
    with _read_doubles(selection, [column for column, _ in requests], flag, group_by) as (groups, batches):
        if not group_by:
            groups = [ALL_ROWS]
        # One row of cells per group value, and one for rows whose group is NULL.
        cells = [(len(groups) + 1) * binning.n_bins for _, binning in requests]
        totals = [{name: np.zeros(size, dtype=np.int64) for name in names} for size in cells]
        for batch in batches:
            outcomes, group_codes = _outcomes_and_groups(batch, flag, group_by)
            for index, (_, binning) in enumerate(requests):
                found = _bin_tables(_doubles(batch, index), binning, outcomes, group_codes, cells[index])
                for name in names:
                    totals[index][name] += found[name]
    return [_by_group(total, groups, binning.n_bins) for total, (_, binning) in zip(totals, requests)]


@contextmanager
def _read_doubles(selection: Selection, columns: Sequence[str], flag: str | None = None,
                  group_by: str | None = None) -> Iterator[tuple[list[Any], Iterator[pa.RecordBatch]]]:
    """Stream ``columns`` of the selected rows as doubles (NULL stays null), with the outcome and the group.

    Yields the list of group values and an iterator of Arrow batches. Column
    ``value_<i>`` contains ``columns[i]`` as a double. With ``flag``, column
    ``outcome`` is 1 where ``flag = 1``, 2 where ``flag = 0`` and 0 elsewhere.
    With ``group_by``, column ``period`` is the position of the row's group
    value in the list, or the length of the list when the value is NULL.

    The group values are converted to Python objects as
    :func:`distinct_values` converts them, so they compare equal to the
    periods the analyses choose.
    """
    source, params = _source(selection, *columns, flag, group_by)
    selected = [f"CAST(selected.{quote(column)} AS DOUBLE) AS value_{index}" for index, column in enumerate(columns)]
    if flag:
        selected.append(f"(CASE WHEN selected.{quote(flag)} = 1 THEN 1 WHEN selected.{quote(flag)} = 0 THEN 2 "
                        "ELSE 0 END)::BIGINT AS outcome")
    # Each read runs on a cursor of its own, whose temporary table goes when it closes.
    cursor = _connection().cursor()
    try:
        cursor.execute("SET parquet_metadata_cache = true")
        groups: list[Any] = []
        join = ""
        if group_by:
            groups_source, groups_params = _source(selection, group_by)
            cursor.execute(
                "CREATE TEMP TABLE mmt_groups AS SELECT value, (row_number() OVER ()) - 1 AS code FROM "
                f"(SELECT DISTINCT {quote(group_by)} AS value FROM {groups_source} "
                f"WHERE {quote(group_by)} IS NOT NULL)",
                groups_params,
            )
            groups = [row[1] for row in _value_rows(cursor, "SELECT code, value FROM mmt_groups ORDER BY code", [])]
            selected.append("COALESCE(mmt_groups.code, ?)::BIGINT AS period")
            params = [len(groups), *params]
            join = f" LEFT JOIN mmt_groups ON selected.{quote(group_by)} = mmt_groups.value"
        sql = f"SELECT {', '.join(selected)} FROM {source} AS selected{join}"
        rows = max(BATCH_ROWS, BATCH_VALUES // max(len(columns), 1))
        # DuckDB 2.0.1 warns that Arrow output after execute() copies the rows, and sql() does not.
        yield groups, iter(cursor.sql(sql, params=params).to_arrow_reader(rows))
    finally:
        cursor.close()


def _arrow_table(sql: str, params: list[Any]) -> pa.Table:
    """Run ``sql`` on a cursor of its own and return the rows as an Arrow table.

    DuckDB hands Arrow tables without a copy only from ``sql()``, which the
    shared connection rejects while the result of an earlier ``execute()``
    (such as a count read with ``fetchone()``) is open.
    """
    cursor = _connection().cursor()
    try:
        cursor.execute("SET parquet_metadata_cache = true")
        return cursor.sql(sql, params=params).to_arrow_table()
    finally:
        cursor.close()


def _doubles(batch: pa.RecordBatch, index: int) -> np.ndarray:
    """Return column ``value_<index>`` as floats with NaN for NULL."""
    return batch.column(f"value_{index}").to_numpy(zero_copy_only=False).astype(float, copy=False)


def _is_regular(values: np.ndarray, special_values: Sequence[float]) -> np.ndarray:
    """Return a mask of the finite values that are not special values."""
    keep = np.isfinite(values)
    for special in special_values:
        keep &= values != float(special)
    return keep


def _quantiles(regular: np.ndarray, probabilities: Sequence[float]) -> np.ndarray:
    if regular.size == 0:
        return np.empty(0)
    chosen = [float(p) for p in probabilities]
    with np.errstate(over="ignore", invalid="ignore"):
        # The caller passes a copy, so the partial sort may reorder it in place. That leaves the order statistics unchanged.
        found = np.quantile(regular, chosen, overwrite_input=True)
    if not np.all(np.isfinite(found)):
        # Between order statistics near -1.8e308 and +1.8e308 the interpolation overflows. Halving is exact (except
        # for subnormal values), so the quantiles of the halves, doubled, are the same as in mmt.stats.binning.
        found = np.quantile(regular / 2.0, chosen) * 2.0
    return np.unique(found)


def _outcomes_and_groups(batch: pa.RecordBatch, flag: str | None,
                         group_by: str | None) -> tuple[np.ndarray | None, np.ndarray]:
    """Return each row's outcome code (None without a flag) and group code, as :func:`_read_doubles` defines them."""
    outcomes = batch.column("outcome").to_numpy(zero_copy_only=False) if flag else None
    if not group_by:
        return outcomes, np.zeros(batch.num_rows, dtype=np.int64)
    return outcomes, batch.column("period").to_numpy(zero_copy_only=False)


def _bin_tables(values: np.ndarray, binning: BinningSpec, outcomes: np.ndarray | None,
                group_codes: np.ndarray, cells: int) -> dict[str, np.ndarray]:
    """Count the rows, and events and non-events, per group and bin: cell ``group * n_bins + bin``."""
    edges = np.asarray(binning.edges, dtype=float)
    intervals = edges.size + 1
    # Right-closed bins hold a value equal to a cut point in the bin below it.
    keys = np.searchsorted(edges, values, side="left" if binning.closed == "right" else "right")
    # The first of repeated special values takes the rows, so they are assigned last to first.
    for offset in reversed(range(len(binning.special_values))):
        keys[values == float(binning.special_values[offset])] = intervals + offset
    keys[np.isnan(values)] = intervals + len(binning.special_values)
    keys += group_codes * binning.n_bins
    if outcomes is None:
        return {"observations": np.bincount(keys, minlength=cells)}
    # One count per outcome code (other, event, non-event) and cell.
    keys += outcomes * cells
    found = np.bincount(keys, minlength=3 * cells).reshape(3, cells)
    return {"observations": found.sum(axis=0), "events": found[1], "non_events": found[2]}


def _by_group(counts: dict[str, np.ndarray], groups: list[Any], size: int) -> dict[Any, dict[str, np.ndarray]]:
    """Split cell counts into counts per group value, keyed ``None`` for rows without one.

    Only groups with rows appear. Group values that compare equal in Python
    are added together, as the SQL grouping did.
    """
    shaped = {name: found.reshape(len(groups) + 1, size).astype(float) for name, found in counts.items()}
    result: dict[Any, dict[str, np.ndarray]] = {}
    for index, group in enumerate([*groups, None]):
        if not shaped["observations"][index].any():
            continue
        if group in result:
            for name, found in shaped.items():
                result[group][name] += found[index]
        else:
            result[group] = {name: found[index].copy() for name, found in shaped.items()}
    return result


def numeric_range(selection: Selection, column: str,
                  special_values: Sequence[float] = ()) -> tuple[float, float] | None:
    """Return the minimum and maximum of the finite, non-special values, or ``None``.

    Inside :func:`prefetched` the result is kept, because the stability
    analysis requests the range of each column once to announce its bins and
    once to count them.
    """
    memo = _memo()
    key = ("range", selection, column, tuple(map(float, special_values)))
    if memo is not None and key in memo:
        return memo[key]
    source, source_params = _source(selection, column)
    condition, condition_params = _regular_values(column, special_values)
    value = _as_double(column)
    row = _connection().execute(
        f"SELECT min({value}), max({value}) FROM {source} WHERE {condition}",
        [*source_params, *condition_params],
    ).fetchone()
    found = None if row is None or row[0] is None else (float(row[0]), float(row[1]))
    if memo is not None:
        memo[key] = found
    return found


def _event_sums(flag: str | None) -> str:
    if flag is None:
        return ""
    return (
        f", sum(CASE WHEN {quote(flag)} = 1 THEN 1 ELSE 0 END)::BIGINT AS events"
        f", sum(CASE WHEN {quote(flag)} = 0 THEN 1 ELSE 0 END)::BIGINT AS non_events"
    )


def _group_expression(group_by: str | None) -> str:
    return quote(group_by) if group_by else "NULL"


def binned_counts(selection: Selection, column: str, binning: BinningSpec, *, flag: str | None = None,
                  group_by: str | None = None) -> dict[Any, dict[str, np.ndarray]]:
    """Count rows, and events when ``flag`` is given, per numeric bin.

    Parameters
    ----------
    selection : Selection
        Rows to count.
    column : str
        Numeric column.
    binning : BinningSpec
        Numeric bins (either closed side, with special values).
    flag : str, optional
        0/1 column. Rows where it is neither 0 nor 1 count as observations only.
    group_by : str, optional
        Column whose raw values key the result (a period column).

    Returns
    -------
    dict
        Group value (``ALL_ROWS`` without ``group_by``) to arrays of length
        ``binning.n_bins``: ``observations`` and, with ``flag``, ``events`` and
        ``non_events``.
    """
    memo = _memo()
    if memo is not None:
        found = memo.get(_counts_key(selection, column, binning, flag, group_by))
        if found is not None:
            return {group: {name: values.copy() for name, values in counts.items()} for group, counts in found.items()}
    return _counts_of(selection, [(column, binning)], flag, group_by)[0]


def level_counts(selection: Selection, column: str, *, flag: str | None = None,
                 group_by: str | None = None) -> dict[Any, dict[Any, dict[str, float]]]:
    """Count rows, and events when ``flag`` is given, per raw value of ``column``.

    Returns
    -------
    dict
        Group value (``ALL_ROWS`` without ``group_by``) to a mapping of each raw
        value (``None`` for NULL) to its ``observations`` and, with ``flag``,
        ``events`` and ``non_events``.
    """
    source, params = _source(selection, column, flag, group_by)
    sql = (
        f"SELECT {_group_expression(group_by)} AS period, {quote(column)} AS level, "
        f"count(*)::BIGINT AS observations{_event_sums(flag)} FROM {source} GROUP BY 1, 2"
    )
    names = ["observations"] + (["events", "non_events"] if flag else [])
    result: dict[Any, dict[Any, dict[str, float]]] = {}
    for row in _connection().execute(sql, params).fetchall():
        group = row[0] if group_by else ALL_ROWS
        result.setdefault(group, {})[row[1]] = {name: float(row[2 + offset]) for offset, name in enumerate(names)}
    return result


def distinct_values(selection: Selection, column: str) -> tuple[list[Any], int]:
    """Return the distinct values of ``column`` in increasing order and the count of missing rows.

    NULL and NaN are missing, so a float period column with NaN rows has no
    NaN period.
    """
    source, params = _source(selection, column)
    cursor = _connection().cursor()
    try:
        cursor.execute("SET parquet_metadata_cache = true")
        rows = _value_rows(
            cursor,
            f"SELECT {quote(column)} AS value, count(*)::BIGINT FROM {source} GROUP BY 1 ORDER BY 1 NULLS LAST",
            params,
        )
    finally:
        cursor.close()
    values: list[Any] = []
    missing = 0
    for value, count in rows:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            missing += int(count)
        else:
            values.append(value)
    return values, missing


def _value_rows(cursor: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` and return its rows as Python objects, nanosecond timestamps as ``pandas.Timestamp``.

    DuckDB's ``fetchall()`` (2.0.1) turns TIMESTAMP_NS into microsecond
    ``datetime`` objects, which merges values and no longer selects their rows.
    """
    relation = cursor.sql(sql, params=params)
    if "TIMESTAMP_NS" not in {str(column_type) for column_type in relation.types}:
        return relation.fetchall()
    table = relation.to_arrow_table()
    return list(zip(*(table.column(index).to_pylist() for index in range(table.num_columns)), strict=True))


def fetch_column(selection: Selection, column: str, *, numeric: bool, flag: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Read one column (and the 0/1 ``flag``) of the selected rows into memory.

    Numeric values come as floats with NaN for NULL, other values as Python
    objects with ``None`` for NULL.

    NOTE: optimal binning needs the raw values, so this keeps two columns of
    the selection in memory.
    """
    source, params = _source(selection, column, flag)
    value = _as_double(column) if numeric else quote(column)
    flag_sql = f", CAST({quote(flag)} AS BIGINT) AS flag" if flag else ""
    table = _arrow_table(f"SELECT {value} AS value{flag_sql} FROM {source}", params)
    if numeric:
        values = table.column("value").to_numpy(zero_copy_only=False).astype(float)
    else:
        values = np.asarray(table.column("value").to_pylist(), dtype=object)
    flags = table.column("flag").to_numpy(zero_copy_only=False).astype(np.int64) if flag else None
    return values, flags


def target_summary(selection: Selection, target: str) -> dict[str, Any]:
    """Count rows, missing targets, events, non-events and values other than 0 and 1.

    ``invalid_examples`` lists up to five offending values as text.
    """
    source, params = _source(selection, target)
    number = f"TRY_CAST({quote(target)} AS DOUBLE)"
    row = _connection().execute(
        f"SELECT count(*), count(*) FILTER (WHERE {quote(target)} IS NULL), "
        f"count(*) FILTER (WHERE {number} = 1), count(*) FILTER (WHERE {number} = 0) FROM {source}",
        params,
    ).fetchone()
    rows, missing, events, non_events = (int(value) for value in row)
    invalid = _connection().execute(
        f"SELECT DISTINCT CAST({quote(target)} AS VARCHAR) FROM {source} "
        f"WHERE {quote(target)} IS NOT NULL AND ({number} IS NULL OR {number} NOT IN (0, 1)) ORDER BY 1 LIMIT 5",
        params,
    ).fetchall()
    return {
        "rows": rows,
        "missing": missing,
        "events": events,
        "non_events": non_events,
        "invalid": rows - missing - events - non_events,
        "invalid_examples": [item[0] for item in invalid],
    }


def column_kinds(schema: pa.Schema) -> dict[str, str]:
    """Map each column to ``"numeric"``, ``"date"`` or ``"text"`` by its Arrow type.

    Booleans count as text, because their two values are levels.
    """
    kinds = {}
    for field in schema:
        if pa.types.is_integer(field.type) or pa.types.is_floating(field.type) or pa.types.is_decimal(field.type):
            kinds[field.name] = "numeric"
        elif pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            kinds[field.name] = "date"
        else:
            kinds[field.name] = "text"
    return kinds


def special_values_for(special_values: Iterable[float] | dict[str, list[float]] | None, column: str) -> tuple[float, ...]:
    """Return the special values that apply to ``column``: a shared list or its entry in a mapping."""
    if special_values is None:
        return ()
    if isinstance(special_values, dict):
        return tuple(sorted({float(value) for value in special_values.get(column, [])}))
    return tuple(sorted({float(value) for value in special_values}))
