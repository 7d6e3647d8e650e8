"""Spark SQL in local mode gives the DuckDB figures exactly, figure by figure and for the PD battery."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("pyspark")

from mmt.analyses.pd import analyze_pd  # noqa: E402
from mmt.engine.base import Grouping  # noqa: E402
from mmt.engine.duckdb_engine import DuckDBEngine  # noqa: E402
from tests.engine.conftest import FLAG, periods  # noqa: E402
from tests.engine.test_engine_reference import PROBABILITIES, assert_same, features, pd_inputs  # noqa: E402

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")]


@pytest.fixture(scope="module")
def spark_engine():
    import shutil

    if shutil.which("java") is None and not __import__("os").environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java")
    from pyspark.sql import SparkSession

    from mmt.engine.spark_engine import SESSION_DEFAULTS, SparkEngine

    builder = (SparkSession.builder.master("local[1]").appName("mmt-tests")
               .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.ui.enabled", "false").config("spark.driver.memory", "768m")
               .config("spark.sql.shuffle.partitions", "2").config("spark.default.parallelism", "1"))
    for key, value in SESSION_DEFAULTS.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield SparkEngine("local[1]", session=session)
    session.stop()


def test_each_query_equals_duckdb(ingested, spark_engine):
    duck = DuckDBEngine()
    path = ingested["pd_lendingclub.csv"]
    numeric, categorical = features(path)
    reference_period, current = periods(duck, path)
    assert spark_engine.distinct_values(reference_period, "snapshot_date") == duck.distinct_values(reference_period, "snapshot_date")
    assert spark_engine.profile(current, numeric) == duck.profile(current, numeric)
    assert spark_engine.quantiles_many(current, numeric + ["pd"], PROBABILITIES) == \
        duck.quantiles_many(current, numeric + ["pd"], PROBABILITIES)
    edges = {column: tuple(np.unique(duck.quantiles(reference_period, column, PROBABILITIES)).tolist())
             for column in numeric + ["pd"]}
    groupings = ([Grouping(f"bins:{column}", column, edges[column]) for column in numeric]
                 + [Grouping(f"levels:{column}", column) for column in categorical + ["rating"]]
                 + [Grouping("trend", "pd", edges["pd"], by="snapshot_date")])
    on_spark = spark_engine.grouped_counts(current, groupings, FLAG)
    on_duckdb = duck.grouped_counts(current, groupings, FLAG)
    for grouping in groupings:
        assert_same(on_spark[grouping.name], on_duckdb[grouping.name])
    assert_same(spark_engine.score_counts(current, "pd", FLAG), duck.score_counts(current, "pd", FLAG))
    assert_same(spark_engine.score_counts(current, "pd", FLAG, "snapshot_date"),
                duck.score_counts(current, "pd", FLAG, "snapshot_date"))
    assert_same(spark_engine.grade_sums(current, "rating", "pd", FLAG), duck.grade_sums(current, "rating", "pd", FLAG))
    assert_same(spark_engine.grade_sums(current, "pd", "pd", FLAG, edges=edges["pd"]),
                duck.grade_sums(current, "pd", "pd", FLAG, edges=edges["pd"]))


@pytest.mark.parametrize("name", ["pd_germancredit.csv", "pd_default_islp.csv"])
def test_pd_battery_identical_on_spark_and_duckdb(ingested, spark_engine, name):
    path = ingested[name]
    on_spark = analyze_pd(pd_inputs(spark_engine, path))
    on_duckdb = analyze_pd(pd_inputs(DuckDBEngine(), path))
    assert json.dumps(on_spark, sort_keys=True, default=str) == json.dumps(on_duckdb, sort_keys=True, default=str)
