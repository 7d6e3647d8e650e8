"""Aggregations with Spark SQL through PySpark, for portfolios beyond one machine.

The queries are the SQL of :mod:`mmt.engine.sql`, the same text DuckDB runs
apart from identifier quotes, the string type and the discrete quantile
(``percentile_disc``). Counts are integers, sums of PD powers are summed as
DECIMAL(38,0) limbs and quantiles are order statistics, so a Spark run gives
the DuckDB figures to the last bit.

``MMT_ENGINE=spark`` selects this engine and ``SPARK_MASTER`` the cluster
(``local[*]`` by default, ``spark://host:7077``, ``yarn`` or ``k8s://...``).
Every executor must read the Parquet copies under ``MMT_DATA_DIR`` at the
same path, so on a cluster that folder is a shared file system. Further Spark
settings come from ``spark-defaults.conf`` in ``SPARK_CONF_DIR``, as for any
PySpark program. Results reach the driver as Arrow data or rows; no pandas
conversion is used.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from mmt.engine.base import Selection
from mmt.engine.sql import SQLEngine

# Settings MMT needs; anything else is left to spark-defaults.conf.
SESSION_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}


class SparkEngine(SQLEngine):
    """Aggregation queries run by Spark SQL on the Parquet copies."""

    name = "spark"
    text_type = "STRING"
    limb_type = "DECIMAL(38,0)"

    def __init__(self, master: str = "local[*]", session: Any = None) -> None:
        self.master = master
        self._session = session
        self._lock = threading.Lock()
        self._views: dict[str, tuple[str, int, int]] = {}

    @property
    def session(self) -> Any:
        """The SparkSession, started on first use."""
        with self._lock:
            if self._session is None:
                from pyspark.sql import SparkSession

                builder = SparkSession.builder.master(self.master).appName("mmt")
                for key, value in SESSION_DEFAULTS.items():
                    builder = builder.config(key, value)
                if self.master.startswith("local"):
                    # A local driver serves only this machine.
                    builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                self._session = builder.getOrCreate()
            return self._session

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def table(self, selection: Selection) -> tuple[str, list[Any]]:
        """A temporary view over the selection's Parquet file, registered once per file version."""
        path = Path(selection.path)
        stat = os.stat(path)
        key = str(path)
        with self._lock:
            known = self._views.get(key)
            if known is not None and known[1:] == (stat.st_mtime_ns, stat.st_size):
                return known[0], []
        name = "mmt_" + hashlib.sha256(f"{key}:{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()[:20]
        self.session.read.parquet(str(path)).createOrReplaceTempView(name)
        with self._lock:
            self._views[key] = (name, stat.st_mtime_ns, stat.st_size)
        return name, []

    def discrete_quantiles(self, value: str, probabilities: Sequence[float]) -> str:
        listed = ", ".join(repr(float(p)) for p in probabilities)
        return f"percentile_disc(array({listed})) WITHIN GROUP (ORDER BY {value})"

    def rows(self, sql: str, params: list[Any]) -> list[tuple]:
        frame = self.session.sql(sql, args=list(params)) if params else self.session.sql(sql)
        return [tuple(row) for row in frame.collect()]

    def columns(self, sql: str, params: list[Any]) -> dict[str, np.ndarray]:
        frame = self.session.sql(sql, args=list(params)) if params else self.session.sql(sql)
        table = frame.toArrow()
        out = {}
        for name in table.column_names:
            column = table.column(name)
            if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
                out[name] = column.to_numpy(zero_copy_only=False)
            else:
                # Dates and text as Python objects, the types DuckDB hands over.
                out[name] = np.array(column.to_pylist(), dtype=object)
        return out

    def stop(self) -> None:
        """Stop the session if this engine started it."""
        with self._lock:
            if self._session is not None:
                self._session.stop()
                self._session = None
                self._views.clear()
