"""Sorted columns kept between analyses in one process.

Monitoring teams run the PD battery on the same pair of datasets several
times: with other thresholds, options or a segment. Sorting the numeric
columns is most of the time of such a run. The stored Parquet copy of a
dataset never changes once written (a new upload is a new file), so the
sorted columns of a file can be reused until memory is needed. A key
contains the file's inode, size and modification time, so a replaced file is
never served from an old entry.
"""

from __future__ import annotations

import os
from typing import Any

from mmt.engine.bounded_store import BoundedStore
from mmt.engine.columns import SortedColumn

#: Bytes of sorted columns one process keeps between analyses (``MMT_SORTED_CACHE_MB``
#: sets it when the app starts); the least recently used go first.
DEFAULT_CAPACITY = 512 * 1024 * 1024


def file_identity(path: Any) -> tuple | None:
    """Inode, size and modification time of ``path``, or None when it cannot be read."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (str(path), status.st_ino, status.st_size, status.st_mtime_ns)


class SortedColumnCache(BoundedStore[SortedColumn]):
    """A thread-safe least-recently-used store of :class:`SortedColumn` by key, bounded in bytes."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(capacity, size=lambda column: column.nbytes)


#: The store shared by every engine of this process.
SHARED = SortedColumnCache()
