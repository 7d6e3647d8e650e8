"""Concurrent threshold changes inside one process: no lost update, the history chains up.

Each change records the value it replaced. When two changes interleave
without a lock, both read the same old value and one of them is lost from
the chain. The check: for every key, each entry's old value is the previous
entry's new value, and the value in force is the last entry's new value.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mmt.thresholds import DEFAULTS, SPECS_BY_KEY

KEYS = ("min_grade_obligors", "lgd_mape_threshold", "mape_threshold")
THREADS = 8
CHANGES_PER_THREAD = 12


def new_value(key: str, thread: int, step: int) -> float:
    spec = SPECS_BY_KEY[key]
    # Distinct for every change, inside the allowed range.
    return round(spec.minimum + (spec.maximum - spec.minimum) * (0.1 + 0.8 * (thread * 100 + step) / 1000), 9)


def check_history_chains(client, expected_changes: dict[str, set[float]]) -> int:
    history = client.get("/api/thresholds/history").get_json()["history"]
    in_force = client.get("/api/thresholds").get_json()["thresholds"]
    checked = 0
    for key, values in expected_changes.items():
        entries = sorted((entry for entry in history if entry["key"] == key), key=lambda entry: entry["id"])
        assert {entry["new_value"] for entry in entries} == values
        assert len(entries) == len(values)
        previous = DEFAULTS[key]
        for entry in entries:
            assert entry["old_value"] == previous, (key, entry)
            previous = entry["new_value"]
        assert in_force[key] == previous
        checked += len(entries)
    return checked


def test_parallel_threshold_changes(app):
    def worker(thread: int) -> list[tuple[str, float]]:
        client = app.test_client()
        done = []
        for step in range(CHANGES_PER_THREAD):
            key = KEYS[(thread + step) % len(KEYS)]
            value = new_value(key, thread, step)
            response = client.post("/api/thresholds", json={key: value})
            assert response.status_code == 200, response.get_json()
            done.append((key, value))
        return done

    with ThreadPoolExecutor(THREADS) as pool:
        results = [change for changes in pool.map(worker, range(THREADS)) for change in changes]
    expected: dict[str, set[float]] = {key: set() for key in KEYS}
    for key, value in results:
        expected[key].add(value)
    assert check_history_chains(app.test_client(), expected) == THREADS * CHANGES_PER_THREAD
