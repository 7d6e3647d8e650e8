"""Conversion of results to strict JSON: no NaN, no Infinity, no numpy types.

Results are built from dataclasses, numpy scalars and arrays, pandas
timestamps and plain containers. :func:`to_jsonable` turns them into plain
Python values and replaces every non-finite float by ``None``, so that
``json.dumps(..., allow_nan=False)`` never fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
from typing import Any

import numpy as np


def to_jsonable(value: Any) -> Any:
    """Convert ``value`` to plain JSON types, with non-finite floats as ``None``.

    Parameters
    ----------
    value : Any
        Dataclass instance, mapping, sequence, numpy or pandas value, or scalar.

    Returns
    -------
    Any
        ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` or ``None``.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, np.ndarray):
        return [to_jsonable(item) for item in value.tolist()]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return to_jsonable(value.to_dict())
        return {
            field.name: to_jsonable(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        # pandas.Timestamp and numpy datetime64 wrapped by pandas
        try:
            return value.isoformat()
        except ValueError:
            return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value)
    if hasattr(value, "item"):
        return to_jsonable(value.item())
    return str(value)
