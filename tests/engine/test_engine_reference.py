"""The DuckDB engine against the in-memory reference, figure by figure and for the whole PD battery.

The reference (tests/engine/reference.py) recomputes every aggregate with
numpy.quantile, numpy.searchsorted, numpy.unique and math.fsum on the rows
held in Python; the engine must give the same numbers exactly, not within a
tolerance, on the sample data.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmt.analyses.pd import PDInputs, analyze_pd
from mmt.engine.base import Aggregates, Selection
from mmt.engine.duckdb_engine import DuckDBEngine
from mmt.engine.sql import SQLEngine
from mmt.thresholds import DEFAULTS
from tests.engine.conftest import FLAG, SAMPLE_PD_FILES, periods
from tests.engine.reference import ReferenceEngine

PROBABILITIES = [index / 10 for index in range(1, 10)]
ROLE_COLUMNS = {"pd", "score", FLAG, "rating", "snapshot_date", "obligor_id", "sample", "period"}


def features(path) -> tuple[list[str], list[str]]:
    schema = pq.read_schema(path)
    numeric, categorical = [], []
    for field in schema:
        if field.name in ROLE_COLUMNS:
            continue
        if pa.types.is_integer(field.type) or pa.types.is_floating(field.type):
            numeric.append(field.name)
        elif pa.types.is_string(field.type):
            categorical.append(field.name)
    return numeric, categorical


def assert_same(left: Aggregates, right: Aggregates) -> None:
    assert set(left.columns) == set(right.columns)
    for name in left.columns:
        a, b = np.asarray(left[name]), np.asarray(right[name])
        assert a.shape == b.shape, name
        if a.dtype == object or b.dtype == object:
            assert a.tolist() == b.tolist(), name
        else:
            assert np.array_equal(a.astype(float), b.astype(float)), name


@pytest.fixture(scope="module")
def engines():
    return DuckDBEngine(), ReferenceEngine()


@pytest.mark.parametrize("name", SAMPLE_PD_FILES)
def test_quantiles_equal_numpy_to_the_last_bit(ingested, engines, name):
    duck, reference = engines
    path = ingested[name]
    numeric, _ = features(path)
    for selection in periods(reference, path):
        found = duck.quantiles_many(selection, numeric + ["pd"], PROBABILITIES)
        for column in numeric + ["pd"]:
            assert found[column] == reference.quantiles(selection, column, PROBABILITIES), column


@pytest.mark.parametrize("name", SAMPLE_PD_FILES)
def test_bins_levels_and_scores_equal_the_reference(ingested, engines, name):
    duck, reference = engines
    path = ingested[name]
    numeric, categorical = features(path)
    reference_period, current = periods(reference, path)
    for selection in (reference_period, current):
        for column in numeric + ["pd"]:
            edges = np.unique(reference.quantiles(reference_period, column, PROBABILITIES))
            for flag in (None, FLAG):
                assert_same(duck.numeric_bin_counts(selection, column, edges, flag),
                            reference.numeric_bin_counts(selection, column, edges, flag))
        for column in categorical + ["rating"]:
            for flag in (None, FLAG):
                assert_same(duck.level_counts(selection, column, flag), reference.level_counts(selection, column, flag))
        assert_same(duck.score_counts(selection, "pd", FLAG), reference.score_counts(selection, "pd", FLAG))
        assert_same(duck.score_counts(selection, "pd", FLAG, group_by="snapshot_date"),
                    reference.score_counts(selection, "pd", FLAG, group_by="snapshot_date"))
        assert duck.count(selection) == reference.count(selection)


@pytest.mark.parametrize("name", SAMPLE_PD_FILES)
def test_grade_sums_are_correctly_rounded_sums(ingested, engines, name):
    duck, reference = engines
    _, current = periods(reference, ingested[name])
    assert_same(duck.grade_sums(current, "rating", "pd", FLAG), reference.grade_sums(current, "rating", "pd", FLAG))
    edges = np.unique(reference.quantiles(current, "pd", PROBABILITIES))
    assert_same(duck.grade_sums(current, "pd", "pd", FLAG, edges=edges),
                reference.grade_sums(current, "pd", "pd", FLAG, edges=edges))


@pytest.mark.parametrize("name", SAMPLE_PD_FILES)
def test_numpy_paths_equal_the_sql_that_spark_runs(ingested, name):
    """DuckDB answers some figures from sorted NumPy columns; the plain SQL must agree."""
    duck = DuckDBEngine()
    path = ingested[name]
    numeric, _ = features(path)
    reference_period, current = periods(duck, path)
    for selection in (reference_period, current):
        counts = duck.profile(selection, numeric).non_missing
        ranks = {column: list(range(0, counts[column], max(1, counts[column] // 7))) for column in numeric}
        assert duck.order_statistics(selection, ranks, counts) == SQLEngine.order_statistics(duck, selection, ranks, counts)
        assert_same(duck.score_counts(selection, "pd", FLAG), SQLEngine.score_counts(duck, selection, "pd", FLAG))
        assert_same(duck.score_counts(selection, "pd", FLAG, "rating"),
                    SQLEngine.score_counts(duck, selection, "pd", FLAG, "rating"))
        for column in numeric:
            edges = tuple(np.unique(duck.quantiles(reference_period, column, PROBABILITIES)).tolist())
            for flag in (None, FLAG):
                assert_same(duck.numeric_bin_counts(selection, column, edges, flag),
                            SQLEngine.numeric_bin_counts(duck, selection, column, edges, flag))


def pd_inputs(engine, path) -> PDInputs:
    reference_period, current = periods(engine, path)
    numeric, categorical = features(path)
    kinds = {**{name: "numeric" for name in numeric}, **{name: "categorical" for name in categorical}}
    return PDInputs(engine=engine, current=current, reference=reference_period, score_column="pd",
                    higher_is_riskier=True, grade_column="rating", snapshot_column="snapshot_date",
                    features=numeric + categorical, feature_kinds=kinds, thresholds=dict(DEFAULTS))


@pytest.mark.parametrize("name", SAMPLE_PD_FILES)
def test_pd_battery_identical_on_duckdb_and_reference(ingested, name):
    path = ingested[name]
    on_duckdb = analyze_pd(pd_inputs(DuckDBEngine(), path))
    on_reference = analyze_pd(pd_inputs(ReferenceEngine(), path))
    assert json.dumps(on_duckdb, sort_keys=True, default=str) == json.dumps(on_reference, sort_keys=True, default=str)


def test_pd_battery_on_two_files_with_a_score_per_obligor(tmp_path):
    """1,000 + 1,000 generated obligors, one snapshot per file: the two-file layout of the benchmark."""
    from benchmarks.generate import generate_portfolio
    from mmt.ingest import ingest_file

    paths = {}
    for period in ("reference", "current"):
        csv = generate_portfolio(tmp_path / f"{period}.csv", 1000, period)
        paths[period] = tmp_path / f"{period}.parquet"
        ingest_file(csv, csv.name, "pd", paths[period])
    numeric, categorical = features(paths["current"])
    kinds = {**{name: "numeric" for name in numeric}, **{name: "categorical" for name in categorical}}

    def inputs(engine):
        return PDInputs(engine=engine, current=Selection(paths["current"]).with_not_null("pd", FLAG),
                        reference=Selection(paths["reference"]).with_not_null("pd", FLAG), score_column="pd",
                        higher_is_riskier=True, grade_column="rating", snapshot_column="snapshot_date",
                        features=numeric + categorical, feature_kinds=kinds, thresholds=dict(DEFAULTS))

    on_duckdb = analyze_pd(inputs(DuckDBEngine()))
    on_reference = analyze_pd(inputs(ReferenceEngine()))
    assert json.dumps(on_duckdb, sort_keys=True, default=str) == json.dumps(on_reference, sort_keys=True, default=str)
    assert len(on_duckdb["stability"]["csi"]) == len(numeric) + len(categorical)
    assert math.isfinite(on_duckdb["discrimination"]["auc"]["value"])
