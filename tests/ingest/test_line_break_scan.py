"""The byte scan that lets the ingest skip the search for line breaks inside text values."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from mmt.ingest.pipeline import _may_hold_line_break

texts = st.lists(st.one_of(st.none(), st.text(alphabet="ab\n\r;é ", max_size=6)), max_size=30)


@given(texts, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_line_break_scan_misses_none_in_slices(values, start, length):
    array = pa.array(values, pa.string()).slice(start, length)
    contains_line_feed = any("\n" in value for value in array.to_pylist() if value is not None)
    # False must mean that no value contains a line feed. True may be a needless exact check.
    assert contains_line_feed <= _may_hold_line_break(array)


def test_line_break_scan_small_cases():
    assert not _may_hold_line_break(pa.array(["card", None, "loan\r"]))
    assert _may_hold_line_break(pa.array(["card", "two\nlines"]))
    assert not _may_hold_line_break(pa.array([None, None], pa.string()))
    assert not _may_hold_line_break(pa.array([], pa.string()))
