"""Measure ingest throughput on a generated CSV (not collected by pytest).

Usage: ``python tests/ingest/throughput.py [ROWS] [RUNS]`` (default 1,000,000 rows, 3 runs).
The file has 12 columns: an obligor id, a snapshot date, PD, default flag,
grade, segment, five numeric features and one text feature (about 80 bytes a row).
Prints wall time, rows/s, MB/s, CPU seconds and the peak resident memory of each run.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from mmt.ingest import ingest_file


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """Write a PD-style CSV of ``rows`` rows."""
    generator = np.random.default_rng(seed)
    table = pa.table(
        {
            "obligor_id": [f"OB{index:08d}" for index in range(rows)],
            "snapshot_date": np.array(["2023-12-31", "2024-03-31", "2024-06-30", "2024-09-30"])[
                generator.integers(0, 4, rows)
            ],
            "pd": np.round(generator.random(rows), 6),
            "default_flag": generator.integers(0, 2, rows),
            "rating_grade": generator.integers(1, 11, rows),
            "segment": np.array(["Retail", "SME", "Corporate"])[generator.integers(0, 3, rows)],
            "balance": np.round(generator.lognormal(8, 1, rows), 2),
            "income": np.round(generator.lognormal(10, 1, rows), 2),
            "age": generator.integers(18, 90, rows),
            "score": np.round(generator.normal(600, 50, rows), 1),
            "utilisation": np.round(generator.random(rows), 4),
            "region": np.array(["North", "South", "East", "West"])[generator.integers(0, 4, rows)],
        }
    )
    pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="none"))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "portfolio.csv"
        generate(source, rows)
        size = source.stat().st_size
        print(f"{rows} rows, {size / 1e6:.1f} MB")
        for _run in range(runs):
            started, cpu_started = time.perf_counter(), cpu_seconds()
            result = ingest_file(source, source.name, "pd", Path(folder) / "out.parquet")
            wall = time.perf_counter() - started
            cpu = cpu_seconds() - cpu_started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"wall {wall:.2f} s  {result.n_rows / wall:,.0f} rows/s  {size / 1e6 / wall:.0f} MB/s  "
                f"cpu {cpu:.2f} s  peak RSS {peak:.0f} MiB"
            )


if __name__ == "__main__":
    main()
