"""Results of aggregate queries kept between analyses in one process.

An analysis run again on the same datasets, with other thresholds or
options, sends the same count queries as before: the levels of every
categorical feature and grade, the sums per grade, the distinct snapshots,
the profile of each column. On the 1M + 1M row benchmark these queries are
about 0.25 s of a 0.37 s re-analysis once the sorted columns are at hand
(docs/benchmarks.md). A query's rows depend only on its text, its
parameters and the Parquet files it reads. A stored Parquet copy never
changes, so the rows are stored under a key made of the text, the
parameters and each file's identity (path, inode, size and modification
time). A replaced file therefore never matches an old entry.

Only queries that read at least one Parquet file named by a parameter are
stored, and only results of at most :data:`MAX_ENTRY_CELLS` cells: large
results are row data rather than aggregates, and the sorted-column stores
keep those.
"""

from __future__ import annotations

from typing import Any

from mmt.engine.bounded_store import BoundedStore
from mmt.engine.sorted_cache import file_identity

#: Bytes of query results one process keeps, estimated from the cell count and text lengths. The least recently
#: used go first.
DEFAULT_CAPACITY = 64 * 1024 * 1024
#: Results with more cells than this are not kept.
MAX_ENTRY_CELLS = 200_000
# Estimated bytes per cell of a result row: a Python object and its slot in the tuple.
_BYTES_PER_CELL = 64


def query_key(sql: str, params: list[Any]) -> tuple | None:
    """Return the cache key of a query, or None when it reads no Parquet file or a file cannot be read."""
    files = [param for param in params if isinstance(param, str) and param.endswith(".parquet")]
    if not files:
        return None
    identities = tuple(file_identity(path) for path in files)
    if any(identity is None for identity in identities):
        return None
    try:
        hash(tuple(params))
    except TypeError:
        return None
    return (sql, tuple(params), identities)


class QueryResultCache:
    """A thread-safe least-recently-used store of query rows, bounded in estimated bytes."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._store: BoundedStore[tuple] = BoundedStore(capacity, size=_estimated_bytes)

    @property
    def capacity(self) -> int:
        """Bytes of results kept at most."""
        return self._store.capacity

    @capacity.setter
    def capacity(self, value: int) -> None:
        self._store.capacity = value

    def get(self, key: tuple) -> list[tuple] | None:
        """Return a copy of the rows under ``key`` (now the most recently used), or None."""
        found = self._store.get(key)
        if found is None:
            return None
        return [_copied(row) for row in found]

    def put(self, key: tuple, rows: list[tuple]) -> None:
        """Keep a copy of ``rows`` under ``key`` unless they are too large."""
        if sum(len(row) for row in rows) > MAX_ENTRY_CELLS:
            return
        self._store.put(key, tuple(_copied(row) for row in rows))

    def clear(self) -> None:
        """Forget every entry."""
        self._store.clear()

    def __len__(self) -> int:
        return len(self._store)


def _estimated_bytes(rows) -> int:
    """Return the estimated bytes of result rows: a fixed size per cell and row, plus the text."""
    cells = sum(len(row) for row in rows)
    return (cells + len(rows)) * _BYTES_PER_CELL + _text_bytes(rows)


def _text_bytes(rows: list[tuple]) -> int:
    """Return the characters and bytes of the text cells, which a fixed size per cell would leave out."""
    # Levels of a free-text column can be kilobytes each, and such results would otherwise pass the capacity.
    return sum(len(value) for row in rows for value in row if isinstance(value, (str, bytes)))


def _copied(row: tuple) -> tuple:
    """Return ``row`` with its list and dict values copied, so a caller that changes one cannot change the entry."""
    if any(isinstance(value, (list, dict)) for value in row):
        return tuple(_deep(value) for value in row)
    return row


def _deep(value: Any) -> Any:
    if isinstance(value, list):
        return [_deep(item) for item in value]
    if isinstance(value, dict):
        return {key: _deep(item) for key, item in value.items()}
    return value


#: The results shared by every DuckDB engine of this process.
QUERIES = QueryResultCache()
