"""Loading a dataset's Parquet copy as a DataFrame for the small-data analyses."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmt.services.datasets import parquet_path
from mmt.storage.models import Dataset


def read_frame(state: Any, dataset: Dataset) -> pd.DataFrame:
    """Read the normalised columns of ``dataset``."""
    return pd.read_parquet(parquet_path(state, dataset))
