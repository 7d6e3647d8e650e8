"""A least-recently-used store bounded in bytes, shared by the caches of the engine.

The sorted columns (:mod:`mmt.engine.sorted_cache`) and the rows of count
queries (:mod:`mmt.engine.query_cache`) are both kept per process until
memory is needed. The standard library's :func:`functools.lru_cache` limits
the number of entries, not their bytes, so this small class is written here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class BoundedStore(Generic[Value]):
    """A thread-safe least-recently-used store whose entries add up to at most ``capacity`` bytes.

    Parameters
    ----------
    capacity : int
        Bytes kept at most; the least recently used entries go first.
    size : callable
        Bytes of one value.
    """

    def __init__(self, capacity: int, size: Callable[[Value], int]) -> None:
        self.capacity = capacity
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[Value, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        """Return the value under ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Value) -> bool:
        """Keep ``value`` under ``key`` unless it alone exceeds the capacity; return whether it was kept."""
        size = self._size(value)
        if size > self.capacity:
            return False
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= previous[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.capacity:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
        return True

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)
