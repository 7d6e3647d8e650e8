"""Sample PD files ingested once into Parquet copies, as an upload would store them."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmt.engine.base import Selection
from tests.conftest import DATA

SAMPLE_PD_FILES = ["pd_germancredit.csv", "pd_default_islp.csv", "pd_lendingclub.csv"]
FLAG = "default_flag"


@pytest.fixture(scope="session")
def ingested(tmp_path_factory) -> dict[str, Path]:
    """Parquet copy of each sample PD file, written by the ingest pipeline."""
    from mmt.ingest import ingest_file

    folder = tmp_path_factory.mktemp("engine_parquet")
    out = {}
    for name in SAMPLE_PD_FILES:
        target = folder / (Path(name).stem + ".parquet")
        ingest_file(DATA / name, name, "pd", target)
        out[name] = target
    return out


def periods(engine, path: Path) -> tuple[Selection, Selection]:
    """Reference (earliest snapshot) and current (the others) selections of a file."""
    snapshots = [value for value in engine.distinct_values(Selection(path), "snapshot_date") if value is not None]
    base = Selection(path).with_not_null("pd", FLAG)
    return (base.with_filter("snapshot_date", snapshots[:1]),
            base.with_filter("snapshot_date", snapshots[1:]))
