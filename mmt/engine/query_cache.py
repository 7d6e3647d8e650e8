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

import threading
from collections import OrderedDict
from typing import Any

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
        self.capacity = capacity
        self._entries: OrderedDict[tuple, tuple[tuple, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> list[tuple] | None:
        """Return a copy of the rows under ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
        return [_copied(row) for row in found[0]]

    def put(self, key: tuple, rows: list[tuple]) -> None:
        """Keep a copy of ``rows`` under ``key`` unless they are too large."""
        cells = sum(len(row) for row in rows)
        size = (cells + len(rows)) * _BYTES_PER_CELL + _text_bytes(rows)
        if cells > MAX_ENTRY_CELLS or size > self.capacity:
            return
        kept = tuple(_copied(row) for row in rows)
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= previous[1]
            self._entries[key] = (kept, size)
            self._bytes += size
            while self._bytes > self.capacity:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


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
