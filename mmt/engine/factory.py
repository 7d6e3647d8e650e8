"""Choice of the aggregation engine from ``MMT_ENGINE``."""

from __future__ import annotations

from functools import lru_cache

from mmt.engine.base import Engine


@lru_cache(maxsize=4)
def get_engine(name: str = "duckdb", spark_master: str = "local[*]") -> Engine:
    """Return the engine called ``name`` ("duckdb" or "spark")."""
    if name == "duckdb":
        from mmt.engine.duckdb_engine import DuckDBEngine

        return DuckDBEngine()
    if name == "spark":
        from mmt.engine.spark_engine import SparkEngine

        return SparkEngine(spark_master)
    raise RuntimeError(f"Unknown MMT_ENGINE {name!r}; use 'duckdb' or 'spark'.")
