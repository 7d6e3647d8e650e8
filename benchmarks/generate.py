"""Deterministic generator of retail PD portfolios for the benchmarks.

``generate_portfolio(path, rows, period)`` writes one snapshot of a PD
portfolio as CSV (or Parquet), chunk by chunk, so that any size fits in a
few hundred megabytes of memory. The same arguments always give the same
bytes: every chunk draws from its own ``numpy.random.SeedSequence`` built
from the seed, the period and the chunk number.

Each row is one obligor: an identifier, the snapshot date, the model PD,
the observed default flag, a letter grade from a master scale and eleven
features (eight numeric, three categorical). The current period differs
from the reference period in its feature mix and in its default rate, so
that PSI, CSI and the calibration tests have something to find.

Run ``python benchmarks/generate.py --rows 1000000`` to write
``pd_reference_1000000.csv`` and ``pd_current_1000000.csv`` under
``benchmarks/out/data``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

CHUNK_ROWS = 250_000
# No value holds a comma or a quote, so the file is written unquoted like most bank extracts.
CSV_OPTIONS = pa_csv.WriteOptions(quoting_style="none", quoting_header="none")
DEFAULT_SEED = 20_240_101
NUMERIC_FEATURES = (
    "income", "age", "debt_to_income", "utilisation", "months_on_book",
    "delinquencies_12m", "loan_amount", "bureau_index",
)
CATEGORICAL_FEATURES = ("region", "product", "employment")
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
REGIONS = tuple(f"region_{index:02d}" for index in range(1, 13))
PRODUCTS = ("card", "personal_loan", "auto_loan", "overdraft")
EMPLOYMENT = ("employed", "self_employed", "retired", "student", "unemployed")
# Master scale: upper PD bound of each grade, best grade first.
GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC")
GRADE_UPPER_PD = (0.002, 0.005, 0.01, 0.02, 0.04, 0.1)


@dataclass(frozen=True, slots=True)
class Period:
    """One snapshot: its date, its code in the seed and its drift from the reference."""

    name: str
    code: int
    snapshot_date: str
    income_factor: float
    utilisation_shift: float
    default_log_odds_shift: float
    region_tilt: float


PERIODS = {
    "reference": Period("reference", 1, "2023-12-31", 1.0, 0.0, 0.0, 0.0),
    "current": Period("current", 2, "2024-12-31", 1.03, 0.03, 0.15, 0.4),
}


def _chunk(rows: int, first_id: int, period: Period, rng: np.random.Generator) -> pa.Table:
    """Draw ``rows`` obligors of ``period``."""
    income = np.round(rng.lognormal(10.6, 0.55, rows) * period.income_factor, 2)
    age = rng.integers(18, 80, rows)
    debt_to_income = np.round(np.clip(rng.gamma(2.0, 0.12, rows), 0.0, 3.0), 4)
    utilisation = np.round(np.clip(rng.beta(2.0, 3.0, rows) + period.utilisation_shift, 0.0, 1.0), 4)
    months_on_book = rng.integers(0, 240, rows)
    delinquencies = rng.poisson(0.25, rows)
    loan_amount = np.round(rng.lognormal(9.2, 0.8, rows), 2)
    bureau_index = np.round(rng.normal(650.0, 80.0, rows), 1)

    weights = np.linspace(1.0 - period.region_tilt / 2, 1.0 + period.region_tilt / 2, len(REGIONS))
    region = rng.choice(len(REGIONS), rows, p=weights / weights.sum())
    product = rng.choice(len(PRODUCTS), rows, p=(0.4, 0.3, 0.2, 0.1))
    employment = rng.choice(len(EMPLOYMENT), rows, p=(0.62, 0.15, 0.12, 0.05, 0.06))

    log_odds = (
        -4.1
        - 0.55 * (np.log(income) - 10.6) / 0.55
        - 0.012 * (age - 45)
        + 0.9 * debt_to_income
        + 1.4 * (utilisation - 0.4)
        - 0.003 * months_on_book
        + 0.45 * delinquencies
        - 0.006 * (bureau_index - 650.0)
        + np.array([0.0, 0.15, -0.1, 0.35])[product]
        + np.array([0.0, 0.2, -0.15, 0.3, 0.9])[employment]
        + 0.02 * (region - 6)
    )
    pd = np.round(1.0 / (1.0 + np.exp(-log_odds)), 8)
    pd = np.clip(pd, 1e-8, 1.0 - 1e-8)
    # The observed defaults follow the model with noise and, in the current
    # period, a higher level: the model ranks well but under-predicts.
    true_log_odds = log_odds + rng.normal(0.0, 0.8, rows) + period.default_log_odds_shift
    default_flag = (rng.random(rows) < 1.0 / (1.0 + np.exp(-true_log_odds))).astype(np.int8)
    grade = np.searchsorted(np.asarray(GRADE_UPPER_PD), pd, side="left")

    utilisation_missing = rng.random(rows) < 0.02
    employment_missing = rng.random(rows) < 0.01
    return pa.table({
        "obligor_id": pa.array(np.arange(first_id, first_id + rows, dtype=np.int64)),
        "snapshot_date": pa.array([period.snapshot_date] * rows, pa.string()),
        "pd": pa.array(pd),
        "default_flag": pa.array(default_flag),
        "rating": pa.array(np.asarray(GRADES, dtype=object)[grade].tolist(), pa.string()),
        "income": pa.array(income),
        "age": pa.array(age),
        "debt_to_income": pa.array(debt_to_income),
        "utilisation": pa.array(utilisation, mask=utilisation_missing),
        "months_on_book": pa.array(months_on_book),
        "delinquencies_12m": pa.array(delinquencies),
        "loan_amount": pa.array(loan_amount),
        "bureau_index": pa.array(bureau_index),
        "region": pa.DictionaryArray.from_arrays(pa.array(region.astype(np.int32)), pa.array(REGIONS)).cast(pa.string()),
        "product": pa.DictionaryArray.from_arrays(pa.array(product.astype(np.int32)), pa.array(PRODUCTS)).cast(pa.string()),
        "employment": pa.DictionaryArray.from_arrays(
            pa.array(employment.astype(np.int32), mask=employment_missing), pa.array(EMPLOYMENT)
        ).cast(pa.string()),
    })


def iter_chunks(rows: int, period: str, seed: int = DEFAULT_SEED):
    """Yield the portfolio of ``period`` as Arrow tables of at most ``CHUNK_ROWS`` rows."""
    chosen = PERIODS[period]
    first_id = chosen.code * 1_000_000_000
    for index, start in enumerate(range(0, rows, CHUNK_ROWS)):
        size = min(CHUNK_ROWS, rows - start)
        rng = np.random.default_rng(np.random.SeedSequence([seed, chosen.code, index]))
        yield _chunk(size, first_id + start, chosen, rng)


def generate_portfolio(path: Path, rows: int, period: str, *, seed: int = DEFAULT_SEED,
                       file_format: str = "csv") -> Path:
    """Write ``rows`` obligors of ``period`` ("reference" or "current") to ``path``.

    Parameters
    ----------
    path : Path
        Output file; its folder is created.
    rows : int
        Number of obligors.
    period : str
        "reference" or "current".
    seed : int
        Seed of the whole portfolio; the same seed gives the same file.
    file_format : str
        "csv" or "parquet".

    Returns
    -------
    Path
        ``path``.
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    writer = None
    try:
        for table in iter_chunks(rows, period, seed):
            if writer is None:
                writer = (pa_csv.CSVWriter(partial, table.schema, write_options=CSV_OPTIONS)
                          if file_format == "csv"
                          else pq.ParquetWriter(partial, table.schema))
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    partial.replace(path)
    return path


def portfolio_paths(folder: Path, rows: int, file_format: str = "csv") -> dict[str, Path]:
    """Paths of the reference and current files of a benchmark size."""
    suffix = "csv" if file_format == "csv" else "parquet"
    return {period: folder / f"pd_{period}_{rows}.{suffix}" for period in PERIODS}


def ensure_portfolio(folder: Path, rows: int, *, seed: int = DEFAULT_SEED, file_format: str = "csv") -> dict[str, Path]:
    """Generate the two files of a benchmark size unless they are already there."""
    paths = portfolio_paths(folder, rows, file_format)
    for period, path in paths.items():
        if not path.exists():
            generate_portfolio(path, rows, period, seed=seed, file_format=file_format)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="obligors per period (default 1,000,000)")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("out") / "data", help="output folder")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--force", action="store_true", help="write the files even if they exist")
    args = parser.parse_args(argv)
    paths = portfolio_paths(args.out, args.rows, args.format)
    for period, path in paths.items():
        if args.force or not path.exists():
            generate_portfolio(path, args.rows, period, seed=args.seed, file_format=args.format)
        print(f"{period}: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
