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
import threading
from collections import OrderedDict
from typing import Any

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


class SortedColumnCache:
    """A thread-safe least-recently-used store of :class:`SortedColumn` by key, bounded in bytes."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple, SortedColumn] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> SortedColumn | None:
        """Return the entry under ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, column: SortedColumn) -> None:
        """Keep ``column`` under ``key`` unless it alone exceeds the capacity."""
        size = column.nbytes
        if size > self.capacity:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= previous.nbytes
            self._entries[key] = column
            self._bytes += size
            while self._bytes > self.capacity:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.nbytes

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        return self._bytes


#: The store shared by every engine of this process.
SHARED = SortedColumnCache()
