"""Repeated identifiers: the quick integer check never hides a repeat and never invents one.

The reference is Python's own count of the identifier texts of the file.
"""

from __future__ import annotations

import collections
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mmt.ingest.pipeline as pipeline
from mmt.ingest import ingest_file


def _ingest(folder: Path, identifiers: list[str]):
    lines = ["obligor_id,pd,default_flag"]
    lines += [f"{identifier},0.{index % 9 + 1},{index % 2}" for index, identifier in enumerate(identifiers)]
    path = folder / "upload.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ingest_file(path, "upload.csv", "pd", folder / "upload.parquet")


def _repeats(identifiers: list[str]) -> dict[str, int]:
    return {key: count for key, count in collections.Counter(identifiers).items() if count > 1}


def _warning(result):
    return next((item for item in result.warnings if item["code"] == "duplicate_ids"), None)


@pytest.mark.parametrize("identifiers, repeated", [
    (["3", "1", "2"], {}),                      # whole numbers, not ascending, all distinct
    (["1", "2", "3", "4"], {}),                 # ascending: the check needs no sort
    (["5", "9", "5", "1"], {"5": 2}),           # a repeat out of order
    (["007", "7", "8"], {}),                    # one integer, two texts: DuckDB decides, no repeat
    (["A1", "A2", "A1"], {"A1": 2}),            # not whole numbers: the DuckDB pass
    (["-1", "+1", "1"], {}),                    # signs give other texts of one integer
])
def test_repeated_identifiers(tmp_path, identifiers, repeated):
    warning = _warning(_ingest(tmp_path, identifiers))
    if not repeated:
        assert warning is None
        return
    assert warning is not None
    assert warning["details"]["count"] == len(repeated)
    found = {str(example["id"]): example["rows"] for example in warning["details"]["examples"]}
    assert found == repeated


def test_more_identifiers_than_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_KEPT_IDENTIFIERS", 3)
    identifiers = ["1", "2", "3", "4", "2"]
    warning = _warning(_ingest(tmp_path, identifiers))
    assert warning is not None and warning["details"]["count"] == 1
    assert _warning(_ingest(tmp_path, ["1", "2", "3", "4", "5"])) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["1", "2", "3", "01", "10", "-2", "+3", "x", "99999999999"]), min_size=1, max_size=25))
def test_warning_matches_python_count(identifiers):
    with tempfile.TemporaryDirectory() as folder:
        warning = _warning(_ingest(Path(folder), identifiers))
    repeats = _repeats(identifiers)
    if not repeats:
        assert warning is None
    else:
        assert warning is not None
        assert warning["details"]["count"] == len(repeats)
        for example in warning["details"]["examples"]:
            assert repeats[str(example["id"])] == example["rows"]
