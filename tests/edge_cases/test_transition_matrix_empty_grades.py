"""Rating transition matrices with a grade nobody starts in, a default state and missing ratings.

Faults guarded against: ``pd.crosstab`` drops unobserved grades (a 4 x 5
matrix that no longer lines up with the master scale), row-normalising an
empty row gives 0/0 = NaN, grades sorted as text put "10" before "2", the
default row is estimated from data instead of being absorbing, and a missing
rating becomes a state of its own. MMT keeps every grade of the scale in
master-scale order, reports an empty row as ``null`` rates flagged "no
observations", keeps default absorbing and counts missing ratings apart.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.edge_cases.product import analyze, csv_bytes, finite_or_none, upload_bytes

REL = 1e-9
SCALE = ["1", "2", "3", "4", "D"]
# obligor, rating at the end of 2024, rating at the end of 2025; nobody starts in grade 4
HISTORY = [(1, "1", "1"), (2, "1", "1"), (3, "1", "1"), (4, "1", "2"), (5, "2", "2"), (6, "2", "2"), (7, "2", "3"),
           (8, "2", "D"), (9, "3", "3"), (10, "3", "D"), (11, "3", "4"), (12, "D", "D")]


def history_rows(history) -> list[list]:
    rows = []
    for obligor, start, end in history:
        rows.append([obligor, "2024-12-31", start])
        rows.append([obligor, "2025-12-31", end])
    return rows


def upload_history(client, history) -> int:
    data = csv_bytes(["obligor", "snapshot_date", "rating"], history_rows(history))
    return upload_bytes(client, "ratings", "ratings.csv", data)["dataset_id"]


def hand_rates(history, rows, columns=SCALE) -> list[list[float] | None]:
    """Row rates of the start-by-end matrix by plain counting; None for a grade nobody starts in."""
    rates = []
    for start in rows:
        ends = [end for _, first, end in history if first == start]
        rates.append([ends.count(end) / len(ends) for end in columns] if ends else None)
    return rates


def test_empty_grade_keeps_its_row_with_null_rates_in_master_scale_order(client):
    dataset_id = upload_history(client, HISTORY)

    results = analyze(client, "rating_transition", dataset_id=dataset_id, grade_order=SCALE)["results"]

    matrix = results["pooled"]["matrix"]
    assert matrix["rows"] == SCALE
    assert matrix["columns"][:5] == SCALE
    assert matrix["row_totals"] == [4, 4, 3, 0, 1]
    expected = hand_rates(HISTORY, SCALE)
    for observed, rates in zip(matrix["row_rates"], expected, strict=True):
        if rates is None:
            assert observed == [None] * len(matrix["columns"])
        else:
            assert observed[:5] == pytest.approx(rates, rel=REL)
    assert matrix["empty_grades"] == ["4"]
    assert matrix["row_rates"][4][:5] == [0.0, 0.0, 0.0, 0.0, 1.0]  # default is absorbing
    by_grade = {entry["grade"]: entry for entry in results["pooled"]["summary"]["by_grade"]}
    assert by_grade["2"]["default_rate"] == pytest.approx(0.25, rel=REL)
    assert by_grade["3"]["default_rate"] == pytest.approx(1 / 3, rel=REL)
    assert by_grade["4"]["no_observations"] is True
    assert by_grade["4"]["default_rate"] is None
    flags = {flag["flag"]: flag for flag in results["pooled"]["flags"]}
    assert flags["empty_grades"]["grades"] == ["4"]
    assert flags["default_state_rows"]["grades"] == ["D"]
    assert results["transition_matrix"]["4"] == dict.fromkeys(matrix["columns"])
    assert any("['4']" in message for message in results["warnings"])


def test_grades_beyond_nine_follow_numeric_order_not_text_order(client):
    history = [(1, "10", "9"), (2, "2", "2"), (3, "1", "10"), (4, "9", "10"), (5, "2", "1")]
    dataset_id = upload_history(client, history)

    matrix = analyze(client, "rating_transition", dataset_id=dataset_id)["results"]["pooled"]["matrix"]

    assert matrix["rows"][:4] == ["1", "2", "9", "10"]


def test_missing_rating_is_counted_apart_not_made_a_state(client):
    starts = ["1", "1", "2", None, "2", "3"]
    ends = ["1", "2", "2", "2", "", "D"]

    results = analyze(client, "rating_transition", previous_ratings=starts, current_ratings=ends,
                      grade_order=SCALE)["results"]

    matrix = results["pooled"]["matrix"]
    # Nobody is in default at both dates, yet the absorbing default row is there.
    assert matrix["rows"] == SCALE
    assert matrix["row_rates"][-1] == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert matrix["columns"] == SCALE
    assert matrix["missing_rating"] == 2
    assert sum(matrix["row_totals"]) == 4
    assert not any(label in ("None", "nan", "", "NA") for label in matrix["columns"])


# --- the whole kind: random histories with grades that nobody starts in ---


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["1", "2", "3", "4"]), st.sampled_from(SCALE)), min_size=1, max_size=25)
       .filter(lambda pairs: any(start != "4" for start, _ in pairs)))
def test_random_histories_give_square_rows_that_sum_to_one_or_are_null(client, pairs):
    history = [(index, start, end) for index, (start, end) in enumerate(pairs)]

    body = analyze(client, "rating_transition", dataset_id=upload_history(client, history), grade_order=SCALE)

    assert finite_or_none(body)
    matrix = body["results"]["pooled"]["matrix"]
    assert matrix["rows"][:4] == SCALE[:4]
    assert matrix["columns"][:5] == SCALE
    expected = hand_rates(history, SCALE[:4])
    for grade, observed, rates in zip(SCALE[:4], matrix["row_rates"], expected):
        if rates is None:
            assert all(value is None for value in observed)
            assert grade in matrix["empty_grades"]
        else:
            assert observed[:5] == pytest.approx(rates, rel=REL)
            assert sum(observed) == pytest.approx(1.0, rel=1e-12)
