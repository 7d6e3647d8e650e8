"""The one pass over rows: group-bys over the normalised Parquet copies.

Most monitoring statistics need only counts and sums per bin, grade, score
value or period. Those group-bys run in a columnar engine (DuckDB on one
machine, Spark SQL through PySpark beyond it) and only the small aggregates
reach :mod:`mmt.stats`.
"""

from __future__ import annotations

from mmt.engine.base import Aggregates, Selection
from mmt.engine.factory import get_engine

__all__ = ["Aggregates", "Selection", "get_engine"]
