"""The one pass over rows: group-bys over the normalised Parquet copies.

Most monitoring statistics need only counts and sums per bin, grade, score
value or period. Those aggregates are computed in a columnar engine (DuckDB
with NumPy sorts on one machine, Spark SQL through PySpark beyond it) and
only the small aggregates reach :mod:`mmt.stats`. Both engines give the same
numbers to the last bit: see :mod:`mmt.engine.exact`.
"""

from __future__ import annotations

from mmt.engine.base import Aggregates, Grouping, Profile, Selection
from mmt.engine.factory import get_engine

__all__ = ["Aggregates", "Grouping", "Profile", "Selection", "get_engine"]
