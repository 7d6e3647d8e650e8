"""Row filters shared by the LGD and EAD/CCF analyses.

The original MMT front end filters by ``quarter``, ``portfolio`` and
``modelName``, and it joins several model names with ",". A filter value may
therefore be a string, a comma-separated string or a list of strings. Quarters
match the frame's ``period_label`` when the source had quarter strings, and
otherwise the ``period`` date formatted as ``YYYYQn`` (a text period such as
"reference" is kept as it is). Portfolios match the ``segment`` column and
model names the ``model_name`` column. Every match ignores case and
surrounding spaces.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pydantic

from mmt.errors import ValidationError

__all__ = [
    "FILTER_COLUMNS",
    "MonitoringFilters",
    "additional_data",
    "apply_filters",
    "filter_options",
    "normalise_filter_values",
    "normalise_quarter",
    "quarter_labels",
]

FilterValue = str | list[str] | None

# Request key -> frame column whose values it matches ("quarter" is derived).
FILTER_COLUMNS: dict[str, str] = {"quarter": "quarter", "portfolio": "segment", "modelName": "model_name"}
MAX_LISTED_VALUES = 50

_QUARTER_YEAR_FIRST = re.compile(r"^(\d{4})\s*[-_/ ]?\s*Q([1-4])$", re.IGNORECASE)
_QUARTER_YEAR_LAST = re.compile(r"^Q([1-4])\s*[-_/ ]?\s*(\d{4})$", re.IGNORECASE)


class MonitoringFilters(pydantic.BaseModel):
    """Filters of an LGD or EAD/CCF analysis, named as the original front end sends them."""

    # Unknown keys (the front end's ``request_id``, the API's ``dataset_id``) are ignored.
    model_config = pydantic.ConfigDict(extra="ignore")

    quarter: FilterValue = None
    portfolio: FilterValue = None
    modelName: FilterValue = None  # noqa: N815 - the original front end's key

    def selected(self) -> dict[str, list[str]]:
        """Return the non-empty filters as lists of values, keyed by request name."""
        selection = {
            "quarter": [normalise_quarter(value) for value in normalise_filter_values(self.quarter)],
            "portfolio": normalise_filter_values(self.portfolio),
            "modelName": normalise_filter_values(self.modelName),
        }
        return {key: values for key, values in selection.items() if values}


def normalise_filter_values(value: FilterValue) -> list[str]:
    """Split a filter value into distinct non-empty strings, keeping their order.

    ``"a,b"``, ``["a", "b"]`` and ``["a,b"]`` all give ``["a", "b"]``.
    ``None``, ``""`` and ``[]`` give ``[]``, which means no filter.
    """
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    values: list[str] = []
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            if part and part not in values:
                values.append(part)
    return values


def normalise_quarter(label: str) -> str:
    """Return a quarter label as ``YYYYQn`` ("2020-q1" and "Q1 2020" give "2020Q1").

    Text that is not a quarter (a period label such as "reference") is returned stripped.
    """
    text = str(label).strip()
    match = _QUARTER_YEAR_FIRST.match(text)
    if match:
        return f"{match.group(1)}Q{match.group(2)}"
    match = _QUARTER_YEAR_LAST.match(text)
    if match:
        return f"{match.group(2)}Q{match.group(1)}"
    return text


def _text(values: pd.Series) -> pd.Series:
    """Return values as stripped pandas strings, with empty text as missing."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _as_objects(values: pd.Series) -> pd.Series:
    """Return string values as Python objects with ``None`` for missing ones."""
    objects = values.astype(object)
    objects[values.isna()] = None
    return objects


def _normalise_quarters(text: pd.Series) -> pd.Series:
    """Rewrite quarter spellings in a string series as ``YYYYQn``; other text stays."""
    year_first = text.str.extract(_QUARTER_YEAR_FIRST)
    year_last = text.str.extract(_QUARTER_YEAR_LAST)
    normalised = text.copy()
    first = year_first[0].notna()
    last = year_last[0].notna()
    normalised[first] = year_first.loc[first, 0] + "Q" + year_first.loc[first, 1]
    normalised[last] = year_last.loc[last, 1] + "Q" + year_last.loc[last, 0]
    return normalised


def _labels_from_period(period: pd.Series) -> pd.Series:
    # Periods repeat a lot, so the labels are worked out once per distinct value.
    codes, distinct = pd.factorize(period, use_na_sentinel=True)
    labels = _labels_from_distinct_periods(pd.Series(distinct)).astype("string").array
    return pd.Series(labels.take(codes, allow_fill=True), index=period.index, dtype="string")


def _labels_from_distinct_periods(period: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(period.dtype) and not pd.api.types.is_bool_dtype(period.dtype):
        # Numbers would be read as nanoseconds since 1970, so they stay labels.
        return _text(period)
    if pd.api.types.is_datetime64_any_dtype(period.dtype) or isinstance(period.dtype, pd.ArrowDtype):
        dates = pd.to_datetime(period, errors="coerce")
        labels = pd.Series(pd.NA, index=period.index, dtype="string")
    else:
        text = _text(period)
        labels = _normalise_quarters(text)
        is_quarter = labels.str.fullmatch(r"\d{4}Q[1-4]").fillna(False).astype(bool)
        dates = pd.to_datetime(period.where(~is_quarter), errors="coerce", format="mixed")

    is_date = dates.notna()
    quarters = dates[is_date]
    labels[is_date] = quarters.dt.year.astype("string") + "Q" + quarters.dt.quarter.astype("string")
    # Text that is neither a quarter nor a date (for example "reference") stays as it is.
    return labels


def quarter_labels(frame: pd.DataFrame) -> pd.Series:
    """Return each row's quarter label (``YYYYQn``) or ``None`` when it has no period.

    ``period_label`` wins where present. Other rows take the quarter of the
    ``period`` date.
    """
    return _as_objects(_quarter_text(frame))


def _quarter_text(frame: pd.DataFrame) -> pd.Series:
    labels = pd.Series(pd.NA, index=frame.index, dtype="string")
    if "period" in frame.columns:
        labels = _labels_from_period(frame["period"])
    if "period_label" in frame.columns:
        given = _normalise_quarters(_text(frame["period_label"]))
        labels = given.fillna(labels)
    return labels


def _text_values(frame: pd.DataFrame, column: str) -> pd.Series | None:
    """Return a filter column as stripped strings (missing as ``<NA>``), or ``None`` when absent."""
    if column == "quarter":
        if "period" not in frame.columns and "period_label" not in frame.columns:
            return None
        return _quarter_text(frame)
    if column not in frame.columns:
        return None
    return _text(frame[column])


def _distinct_sorted(values: pd.Series | None) -> list[str]:
    if values is None:
        return []
    return sorted(str(value) for value in values.dropna().unique())


def filter_options(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Return the distinct sorted ``portfolios``, ``quarters`` and ``modelNames`` of a dataset.

    A list is empty when the dataset has no such column.
    """
    return {
        "portfolios": _distinct_sorted(_text_values(frame, "segment")),
        "quarters": _distinct_sorted(_text_values(frame, "quarter")),
        "modelNames": _distinct_sorted(_text_values(frame, "model_name")),
    }


def apply_filters(frame: pd.DataFrame, filters: MonitoringFilters, *, dataset_kind: str = "data") -> pd.DataFrame:
    """Return the rows matching every selected filter.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with the canonical column names.
    filters : MonitoringFilters
        Requested filter values.
    dataset_kind : str, optional
        Word used in the error message, for example "LGD".

    Raises
    ------
    mmt.errors.ValidationError
        ``empty_selection`` (422) when no row matches. ``details`` names the
        filter values and lists the values the dataset offers.
    """
    selection = filters.selected()
    mask = pd.Series(True, index=frame.index)
    missing_columns: list[str] = []
    for key, values in selection.items():
        column_values = _text_values(frame, FILTER_COLUMNS[key])
        if column_values is None:
            missing_columns.append(key)
            mask &= False
            continue
        wanted = [value.casefold() for value in values]
        mask &= column_values.str.casefold().isin(wanted).fillna(False).astype(bool)

    if mask.any():
        return frame.loc[mask]

    options = filter_options(frame)
    description = ", ".join(f"{key}={','.join(values)}" for key, values in selection.items())
    message = f"No {dataset_kind} rows match the filters {description}."
    if missing_columns:
        message += f" The dataset has no column for {', '.join(missing_columns)}."
    message += " Choose values from the filter options of this dataset."
    raise ValidationError(
        message,
        code="empty_selection",
        details={
            "filters": selection,
            "missing_columns": missing_columns,
            "available": {key: values[:MAX_LISTED_VALUES] for key, values in options.items()},
        },
    )


def additional_data(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the distinct ``{Quarter, Portfolio, ModelName}`` combinations of the rows.

    The original front end rebuilds its three dropdowns from this list. A
    value is ``None`` when the dataset has no such column or the row has no value.
    """
    columns = {"Quarter": "quarter", "Portfolio": "segment", "ModelName": "model_name"}
    combined = pd.DataFrame(index=frame.index)
    for name, column in columns.items():
        values = _text_values(frame, column)
        combined[name] = values if values is not None else pd.Series(pd.NA, index=frame.index, dtype="string")
    distinct = combined.drop_duplicates().sort_values(list(combined.columns), na_position="first")
    return [
        {name: (None if pd.isna(value) else str(value)) for name, value in zip(distinct.columns, row)}
        for row in distinct.itertuples(index=False, name=None)
    ]
