"""Row filters shared by the LGD and EAD/CCF analyses.

The original MMT front end filters by ``quarter``, ``portfolio`` and
``modelName``, and it joins several model names with ",". A filter value may
therefore be a string, a comma-separated string or a list of strings. Quarters
match the frame's ``period_label`` when the source had quarter strings, and
otherwise the ``period`` date formatted as ``YYYYQn`` (a text period such as
"reference" is kept as it is). Portfolios match the ``segment`` column and
model names the ``model_name`` column. Every match ignores case and
surrounding spaces.

A validation team compares a reference period with the current one through
:class:`DatePeriod` options: inclusive ranges of dates on the ``period``
column, which ingest stores as dates when the file has a date or quarter
column of that role.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd
import pydantic

from mmt.errors import ValidationError

__all__ = [
    "DATE_COLUMN",
    "FILTER_COLUMNS",
    "DatePeriod",
    "MonitoringFilters",
    "additional_data",
    "apply_filters",
    "check_periods",
    "filter_options",
    "normalise_filter_values",
    "normalise_quarter",
    "quarter_labels",
    "select_period",
]

FilterValue = str | list[str] | None

# Request key -> frame column whose values it matches ("quarter" is derived).
FILTER_COLUMNS: dict[str, str] = {"quarter": "quarter", "portfolio": "segment", "modelName": "model_name"}
MAX_LISTED_VALUES = 50

# Column of the LGD and EAD roles that dates each facility (the role "period" of mmt.ingest.specs).
DATE_COLUMN = "period"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_QUARTER_YEAR_FIRST = re.compile(r"^(\d{4})\s*[-_/ ]?\s*Q([1-4])$", re.IGNORECASE)
_QUARTER_YEAR_LAST = re.compile(r"^Q([1-4])\s*[-_/ ]?\s*(\d{4})$", re.IGNORECASE)


class MonitoringFilters(pydantic.BaseModel):
    """Filters of an LGD or EAD/CCF analysis, named as the original front end sends them."""

    # Unknown keys (the front end's ``request_id``, the API's ``dataset_id``) are ignored.
    model_config = pydantic.ConfigDict(extra="ignore")

    quarter: FilterValue = pydantic.Field(
        default=None,
        description="Keep only the rows of these quarters, such as 2023Q4 (2023-Q4 and Q4 2023 are read the same): "
        "one value, a comma-separated string or a list. A row's quarter is its period label, else the quarter of "
        "its period date. Applies to the current rows only, not to reference_period or the reference dataset. "
        "Default: every quarter.",
    )
    portfolio: FilterValue = pydantic.Field(
        default=None,
        description="Keep only the rows whose value in the column segment (whatever segment_column names) is one "
        "of these: one value, a comma-separated string or a list, matched case-insensitively. Applies to the "
        "reference rows too. Default: every portfolio.",
    )
    modelName: FilterValue = pydantic.Field(  # noqa: N815 - the original front end's key
        default=None,
        description="Keep only the rows whose model_name column has one of these values: one value, a "
        "comma-separated string or a list, matched case-insensitively. Applies to the reference rows too. "
        "Default: every model.",
    )

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


# --------------------------------------------------------------------------- date periods


class DatePeriod(pydantic.BaseModel):
    """Inclusive range of dates on the ``period`` column, each date written YYYY-MM-DD."""

    model_config = pydantic.ConfigDict(extra="forbid")

    # The dates stay text, so that DatePeriod.bounds rejects a malformed date with 422 and the
    # option's name, like the other data errors of the LGD and EAD analyses, and not with a 400.
    start: str = pydantic.Field(
        description="First date of the period, YYYY-MM-DD, included.", json_schema_extra={"format": "date"}
    )
    end: str = pydantic.Field(
        description="Last date of the period, YYYY-MM-DD, included.", json_schema_extra={"format": "date"}
    )

    def bounds(self, option: str) -> tuple[dt.date, dt.date]:
        """Parse the start and end dates.

        Raises
        ------
        mmt.errors.ValidationError
            ``invalid_period`` (422) naming ``option`` when a date is not
            written YYYY-MM-DD, is not a calendar date, or the end comes
            before the start.
        """
        start = _parse_date(self.start, option, "start")
        end = _parse_date(self.end, option, "end")
        if end < start:
            raise ValidationError(
                f"Option {option}: end {self.end} is before start {self.start}. "
                "Swap the two dates or correct the period.",
                code="invalid_period",
                details={"option": option, "value": self.model_dump()},
            )
        return start, end


def _parse_date(text: str, option: str, bound: str) -> dt.date:
    value = text.strip()
    try:
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"Option {option}: {bound} {text!r} is not a valid date written YYYY-MM-DD. "
            "Write it as, for example, 2021-12-31.",
            code="invalid_period",
            details={"option": option, "field": bound, "value": text},
        ) from None


def check_periods(current: DatePeriod | None, reference: DatePeriod | None) -> None:
    """Check the ``current_period`` and ``reference_period`` options before any data is read.

    Raises
    ------
    mmt.errors.ValidationError
        ``invalid_period`` (422) for a malformed date or an end before the
        start, ``missing_option`` (422) for a reference period without a
        current period to compare it with.
    """
    if current is not None:
        current.bounds("current_period")
    if reference is not None:
        reference.bounds("reference_period")
        if current is None:
            raise ValidationError(
                "Option reference_period needs current_period too. Give the current period "
                "whose figures are compared with the reference period.",
                code="missing_option",
                details={"option": "current_period", "reference_period": reference.model_dump()},
            )


def _row_dates(frame: pd.DataFrame, option: str, period: DatePeriod, dataset_kind: str) -> pd.Series:
    """Return the ``period`` column as datetime64 values, or raise when it contains no dates."""
    problem = None
    if DATE_COLUMN not in frame.columns:
        problem = f"the {dataset_kind} dataset has no {DATE_COLUMN} column"
    else:
        column = frame[DATE_COLUMN]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            dates = column
        elif pd.api.types.infer_dtype(column, skipna=True) in ("date", "datetime", "datetime64"):
            # Ingest stores dates as Python dates; converting each distinct value once is cheaper.
            codes, distinct = pd.factorize(column, use_na_sentinel=True)
            converted = pd.DatetimeIndex(pd.to_datetime(distinct))
            dates = pd.Series(converted.take(codes, allow_fill=True), index=column.index)
        else:
            problem = (
                f"the {DATE_COLUMN} column of the {dataset_kind} dataset contains labels such as "
                f"{_first_value(column)!r}, not dates"
            )
    if problem is not None:
        raise ValidationError(
            f"Option {option} selects rows by date, but {problem}. Upload the file with its date or quarter "
            f"column (for example default_date or Quarter) mapped to the role {DATE_COLUMN}, or leave {option} out.",
            code="missing_date_column",
            details={"option": option, "value": period.model_dump(), "column": DATE_COLUMN},
        )
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates


def _first_value(column: pd.Series) -> Any:
    present = column.dropna()
    return present.iloc[0] if len(present) else None


def select_period(frame: pd.DataFrame, period: DatePeriod, option: str, *, dataset_kind: str) -> pd.DataFrame:
    """Return the rows whose ``period`` date lies between the period's start and end, both included.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with the canonical column names.
    period : DatePeriod
        The requested range.
    option : str
        Name of the request option, used in errors.
    dataset_kind : str
        Word used in the error message, for example "LGD".

    Raises
    ------
    mmt.errors.ValidationError
        ``missing_date_column`` (422) when the rows have no ``period`` dates,
        ``empty_period`` (422) when no row is dated inside the period.
        ``details["available"]`` gives the first and last date of the rows.
    """
    start, end = period.bounds(option)
    dates = _row_dates(frame, option, period, dataset_kind)
    # A date-time on the end date still belongs to the period.
    inside = (dates >= pd.Timestamp(start)) & (dates < pd.Timestamp(end) + pd.Timedelta(days=1))
    if inside.any():
        return frame.loc[inside.to_numpy()]

    present = dates.dropna()
    if present.empty:
        available = {"first": None, "last": None}
        hint = "None of the selected rows has a date."
    else:
        available = {"first": present.min().date().isoformat(), "last": present.max().date().isoformat()}
        hint = f"The selected rows are dated from {available['first']} to {available['last']}. Choose dates in that range."
    raise ValidationError(
        f"Option {option}: no {dataset_kind} row is dated from {period.start} to {period.end}. {hint}",
        code="empty_period",
        details={"option": option, "value": period.model_dump(), "available": available},
    )
