"""The least-recently-used store behind the sorted-column and query caches."""

from __future__ import annotations

import threading

from mmt.engine.bounded_store import BoundedStore


def test_least_recent_entry_goes_first():
    store = BoundedStore(capacity=10, size=len)
    store.put("a", "xxxx")
    store.put("b", "xxxx")
    assert store.get("a") == "xxxx"
    store.put("c", "xxxx")
    assert store.get("b") is None
    assert store.get("a") == "xxxx"
    assert store.get("c") == "xxxx"
    assert store.nbytes == 8


def test_oversized_value_not_kept():
    store = BoundedStore(capacity=3, size=len)
    assert store.put("a", "xyz") is True
    assert store.put("b", "wxyz") is False
    assert store.get("b") is None
    assert store.get("a") == "xyz"


def test_replaced_value_counted_once():
    store = BoundedStore(capacity=10, size=len)
    store.put("a", "xxxxxx")
    store.put("a", "xx")
    assert store.nbytes == 2
    assert len(store) == 1
    store.clear()
    assert store.nbytes == 0
    assert len(store) == 0


def test_concurrent_puts_stay_within_capacity():
    store = BoundedStore(capacity=100, size=len)

    def fill(prefix: str) -> None:
        for index in range(500):
            store.put(f"{prefix}{index}", "x" * (index % 7 + 1))

    threads = [threading.Thread(target=fill, args=(name,)) for name in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored_bytes = sum(len(store.get(key) or "") for key in list(store._entries))
    assert store.nbytes <= 100
    assert store.nbytes == stored_bytes
