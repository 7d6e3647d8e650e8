"""Per-bin warnings grouped into one summary read as sentences."""

from __future__ import annotations

from mmt.analyses.common import grouped_warnings


def test_summary_joins_sentences_once():
    messages = [f"Bin '{name}' has no events, so its WOE is left unchanged." for name in "ABCD"]
    [warning] = grouped_warnings("woe_pure_bin", "WOE of feature x", messages, feature="x")
    assert warning["message"] == (
        "WOE of feature x: 4 bins flagged, for example: Bin 'A' has no events, so its WOE is left unchanged. "
        "Bin 'B' has no events, so its WOE is left unchanged. Bin 'C' has no events, so its WOE is left unchanged."
    )
    assert warning["details"] == {"feature": "x", "count": 4, "messages": messages}


def test_messages_without_full_stop_get_one():
    [warning] = grouped_warnings("code", "Subject", ["one", "two", "three", "four"], limit=2)
    assert warning["message"] == "Subject: 4 bins flagged, for example: one. two."


def test_few_messages_stay_separate():
    warnings = grouped_warnings("code", "Subject", ["one.", "two."], limit=3)
    assert [warning["message"] for warning in warnings] == ["Subject: one.", "Subject: two."]
