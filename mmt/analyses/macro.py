"""Monitoring of a macroeconomic (satellite) model: stationarity, fit, accuracy, diagnostics.

:func:`analyze_macro` takes the dataset as ingest normalised it (a ``date``
column, optionally ``date_label``, and the other columns under their trimmed
names), resolves the column roles, re-estimates the regression with
statsmodels on the development sample and returns the JSON-ready results.

Column roles when the options leave them out (names are compared in lower
case with everything but letters and digits removed):

- target: the first numeric column named ``default_rate``, ``defaultrate``,
  ``dr``, ``odr`` or ``observed/actual/realised_default_rate``; otherwise the
  first numeric column that is not a helper (below).
- fitted: a numeric column whose name starts with ``fitted`` or ``pred``.
  Names that mark a transformed scale (``logit``, ``log``, ``lor``,
  ``probit``, ``odds``) are skipped unless ``fitted_scale="transformed"``;
  among several, one whose name contains the target's name wins.
- regressors: every other numeric column that is not a helper. Helpers are
  date-like columns (``date``, ``quarter``, ``period``, ``snapshot*``,
  ``*ccyymm``...), sample flags (``sample``, ``*flag``), fitted values and
  predictions, and residuals and errors (``resid*``, ``error*``). Transforms
  of the target are helpers too. They are recognised by a name such as
  ``lor``, ``log_odds*``, ``logit*`` or ``probit*``, or by values equal to
  the log, logit or probit of the target within a relative 1e-6. For
  example, ``lor`` in the original MMT sample file is the log-odds of
  ``Defaultrate``. With ``target="lor"`` the converse holds: a column whose
  log, logit or probit equals the target, such as ``Defaultrate``, is the
  target on its original scale and counts as a transform too. So does a
  linear function of the target or of its log, logit or probit (absolute
  correlation at least 1 - 1e-12), such as the default rate in percent or a
  scaled logit. They stay out of the regression, but their stationarity
  is tested like the target's, because satellite models are often fitted
  on the log-odds.
- development and out-of-time samples: the ``split`` option comes first. It is
  a date or period such as ``2004Q4``, ``200412`` or ``2004-12-31`` that ends
  the development sample, or a fraction of the rows. Without it, a ``sample``
  column with ``development`` / ``out_of_time`` labels decides. Without both,
  every row is in sample.

Leading and trailing rows where the target or a regressor is missing are
dropped with a warning. A gap inside the series, a missing period in the
dates, duplicate dates and exactly collinear regressors raise
:class:`mmt.errors.ValidationError` with the column and dates at fault.
"""

from __future__ import annotations

import importlib.metadata
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pydantic
from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from scipy.special import expit, logit, ndtr, ndtri

from mmt.analyses.common import metric_entry, not_computable_entry
from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable
from mmt.stats.forecast import calculate_performance_metrics, count_interval_exceedances
from mmt.stats.regression import (
    CONSTANT_NAME,
    RegressionFit,
    collinear_groups,
    correlogram,
    default_ljungbox_lags,
    fit_regression,
    newey_west_lags,
    run_error_diagnostics,
    run_regression_diagnostics,
)
from mmt.stats.stationarity import StationarityOptions, run_stationarity_tests
from mmt.thresholds import (
    DEFAULTS,
    status_higher_is_better,
    status_lower_is_better,
    status_pvalue,
)

__all__ = ["MacroOptions", "analyze_macro"]

TargetTransformation = Literal["none", "log", "logit", "probit"]
StationarityTransformation = Literal[
    "level",
    "diff",
    "log",
    "log_diff",
    "logit",
    "logit_diff",
    "probit",
    "probit_diff",
    "pct_change",
    "growth",
]

_TARGET_KEYS = (
    "defaultrate",
    "dr",
    "odr",
    "observeddefaultrate",
    "actualdefaultrate",
    "realiseddefaultrate",
    "realizeddefaultrate",
)
_DATE_KEYS = {
    "date",
    "datelabel",
    "period",
    "quarter",
    "month",
    "year",
    "time",
    "index",
    "obs",
    "ccyymm",
    "yyyymm",
    "yyyyqq",
    "reportingdate",
    "referencedate",
}
_FITTED_PREFIXES = ("fitted", "pred")
_RESIDUAL_PREFIXES = ("resid", "error", "modelerror")
_TRANSFORM_MARKERS = ("logit", "log", "lor", "probit", "odds")
_TARGET_TRANSFORM_NAMES = ("lor", "logodds", "logit", "probit")
_SAMPLE_LABELS = {
    "development": "development",
    "dev": "development",
    "insample": "development",
    "train": "development",
    "training": "development",
    "estimation": "development",
    "outoftime": "out_of_time",
    "oot": "out_of_time",
    "outofsample": "out_of_time",
    "holdout": "out_of_time",
    "test": "out_of_time",
    "validation": "out_of_time",
}
_MONTHS_TO_FREQUENCY = {1: "monthly", 3: "quarterly", 6: "semi-annual", 12: "annual"}
_MAX_LISTED = 20

_TRANSFORMS: dict[
    str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]
] = {
    "none": (
        lambda v: np.asarray(v, dtype=float),
        lambda v: np.asarray(v, dtype=float),
    ),
    "log": (np.log, np.exp),
    "logit": (logit, expit),
    "probit": (ndtri, ndtr),
}


class MacroOptions(BaseModel):
    """Options of the macro analysis; every field may be left out.

    ``split`` is a date or period ending the development sample (``"2004Q4"``,
    ``"200412"``, ``"2004-12-31"``) or the development share of the rows
    (0 < split <= 1). ``fitted_scale`` states whether the fitted column is on the
    target's own scale or on the transformed one. ``significance_level``
    defaults to the threshold of the same name.
    """

    model_config = ConfigDict(extra="forbid")

    target: str | None = Field(
        None,
        description="Column of the dependent variable, usually the observed default rate. Default: the first "
        "numeric column with a name such as default_rate, dr, odr or observed_default_rate, else the first "
        "numeric column that is not a date, sample, fitted or residual column.",
    )
    regressors: list[str] | None = Field(
        None,
        description="Numeric columns of the macroeconomic regressors of the re-estimated regression. Default: every "
        "other numeric column except date, sample, fitted and residual columns and transforms of the target.",
    )
    fitted: str | None = Field(
        None,
        description="Column of the monitored model's own fitted values, compared with the target. Default: a "
        "numeric column whose name starts with fitted or pred and whose scale matches fitted_scale.",
    )
    fitted_scale: Literal["original", "transformed"] = Field(
        "original",
        description="Scale of the fitted column: original (the target's own scale) or transformed (the scale of "
        "target_transformation). When fitted is left out, names containing log, logit, lor, probit or odds count "
        "as transformed.",
    )
    date: str | None = Field(
        None,
        description="Column of the observation dates, which must be evenly spaced months, quarters, half-years or "
        "years without gaps. Default: date.",
    )
    sample_column: str | None = Field(
        None,
        description="Column that labels each row development or out_of_time. The labels dev, train, training, "
        "estimation and in_sample also mean development, and oot, out_of_sample, holdout, test and validation mean "
        "out of time. Ignored when split is given. Default: a column named sample.",
    )
    target_transformation: TargetTransformation = Field(
        "none",
        validation_alias=AliasChoices("target_transformation", "transformation"),
        description="Transformation of the target before the regression: none, log (positive values), logit or "
        "probit (values strictly between 0 and 1). The key transformation is accepted too.",
    )
    expected_signs: dict[str, Literal["+", "-"]] | None = Field(
        None,
        description='Object mapping a regressor to "+" or "-", the sign its coefficient should have, such as '
        '{"gdp_growth": "-"}. A coefficient of the other sign gets a red status. Every key must be a regressor '
        'or "const", the intercept.',
    )
    split: float | str | None = Field(
        None,
        description="End of the development sample: a date or period such as 2004Q4, 200412, 2004-12 or "
        "2004-12-31 (later rows are out of time), or a number in (0, 1], the share of the rows in the development "
        "sample. Default: the labels of sample_column, else every row is in the development sample.",
    )
    adf_autolag: Literal["AIC", "BIC"] = Field(
        "AIC", description="Information criterion that selects the lag count of the ADF test."
    )
    adf_regression: Literal["c", "ct", "n"] = Field(
        "c",
        description="Deterministic terms of the ADF test: c (constant), ct (constant and trend) or n (none).",
    )
    kpss_regression: Literal["c", "ct"] = Field(
        "c",
        description="Null hypothesis of the KPSS test: c (level stationarity) or ct (trend stationarity).",
    )
    pp_trend: Literal["n", "c", "ct"] | None = Field(
        None,
        description="Deterministic terms of the Phillips-Perron test: n, c or ct, as in adf_regression. "
        "Default: the value of adf_regression.",
    )
    za_regression: Literal["c", "t", "ct"] = Field(
        "c",
        description="Where the Zivot-Andrews test allows a structural break: c (constant), t (trend) or ct (both).",
    )
    stationarity_transformations: list[StationarityTransformation] = Field(
        default_factory=lambda: ["level", "diff"],
        description="Transformations of each series whose stationarity is tested: level, diff (first "
        "difference), log, log_diff, logit, logit_diff, probit, probit_diff, pct_change or growth (both the "
        "percentage change). The target is also tested after target_transformation and its first difference.",
    )
    stationarity_sample: Literal["full", "development"] = Field(
        "full",
        description="Rows of the stationarity tests: full (every row of the series) or development (the "
        "development sample only).",
    )
    significance_level: float | None = Field(
        None,
        gt=0.0,
        lt=0.5,
        description="Level of every test, of the coefficient confidence intervals and of the prediction interval "
        "(coverage 1 - level). Default: the significance_level threshold in force (0.05 unless changed).",
    )
    bg_lags: int = Field(
        4,
        ge=1,
        le=24,
        description="Lags of the Breusch-Godfrey test of residual autocorrelation. The default of 4 suits "
        "quarterly data.",
    )
    ljungbox_lags: int | None = Field(
        None,
        ge=1,
        le=48,
        description="Lags of the Ljung-Box tests of the regression residuals and of the fitted column's errors. "
        "Default: min(10, n // 5), at least 1, where n is the number of residuals or errors.",
    )
    acf_lags: int = Field(
        20,
        ge=1,
        le=60,
        description="Lags of the ACF and PACF of the residuals and of the fitted column's errors, cut to half "
        "the series length minus 1 when the series is short.",
    )
    reset_power: int = Field(
        3,
        ge=2,
        le=5,
        description="Highest power of the fitted values in Ramsey's RESET test, which adds powers 2 up to this one.",
    )
    hac: bool = Field(
        False,
        description="Use Newey-West (HAC, Bartlett kernel) standard errors for the coefficients in place of the "
        "classical OLS ones.",
    )
    hac_lags: int | None = Field(
        None,
        ge=0,
        le=48,
        description="Newey-West lags when hac is true, ignored otherwise. Default: floor(4 * (n / 100) ** (2 / 9)), "
        "where n is the number of development observations.",
    )


@dataclass
class _Prepared:
    dates: pd.DatetimeIndex
    labels: list[str] | None
    frequency: str
    target: str
    actual: np.ndarray
    regressors: list[str]
    regressor_values: np.ndarray
    fitted: str | None
    fitted_values: np.ndarray | None
    development: np.ndarray
    sample_source: str
    excluded: dict[str, str]
    date_column: str
    # Column whose labels split the samples, None when split decided or no such column exists.
    sample_column: str | None
    warnings: list[str] = field(default_factory=list)
    # Columns excluded as transforms of the target, on the target's rows.
    target_transforms: dict[str, np.ndarray] = field(default_factory=dict)


def analyze_macro(
    frame: pd.DataFrame,
    options: MacroOptions | dict[str, Any] | None,
    thresholds: dict[str, float] | None,
    *,
    date_column: str = "date",
) -> dict[str, Any]:
    """Run the macro-model monitoring battery on one dataset.

    Parameters
    ----------
    frame : pandas.DataFrame
        The dataset as normalised by ingest.
    options : MacroOptions or dict
        Column roles and test options; a dict is validated into
        :class:`MacroOptions`.
    thresholds : dict of str to float
        Thresholds in force; missing keys take their defaults.
    date_column : str
        Name of the date column when ``options.date`` is not set.

    Returns
    -------
    dict
        Strict-JSON results with the keys ``stationarity_tests``,
        ``performance_metrics``, ``diagnostics``, ``time_series_data``,
        ``parameters``, ``warnings`` and ``summary_statuses``.

    Raises
    ------
    mmt.errors.ValidationError
        For unknown or non-numeric columns, invalid options, missing values
        inside the series, gaps or duplicates in the dates, target values
        outside the transformation's domain, too few observations, or
        exactly collinear regressors.
    """
    options = _validate_options(options)
    limits = {**DEFAULTS, **(thresholds or {})}
    alpha = float(options.significance_level or limits["significance_level"])

    data = _prepare(frame, options, options.date or date_column)
    forward, backward = _TRANSFORMS[options.target_transformation]
    transformed = _transform_target(data, options.target_transformation, forward)

    statuses: list[dict[str, Any]] = []
    stationarity = _stationarity_section(data, options, alpha, statuses)
    model = _fit_model(data, transformed, options, alpha)
    performance = _performance_section(
        data, transformed, model, options, backward, limits, statuses
    )
    diagnostics = _diagnostics_section(data, model, options, alpha, limits, statuses)
    series = _time_series_section(data, transformed, model, options, backward, alpha)

    result = {
        "stationarity_tests": stationarity,
        "performance_metrics": performance,
        "diagnostics": diagnostics,
        "time_series_data": series,
        "parameters": _parameters(data, options, model, alpha, limits),
        "warnings": data.warnings,
        "summary_statuses": statuses,
    }
    return to_jsonable(result)


# Options, columns and dates -------------------------------------------------


def _validate_options(options: MacroOptions | dict[str, Any] | None) -> MacroOptions:
    if isinstance(options, MacroOptions):
        return options
    try:
        return MacroOptions.model_validate(options or {})
    except pydantic.ValidationError as error:
        problems = [
            {
                "option": ".".join(str(part) for part in item["loc"]),
                "message": item["msg"],
            }
            for item in error.errors()
        ]
        listed = "; ".join(f"{p['option']}: {p['message']}" for p in problems)
        raise ValidationError(
            f"Invalid macro analysis options: {listed}.",
            code="invalid_options",
            details={"errors": problems},
        ) from None


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _prepare(frame: pd.DataFrame, options: MacroOptions, date_name: str) -> _Prepared:
    columns = [str(c) for c in frame.columns]
    frame = frame.copy()
    frame.columns = columns
    if frame.columns.duplicated().any():
        duplicated = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise ValidationError(
            f"Column names must be unique; repeated: {', '.join(duplicated)}.",
            code="duplicate_columns",
            details={"columns": duplicated},
        )
    _require_column(date_name, columns, "date")
    frame = _parse_and_sort_dates(frame, date_name)
    frequency = _check_frequency(frame[date_name])

    numeric = [c for c in columns if c != date_name and _is_numeric(frame[c])]
    warnings: list[str] = []
    target = _resolve_target(options, frame, columns, numeric, date_name)
    fitted = _resolve_fitted(options, frame, columns, numeric, target, warnings)
    regressors, excluded, transforms = _resolve_regressors(
        options, frame, columns, numeric, date_name, target, fitted
    )
    if options.regressors is not None:
        warnings.extend(_target_in_regressors(frame, regressors, target))
    _check_expected_signs(options, regressors)

    window = _common_window(frame, [target, *regressors], date_name, warnings)
    frame = frame.iloc[window].reset_index(drop=True)
    dates = pd.DatetimeIndex(frame[date_name])
    fitted_values = None
    if fitted is not None:
        fitted_values = _fitted_values(frame, fitted, dates, warnings)
        if fitted_values is None:
            fitted = None

    development, sample_source, sample_column = _development_mask(
        frame, options, dates, columns
    )
    labels = (
        [str(v) for v in frame["date_label"]] if "date_label" in frame.columns else None
    )
    return _Prepared(
        dates=dates,
        labels=labels,
        frequency=frequency,
        target=target,
        actual=frame[target].to_numpy(dtype=float),
        regressors=regressors,
        regressor_values=frame[regressors]
        .to_numpy(dtype=float)
        .reshape(len(frame), len(regressors)),
        fitted=fitted,
        fitted_values=fitted_values,
        development=development,
        sample_source=sample_source,
        excluded=excluded,
        date_column=date_name,
        sample_column=sample_column,
        warnings=warnings,
        target_transforms={
            name: frame[name].to_numpy(dtype=float) for name in transforms
        },
    )


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(
        column
    )


def _require_column(name: str, columns: Sequence[str], option: str) -> None:
    if name not in columns:
        raise ValidationError(
            f"Column {name!r} (option {option!r}) is not in the dataset; "
            f"available columns: {', '.join(columns)}.",
            code="unknown_column",
            details={"column": name, "option": option, "available": list(columns)},
        )


def _require_numeric(name: str, frame: pd.DataFrame, option: str) -> None:
    if not _is_numeric(frame[name]):
        raise ValidationError(
            f"Column {name!r} (option {option!r}) must be numeric; it has type {frame[name].dtype}.",
            code="non_numeric_column",
            details={"column": name, "option": option, "dtype": str(frame[name].dtype)},
        )


def _parse_and_sort_dates(frame: pd.DataFrame, date_name: str) -> pd.DataFrame:
    raw = frame[date_name]
    parsed = pd.to_datetime(raw, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise ValidationError(
            f"Column {date_name!r} has {bad.size} missing or unreadable date(s), first at row(s) "
            f"{', '.join(str(int(i) + 1) for i in bad[:_MAX_LISTED])}.",
            code="invalid_date",
            details={
                "column": date_name,
                "rows": [int(i) + 1 for i in bad[:_MAX_LISTED]],
            },
        )
    frame[date_name] = (
        parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed
    )
    frame = frame.sort_values(date_name, kind="stable").reset_index(drop=True)

    duplicated = frame[date_name][frame[date_name].duplicated()]
    if not duplicated.empty:
        repeated_dates = sorted({d.date().isoformat() for d in duplicated})[
            :_MAX_LISTED
        ]
        raise ValidationError(
            f"Each date must appear once; repeated: {', '.join(repeated_dates)}.",
            code="duplicate_dates",
            details={"column": date_name, "dates": repeated_dates},
        )
    if len(frame) < 2:
        raise ValidationError(
            f"The dataset has {len(frame)} row(s); a time series needs at least 2.",
            code="too_few_observations",
            details={"rows": len(frame)},
        )
    return frame


def _check_frequency(dates: pd.Series) -> str:
    months = (dates.dt.year * 12 + dates.dt.month).to_numpy()
    steps = np.diff(months)
    values, counts = np.unique(steps, return_counts=True)
    step = int(values[np.argmax(counts)])
    if (
        step not in _MONTHS_TO_FREQUENCY
        or np.any(steps % step != 0)
        or np.any(steps <= 0)
    ):
        raise ValidationError(
            "The dates are not evenly spaced months, quarters, half-years or years; "
            f"the most common step is {step} month(s).",
            code="irregular_dates",
            details={"steps_in_months": sorted({int(s) for s in steps})},
        )
    gaps = np.flatnonzero(steps > step)
    if gaps.size:
        missing = []
        for position in gaps:
            for offset in range(step, int(steps[position]), step):
                absolute = int(months[position]) + offset
                year, month = divmod(absolute - 1, 12)
                missing.append(f"{year:04d}-{month + 1:02d}")
        raise ValidationError(
            f"The {_MONTHS_TO_FREQUENCY[step]} series has missing period(s): "
            f"{', '.join(missing[:_MAX_LISTED])}. Add the rows or choose a shorter window.",
            code="date_gap",
            details={
                "missing_periods": missing[:_MAX_LISTED],
                "frequency": _MONTHS_TO_FREQUENCY[step],
            },
        )
    return _MONTHS_TO_FREQUENCY[step]


def _resolve_target(
    options: MacroOptions,
    frame: pd.DataFrame,
    columns: list[str],
    numeric: list[str],
    date_name: str,
) -> str:
    if options.target is not None:
        _require_column(options.target, columns, "target")
        _require_numeric(options.target, frame, "target")
        return options.target
    for column in numeric:
        if _key(column) in _TARGET_KEYS:
            return column
    candidates = [c for c in numeric if _helper_reason(c, date_name) is None]
    if not candidates:
        raise ValidationError(
            "No numeric target column found; name it default_rate or pass the option 'target'.",
            code="missing_column",
            details={"option": "target", "available": columns},
        )
    return candidates[0]


def _resolve_fitted(
    options: MacroOptions,
    frame: pd.DataFrame,
    columns: list[str],
    numeric: list[str],
    target: str,
    warnings: list[str],
) -> str | None:
    if options.fitted is not None:
        _require_column(options.fitted, columns, "fitted")
        _require_numeric(options.fitted, frame, "fitted")
        if options.fitted == target:
            raise ValidationError(
                f"Column {target!r} cannot be both target and fitted.",
                code="invalid_options",
                details={"column": target},
            )
        return options.fitted

    candidates = [
        c for c in numeric if c != target and _key(c).startswith(_FITTED_PREFIXES)
    ]
    transformed = [
        c for c in candidates if any(m in _key(c) for m in _TRANSFORM_MARKERS)
    ]
    on_transformed_scale = options.fitted_scale == "transformed"
    usable = [c for c in candidates if (c in transformed) == on_transformed_scale]
    if not usable:
        if candidates:
            warnings.append(
                f"No fitted column on the {options.fitted_scale} scale was found; "
                f"skipped {', '.join(candidates)}. Pass the options 'fitted' and 'fitted_scale' to use one."
            )
        return None
    target_key = _key(target)
    preferred = [c for c in usable if target_key in _key(c)]
    return (preferred or usable)[0]


def _helper_reason(column: str, date_name: str) -> str | None:
    key = _key(column)
    if (
        column in (date_name, "date_label")
        or key in _DATE_KEYS
        or key.startswith("snapshot")
        or key.endswith(("ccyymm", "yyyymm"))
    ):
        return "date or period column"
    if key in ("sample", "split") or key.endswith(("sample", "flag")):
        return "sample flag"
    if key.startswith(_FITTED_PREFIXES):
        return "fitted values"
    if key.startswith(_RESIDUAL_PREFIXES):
        return "residuals or errors"
    return None


def _resolve_regressors(
    options: MacroOptions,
    frame: pd.DataFrame,
    columns: list[str],
    numeric: list[str],
    date_name: str,
    target: str,
    fitted: str | None,
) -> tuple[list[str], dict[str, str], list[str]]:
    """Return the regressors, the excluded columns with their reasons and the target transforms.

    Explicit ``regressors`` exclude nothing, so no target transform is
    looked for then.
    """
    excluded: dict[str, str] = {}
    if options.regressors is not None:
        for name in options.regressors:
            _require_column(name, columns, "regressors")
            _require_numeric(name, frame, "regressors")
        repeated = sorted(
            {n for n in options.regressors if options.regressors.count(n) > 1}
        )
        clashes = [n for n in options.regressors if n in (target, fitted)]
        if repeated or clashes:
            raise ValidationError(
                "Each regressor must appear once and differ from the target and fitted columns; "
                f"problem column(s): {', '.join(repeated + clashes)}.",
                code="invalid_options",
                details={"columns": repeated + clashes},
            )
        return list(options.regressors), excluded, []

    regressors = []
    transforms = []
    target_values = frame[target].to_numpy(dtype=float)
    for column in numeric:
        if column in (target, fitted):
            continue
        reason = _helper_reason(column, date_name)
        if reason is None:
            reason = _target_transform_reason(
                column, frame[column].to_numpy(dtype=float), target, target_values
            )
            if reason is not None:
                transforms.append(column)
        if reason is None:
            regressors.append(column)
        else:
            excluded[column] = reason
    for column in columns:
        if column not in numeric and column != date_name:
            excluded.setdefault(column, "not numeric")
    return regressors, excluded, transforms


def _target_in_regressors(frame: pd.DataFrame, regressors: list[str], target: str) -> list[str]:
    """Return warnings for chosen regressors that are the target on another scale, such as ``lor`` for ``Defaultrate``.

    Chosen regressors are kept, since the user named them. A fit on such a
    column explains the target by itself and shows nothing about the economy.
    """
    target_values = frame[target].to_numpy(dtype=float)
    found = []
    for name in regressors:
        reason = _target_transform_reason(name, frame[name].to_numpy(dtype=float), target, target_values)
        if reason is not None:
            found.append(
                f"Regressor {name!r} is the target on another scale ({reason}). It puts the target into the "
                "regression, so the fit measures that identity rather than the macroeconomic link. "
                f"Leave {name!r} out of 'regressors' unless that is intended."
            )
    return found


def _target_transform_reason(
    column: str, values: np.ndarray, target: str, target_values: np.ndarray
) -> str | None:
    # The values are compared first, so that the reason names the relation when there is one.
    both = np.isfinite(values) & np.isfinite(target_values)
    for name, transform in _SCALE_TRANSFORMS:
        if _equals_transform(values, target_values, both, transform):
            return f"equals the {name} of the target {target!r}"
        # With the target on the transformed scale (lor), its untransformed column would explain it almost exactly.
        if _equals_transform(target_values, values, both, transform):
            return f"the target {target!r} equals its {name}"
    # A rescaled copy, such as 100 times the default rate or a scaled logit, fits the target as exactly.
    for name, transform in (("identity", _identity), *_SCALE_TRANSFORMS):
        if _linear_in_transform(values, target_values, both, transform):
            scale = "the target" if name == "identity" else f"the {name} of the target"
            return f"is a linear function of {scale} {target!r}"
    key = _key(column)
    if key.startswith(_TARGET_TRANSFORM_NAMES) or key in {
        f"log{_key(target)}",
        f"ln{_key(target)}",
    }:
        return f"named like a log-odds, logit or probit column, so taken for a transform of the target {target!r}"
    return None


def _identity(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)


# Scales on which a column may hold the target, in the order their names are reported.
_SCALE_TRANSFORMS: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = (
    ("log", np.log), ("logit", logit), ("probit", ndtri),
)


def _linear_in_transform(
    values: np.ndarray, source: np.ndarray, both: np.ndarray, transform: Callable[[np.ndarray], np.ndarray]
) -> bool:
    """Return True when ``values`` is ``a + b * transform(source)`` with ``b != 0``, to rounding.

    Only the rows where ``source`` lies in (0, 1) are compared, and at least
    three of them with distinct values, since any two points lie on a line.
    """
    inside = both & (source > 0) & (source < 1)
    if np.unique(source[inside]).size < 3:
        return False
    return _exactly_linear(values[inside], transform(source[inside]))


def _exactly_linear(first: np.ndarray, second: np.ndarray) -> bool:
    """Return True when two non-constant series lie on one line, to rounding (|correlation| >= 1 - 1e-12)."""
    if first.size < 3 or np.ptp(first) == 0 or np.ptp(second) == 0:
        return False
    with np.errstate(all="ignore"):
        correlation = np.corrcoef(first, second)[0, 1]
    return bool(np.isfinite(correlation) and abs(correlation) >= 1 - 1e-12)


def _equals_transform(
    transformed: np.ndarray, source: np.ndarray, both: np.ndarray, transform: Callable[[np.ndarray], np.ndarray]
) -> bool:
    """Return True when ``transformed`` equals ``transform(source)`` within a relative 1e-6.

    Only the rows where ``source`` lies in (0, 1) are compared, and there must be one.
    """
    inside = both & (source > 0) & (source < 1)
    if not inside.any():
        return False
    expected = transform(source[inside])
    return bool(np.all(np.abs(transformed[inside] - expected) <= 1e-6 * (1.0 + np.abs(expected))))


def _check_expected_signs(options: MacroOptions, regressors: list[str]) -> None:
    for name in options.expected_signs or {}:
        if name not in regressors and name != CONSTANT_NAME:
            raise ValidationError(
                f"Expected sign given for {name!r}, which is not a regressor; regressors: "
                f"{', '.join(regressors)}.",
                code="unknown_column",
                details={
                    "column": name,
                    "option": "expected_signs",
                    "available": regressors,
                },
            )


def _common_window(
    frame: pd.DataFrame, roles: list[str], date_name: str, warnings: list[str]
) -> slice:
    values = frame[roles].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    present = np.all(np.isfinite(values), axis=1)
    if not present.any():
        raise ValidationError(
            "No row has the target and every regressor present.",
            code="missing_values",
            details={"columns": roles},
        )
    first = int(np.argmax(present))
    last = len(present) - 1 - int(np.argmax(present[::-1]))
    for column in roles:
        inside = ~np.isfinite(frame[column].to_numpy(dtype=float)[first : last + 1])
        if inside.any():
            dates = [
                d.date().isoformat()
                for d in frame[date_name].iloc[first : last + 1][inside]
            ]
            raise ValidationError(
                f"Column {column!r} has {len(dates)} missing value(s) inside the series, at "
                f"{', '.join(dates[:_MAX_LISTED])}. Fill the gap or shorten the window; "
                "gaps are not dropped silently.",
                code="missing_values",
                details={"column": column, "dates": dates[:_MAX_LISTED]},
            )
    dropped = len(frame) - (last - first + 1)
    if dropped:
        all_dates = frame[date_name]
        warnings.append(
            f"Dropped {first} leading and {len(frame) - 1 - last} trailing row(s) where the target "
            f"or a regressor is missing; the series runs from {all_dates.iloc[first].date()} "
            f"to {all_dates.iloc[last].date()}."
        )
    return slice(first, last + 1)


def _fitted_values(
    frame: pd.DataFrame, fitted: str, dates: pd.DatetimeIndex, warnings: list[str]
) -> np.ndarray | None:
    values = frame[fitted].to_numpy(dtype=float)
    present = np.isfinite(values)
    if not present.any():
        warnings.append(
            f"The fitted column {fitted!r} is empty in the analysed window; it is ignored."
        )
        return None
    first = int(np.argmax(present))
    last = values.size - 1 - int(np.argmax(present[::-1]))
    inside = ~present[first : last + 1]
    if inside.any():
        gap_dates = [d.date().isoformat() for d in dates[first : last + 1][inside]]
        raise ValidationError(
            f"Fitted column {fitted!r} has {len(gap_dates)} missing value(s) inside the series, at "
            f"{', '.join(gap_dates[:_MAX_LISTED])}.",
            code="missing_values",
            details={"column": fitted, "dates": gap_dates[:_MAX_LISTED]},
        )
    if first or last < values.size - 1:
        warnings.append(
            f"The fitted column {fitted!r} covers {dates[first].date()} to {dates[last].date()} only; "
            "its metrics use those rows."
        )
    return values


def _development_mask(
    frame: pd.DataFrame,
    options: MacroOptions,
    dates: pd.DatetimeIndex,
    columns: list[str],
) -> tuple[np.ndarray, str, str | None]:
    """Return the development mask, a description of its source and the sample column read."""
    n = len(frame)
    if isinstance(options.split, (int, float)):
        share = float(options.split)
        if not 0.0 < share <= 1.0:
            raise ValidationError(
                f"A numeric split is the development share of the rows and must be in (0, 1]; got {share}.",
                code="invalid_options",
                details={"option": "split", "value": share},
            )
        count = max(1, int(round(share * n)))
        return np.arange(n) < count, f"first {count} of {n} rows (split {share:g})", None
    if isinstance(options.split, str):
        boundary = _parse_boundary(options.split)
        mask = np.asarray(dates <= boundary)
        if not mask.any():
            raise ValidationError(
                f"The split {options.split!r} leaves no development rows; the data start on {dates[0].date()}.",
                code="invalid_options",
                details={"option": "split", "value": options.split},
            )
        return mask, f"dates up to {boundary.date()} (split {options.split!r})", None

    sample_name = options.sample_column
    if sample_name is not None:
        _require_column(sample_name, columns, "sample_column")
    else:
        sample_name = next((c for c in columns if _key(c) == "sample"), None)
    if sample_name is None:
        return np.ones(n, dtype=bool), "all rows (no split and no sample column)", None

    labels = (
        frame[sample_name]
        .astype("string")
        .str.lower()
        .str.replace(r"[^a-z0-9]", "", regex=True)
    )
    mapped = labels.map(_SAMPLE_LABELS)
    unknown = sorted(
        {str(v) for v, m in zip(frame[sample_name], mapped, strict=True) if pd.isna(m)}
    )
    if unknown:
        raise ValidationError(
            f"Column {sample_name!r} has unknown sample label(s): {', '.join(unknown[:_MAX_LISTED])}; "
            "use development or out_of_time.",
            code="invalid_sample_label",
            details={"column": sample_name, "values": unknown[:_MAX_LISTED]},
        )
    mask = (mapped == "development").to_numpy(dtype=bool)
    if not mask.any():
        raise ValidationError(
            f"Column {sample_name!r} marks no row as development.",
            code="invalid_sample_label",
            details={"column": sample_name},
        )
    return mask, f"column {sample_name!r}", sample_name


def _parse_boundary(text: str) -> pd.Timestamp:
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}[Qq][1-4]", value):
            return pd.Period(value.upper(), freq="Q").end_time.normalize()
        if re.fullmatch(r"\d{6}", value):
            return pd.Period(f"{value[:4]}-{value[4:]}", freq="M").end_time.normalize()
        if re.fullmatch(r"\d{4}-\d{2}", value):
            return pd.Period(value, freq="M").end_time.normalize()
        parsed = pd.Timestamp(value)
        # An empty text or "NaT" gives NaT rather than an error.
        if pd.isna(parsed):
            raise ValueError(value)
        return parsed.normalize()
    except (ValueError, OverflowError):
        raise ValidationError(
            f"The split {text!r} is not a date or period; use e.g. 2004Q4, 200412 or 2004-12-31.",
            code="invalid_options",
            details={"option": "split", "value": text},
        ) from None


def _transform_target(
    data: _Prepared, name: str, forward: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    y = data.actual
    if name == "log":
        bad = y <= 0
        domain = "positive values"
    elif name in ("logit", "probit"):
        bad = (y <= 0) | (y >= 1)
        domain = "values strictly between 0 and 1"
    else:
        return y.copy()
    if bad.any():
        dates = [d.date().isoformat() for d in data.dates[bad]]
        raise ValidationError(
            f"The {name} transformation needs {domain}; target {data.target!r} is outside at "
            f"{', '.join(dates[:_MAX_LISTED])}.",
            code="invalid_target_values",
            details={
                "column": data.target,
                "transformation": name,
                "dates": dates[:_MAX_LISTED],
            },
        )
    return forward(y)


# Sections --------------------------------------------------------------------


def _stationarity_options(
    options: MacroOptions, alpha: float, extra: Sequence[str] = ()
) -> StationarityOptions:
    return StationarityOptions(
        adf_autolag=options.adf_autolag,
        adf_regression=options.adf_regression,
        kpss_regression=options.kpss_regression,
        pp_trend=options.pp_trend,
        za_regression=options.za_regression,
        significance_level=alpha,
        transformations=tuple(
            dict.fromkeys([*options.stationarity_transformations, *extra])
        ),
    )


def _stationarity_section(
    data: _Prepared, options: MacroOptions, alpha: float, statuses: list[dict[str, Any]]
) -> dict[str, Any]:
    rows = (
        data.development
        if options.stationarity_sample == "development"
        else np.ones(len(data.dates), bool)
    )
    dates = data.dates[rows]
    target_extra = (
        ()
        if options.target_transformation == "none"
        else (
            options.target_transformation,
            f"{options.target_transformation}_diff",
        )
    )
    series: list[tuple[str, str, np.ndarray, Sequence[str]]] = [
        (data.target, "target", data.actual, target_extra)
    ]
    # A transform of the target is already on the transformed scale, so the
    # target's extra transformations (logit of the log-odds...) are not applied.
    series += [
        (name, "target_transform", values, ())
        for name, values in data.target_transforms.items()
    ]
    series += [
        (name, "regressor", data.regressor_values[:, j], ())
        for j, name in enumerate(data.regressors)
    ]
    if data.fitted is not None and data.fitted_values is not None:
        series.append((data.fitted, "fitted", data.fitted_values, ()))

    section: dict[str, Any] = {}
    for name, role, values, extra in series:
        result = run_stationarity_tests(
            values[rows],
            options=_stationarity_options(options, alpha, extra),
            name=name,
        )
        entry = result.to_dict()
        entry["role"] = role
        for transformation, outcome in entry["transformations"].items():
            offset = int(rows.sum()) - outcome["nobs"] if outcome["nobs"] else 0
            za = outcome["tests"].get("zivot_andrews", {})
            if za.get("details", {}).get("break_index") is not None:
                za["details"]["break_date"] = (
                    dates[offset + za["details"]["break_index"]].date().isoformat()
                )
            statuses.append(
                {
                    "metric": f"stationarity.{name}.{transformation}.verdict",
                    "value": outcome["verdict"],
                    "status": outcome["verdict_status"],
                }
            )
        section[name] = entry
    return section


@dataclass
class _Model:
    fit: RegressionFit | None
    reason: str | None
    status: str | None
    predictions: np.ndarray | None = None
    interval_lower: np.ndarray | None = None
    interval_upper: np.ndarray | None = None
    hac_lags: int | None = None


def _fit_model(
    data: _Prepared, transformed: np.ndarray, options: MacroOptions, alpha: float
) -> _Model:
    if not data.regressors:
        return _Model(
            None,
            "No regressor columns, so no regression is re-estimated.",
            "no_regressors",
        )

    dev = data.development
    y = transformed[dev]
    x = data.regressor_values[dev]
    design = np.column_stack([np.ones(y.size), x])
    # A name no column can have marks the intercept, so a regressor named like it stays in the message.
    intercept = "\0intercept"
    groups = collinear_groups(design, [intercept, *data.regressors])
    if groups:
        described = []
        for group in groups:
            members = [g for g in group if g != intercept]
            if len(members) == 1:
                described.append(f"{members[0]} is constant in the development sample")
            else:
                described.append(" + ".join(members) + " are exactly collinear")
        raise ValidationError(
            f"The regressors cannot be estimated: {'; '.join(described)}. Remove one column of each group.",
            code="collinear_regressors",
            details={
                "groups": [[g for g in group if g != intercept] for group in groups]
            },
        )
    if y.size - len(data.regressors) - 1 < 1:
        raise ValidationError(
            f"The development sample has {y.size} row(s), too few for {len(data.regressors)} regressor(s) "
            "and a constant.",
            code="too_few_observations",
            details={"rows": int(y.size), "regressors": len(data.regressors)},
        )
    if np.all(y == y[0]):
        raise ValidationError(
            f"The target {data.target!r} is constant in the development sample; nothing to explain.",
            code="constant_target",
            details={"column": data.target},
        )

    hac_lags = None
    if options.hac:
        hac_lags = (
            newey_west_lags(y.size) if options.hac_lags is None else options.hac_lags
        )
    try:
        fit = fit_regression(
            y,
            x,
            data.regressors,
            cov_type="HAC" if options.hac else "nonrobust",
            hac_lags=hac_lags,
            expected_signs=options.expected_signs,
            significance_level=alpha,
        )
    except NotComputable as error:
        # The checks above leave only an exact fit, such as a transform of the
        # target among the regressors.
        raise _exact_fit_error(error, y, x, data, options.target_transformation) from None
    full_design = np.column_stack([np.ones(len(transformed)), data.regressor_values])
    prediction = fit.results.get_prediction(full_design).summary_frame(alpha=alpha)
    return _Model(
        fit=fit,
        reason=None,
        status=None,
        predictions=prediction["mean"].to_numpy(dtype=float),
        interval_lower=prediction["obs_ci_lower"].to_numpy(dtype=float),
        interval_upper=prediction["obs_ci_upper"].to_numpy(dtype=float),
        hac_lags=hac_lags,
    )


def _exact_fit_error(
    error: NotComputable, y: np.ndarray, x: np.ndarray, data: _Prepared, transformation: str
) -> ValidationError:
    """Return the 422 of an exact fit, naming the regressors that are the (transformed) target on their own."""
    scale = f"the target {data.target!r}"
    if transformation != "none":
        scale = f"the {transformation} of the target {data.target!r} (target_transformation {transformation!r})"
    relations = {}
    for index, name in enumerate(data.regressors):
        values = x[:, index]
        if np.allclose(values, y, rtol=1e-9, atol=1e-12):
            relations[name] = f"equals {scale}"
        elif _exactly_linear(values, y):
            relations[name] = f"is a linear function of {scale}"
    if not relations:
        return ValidationError(error.reason, code=error.status,
                               details={"target": data.target, "regressors": data.regressors})
    named = "; ".join(f"regressor {name!r} {relation}" for name, relation in relations.items())
    return ValidationError(
        f"The regressors reproduce the target exactly: {named}, so the regression explains the target by itself "
        "and standard errors and residual tests are undefined. Leave "
        f"{', '.join(repr(name) for name in relations)} out of 'regressors'.",
        code=error.status,
        details={"target": data.target, "regressors": data.regressors, "target_transformation": transformation,
                 "target_on_another_scale": relations},
    )


def _metrics_entry(
    actual: np.ndarray,
    predicted: np.ndarray,
    n_regressors: int | None,
    label: str,
    limits: dict[str, float],
    statuses: list[dict[str, Any]],
) -> dict[str, Any]:
    try:
        metrics = calculate_performance_metrics(
            actual, predicted, n_regressors=n_regressors
        ).to_dict()
    except NotComputable as error:
        entry = not_computable_entry(error)
        statuses.append(
            {"metric": f"{label}.mape", "value": None, "status": error.status}
        )
        return entry
    metrics["status"] = {
        "r_squared": status_higher_is_better(
            metrics["r_squared"], limits["r2_threshold"], -math.inf
        ),
        "mape": status_lower_is_better(
            metrics["mape"], limits["mape_threshold"], math.inf
        ),
    }
    if n_regressors is not None:
        metrics["status"]["adj_r_squared"] = status_higher_is_better(
            metrics["adj_r_squared"], limits["r2_threshold"], -math.inf
        )
    for name, status in metrics["status"].items():
        statuses.append(
            {"metric": f"{label}.{name}", "value": metrics[name], "status": status}
        )
    return metrics


def _performance_section(
    data: _Prepared,
    transformed: np.ndarray,
    model: _Model,
    options: MacroOptions,
    backward: Callable[[np.ndarray], np.ndarray],
    limits: dict[str, float],
    statuses: list[dict[str, Any]],
) -> dict[str, Any]:
    dev = data.development
    oot = ~dev
    section: dict[str, Any] = {
        "target": data.target,
        "target_transformation": options.target_transformation,
        "development_rows": int(dev.sum()),
        "out_of_time_rows": int(oot.sum()),
    }

    if model.fit is None:
        section["regression"] = {
            "value": None,
            "status": model.status,
            "reason": model.reason,
        }
        section["model"] = section["regression"]
    else:
        fit = model.fit
        regression = fit.to_dict()
        for coefficient in regression["coefficients"]:
            _coefficient_statuses(coefficient, fit.significance_level, statuses)
        section["regression"] = regression
        assert model.predictions is not None
        k = fit.n_regressors
        if options.target_transformation == "none":
            scales = {"original": (data.actual, model.predictions)}
        else:
            scales = {
                "transformed": (transformed, model.predictions),
                "original": (data.actual, backward(model.predictions)),
            }
        model_section: dict[str, Any] = {}
        for sample, mask in (("in_sample", dev), ("out_of_time", oot)):
            if not mask.any():
                model_section[sample] = {
                    "value": None,
                    "status": "empty",
                    "reason": "No out-of-time rows.",
                }
                continue
            model_section[sample] = {
                scale: _metrics_entry(
                    a[mask],
                    p[mask],
                    k,
                    f"performance.model.{sample}.{scale}",
                    limits,
                    statuses,
                )
                for scale, (a, p) in scales.items()
            }
        if oot.any():
            assert model.interval_lower is not None and model.interval_upper is not None
            model_section["out_of_time"]["prediction_interval_backtest"] = (
                count_interval_exceedances(
                    transformed[oot],
                    model.interval_lower[oot],
                    model.interval_upper[oot],
                    coverage=1.0 - fit.significance_level,
                ).to_dict()
            )
        section["model"] = model_section

    section["supplied_fitted"] = _supplied_fitted_metrics(
        data, transformed, options, backward, limits, statuses
    )
    return section


# Transforms tried on a supplied fitted column that misses its target: the
# scales on which monitoring files commonly hold default rates.
_SCALE_CHANGES: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = (
    ("logit", logit), ("log", np.log), ("probit", ndtri),
    ("inverse logit", expit), ("exponential", np.exp), ("normal distribution function", ndtr),
)
# R² below which the supplied fitted values do worse than the target's mean, and above which a
# transform of them is taken to match the target.
_MISSES_TARGET = 0.0
_MATCHES_TARGET = 0.5


def _r_squared(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    spread = float(np.sum((actual - actual.mean()) ** 2))
    if spread == 0.0:
        return None
    return 1.0 - float(np.sum((actual - predicted) ** 2)) / spread


def _scale_mismatch(target: str, actual: np.ndarray, fitted: str, values: np.ndarray) -> str | None:
    """Return a warning when the fitted column misses the target but a change of scale of it fits.

    A fitted default rate compared with a log-odds target (or the reverse)
    gives figures such as an R² of -48, which describe nothing about the model.
    The warning is given when the fitted values do worse than the target's
    mean (R² below 0) while their logit, log, probit or one of the inverses
    explains at least half of the target's variance.
    """
    both = np.isfinite(actual) & np.isfinite(values)
    if both.sum() < 3:
        return None
    observed, predicted = actual[both], values[both]
    direct = _r_squared(observed, predicted)
    if direct is None or direct >= _MISSES_TARGET:
        return None
    for name, change in _SCALE_CHANGES:
        with np.errstate(all="ignore"):
            changed = change(predicted)
        if not np.all(np.isfinite(changed)):
            continue
        matched = _r_squared(observed, changed)
        if matched is not None and matched >= _MATCHES_TARGET:
            return (
                f"The fitted column {fitted!r} does worse than a constant for the target {target!r} "
                f"(R² {direct:.3g}), but its {name} matches the target (R² {matched:.3g}): the two are on "
                "different scales, so the supplied_fitted figures do not measure the model. Name a "
                "fitted column on the target's scale with the option 'fitted', or set 'fitted_scale'."
            )
    return None


def _coefficient_statuses(
    coefficient: dict[str, Any], alpha: float, statuses: list[dict[str, Any]]
) -> None:
    if coefficient["name"] == CONSTANT_NAME:
        coefficient["status"] = None
        return
    coefficient["status"] = "green" if coefficient["p_value"] < alpha else "amber"
    statuses.append(
        {
            "metric": f"performance.regression.{coefficient['name']}.p_value",
            "value": coefficient["p_value"],
            "status": coefficient["status"],
        }
    )
    if coefficient["sign_matches"] is not None:
        coefficient["sign_status"] = "green" if coefficient["sign_matches"] else "red"
        statuses.append(
            {
                "metric": f"performance.regression.{coefficient['name']}.expected_sign",
                "value": coefficient["expected_sign"],
                "status": coefficient["sign_status"],
            }
        )


def _supplied_fitted_metrics(
    data: _Prepared,
    transformed: np.ndarray,
    options: MacroOptions,
    backward: Callable[[np.ndarray], np.ndarray],
    limits: dict[str, float],
    statuses: list[dict[str, Any]],
) -> dict[str, Any] | None:
    if data.fitted is None or data.fitted_values is None:
        return None
    present = np.isfinite(data.fitted_values)
    if options.fitted_scale == "original":
        mismatch = _scale_mismatch(data.target, data.actual, data.fitted, data.fitted_values)
        if mismatch is not None:
            data.warnings.append(mismatch)
    if options.fitted_scale == "transformed":
        scales = {
            "transformed": (transformed, data.fitted_values),
            "original": (data.actual, backward(data.fitted_values)),
        }
    else:
        scales = {"original": (data.actual, data.fitted_values)}

    section: dict[str, Any] = {
        "column": data.fitted,
        "scale": options.fitted_scale,
        "rows": int(present.sum()),
    }
    for sample, mask in (
        ("in_sample", data.development & present),
        ("out_of_time", ~data.development & present),
        ("full_sample", present),
    ):
        if not mask.any():
            section[sample] = {
                "value": None,
                "status": "empty",
                "reason": f"No {sample.replace('_', ' ')} rows.",
            }
            continue
        section[sample] = {
            scale: _metrics_entry(
                a[mask],
                p[mask],
                None,
                f"performance.supplied_fitted.{sample}.{scale}",
                limits,
                statuses,
            )
            for scale, (a, p) in scales.items()
        }
    actual, fitted = scales["original"]
    section["fitted_on_actual"] = _fitted_on_actual(actual[present], fitted[present])
    return section


def _fitted_on_actual(actual: np.ndarray, fitted: np.ndarray) -> dict[str, Any]:
    """Regress the fitted values on the actual ones: the trend line of the scatter."""
    try:
        fit = fit_regression(fitted, actual.reshape(-1, 1), ["actual"])
    except NotComputable as error:
        return not_computable_entry(error)
    intercept, slope = fit.coefficients
    return {
        "intercept": intercept.estimate,
        "slope": slope.estimate,
        "r_squared": fit.r_squared,
        "adj_r_squared": fit.adj_r_squared,
        "correlation": float(np.corrcoef(actual, fitted)[0, 1]),
        "x": [float(actual.min()), float(actual.max())],
        "y": [
            intercept.estimate + slope.estimate * float(actual.min()),
            intercept.estimate + slope.estimate * float(actual.max()),
        ],
        "nobs": fit.nobs,
    }


def _diagnostics_section(
    data: _Prepared,
    model: _Model,
    options: MacroOptions,
    alpha: float,
    limits: dict[str, float],
    statuses: list[dict[str, Any]],
) -> dict[str, Any]:
    band = (limits["durbin_watson_lower"], limits["durbin_watson_upper"])
    section: dict[str, Any] = {}
    if model.fit is None:
        section["model"] = {
            "value": None,
            "status": model.status,
            "reason": model.reason,
        }
    else:
        result = run_regression_diagnostics(
            model.fit,
            bg_lags=options.bg_lags,
            ljungbox_lags=options.ljungbox_lags,
            reset_power=options.reset_power,
            significance_level=alpha,
            durbin_watson_band=band,
        ).to_dict()
        _test_statuses(result["tests"], "diagnostics.model", limits, statuses)
        vif = {}
        for name, value in result.pop("variance_inflation_factors").items():
            status = status_lower_is_better(
                value, limits["vif_threshold"], limits["vif_red_threshold"]
            )
            vif[name] = metric_entry(value, status)
            statuses.append(
                {
                    "metric": f"diagnostics.model.vif.{name}",
                    "value": value,
                    "status": status,
                }
            )
        result["variance_inflation_factors"] = vif
        section["model"] = result

    if data.fitted is not None and data.fitted_values is not None:
        present = np.isfinite(data.fitted_values)
        errors = data.fitted_values[present] - data.actual[present]
        tests = {
            key: test.to_dict()
            for key, test in run_error_diagnostics(
                errors,
                data.actual[present],
                ljungbox_lags=options.ljungbox_lags,
                significance_level=alpha,
                durbin_watson_band=band,
            ).items()
        }
        _test_statuses(tests, "diagnostics.supplied_fitted", limits, statuses)
        section["supplied_fitted"] = {
            "column": data.fitted,
            "errors": "fitted minus actual, original scale, every row with a fitted value",
            "tests": tests,
        }
    else:
        section["supplied_fitted"] = None
    return section


def _test_statuses(
    tests: dict[str, dict[str, Any]],
    prefix: str,
    limits: dict[str, float],
    statuses: list[dict[str, Any]],
) -> None:
    for key, test in tests.items():
        if test["not_computable_status"] is not None:
            test["status"] = test["not_computable_status"]
            statuses.append(
                {"metric": f"{prefix}.{key}", "value": None, "status": test["status"]}
            )
            continue
        if key == "durbin_watson":
            inside = (
                limits["durbin_watson_lower"]
                <= test["statistic"]
                <= limits["durbin_watson_upper"]
            )
            test["status"] = "green" if inside else "amber"
            statuses.append(
                {
                    "metric": f"{prefix}.{key}.statistic",
                    "value": test["statistic"],
                    "status": test["status"],
                }
            )
            continue
        test["status"] = status_pvalue(_effective_p_value(test), limits)
        statuses.append(
            {
                "metric": f"{prefix}.{key}.p_value",
                "value": test["p_value"],
                "status": test["status"],
            }
        )


def _effective_p_value(test: dict[str, Any]) -> float:
    """Return a p-value just inside a bound, so "< 0.01" reads as below 0.01."""
    if test["p_value_bound"] == "upper":
        return math.nextafter(test["p_value_limit"], 0.0)
    if test["p_value_bound"] == "lower":
        return math.nextafter(test["p_value_limit"], 1.0)
    return test["p_value"]


def _correlograms(
    values: np.ndarray | None, lags: int, alpha: float, reason: str
) -> dict[str, Any]:
    if values is None:
        entry = {"value": None, "status": "not_computable", "reason": reason}
        return {"acf": entry, "pacf": entry}
    usable = _usable_acf_lags(lags, values.size)
    result = {}
    for kind in ("acf", "pacf"):
        try:
            result[kind] = correlogram(
                values, kind=kind, lags=usable, alpha=alpha
            ).to_dict()
        except NotComputable as error:
            result[kind] = not_computable_entry(error)
    return result


def _usable_acf_lags(lags: int, size: int) -> int:
    # statsmodels' PACF needs fewer lags than half the series length. A result
    # below 1 makes the correlogram not computable.
    return min(lags, size // 2 - 1)


def _time_series_section(
    data: _Prepared,
    transformed: np.ndarray,
    model: _Model,
    options: MacroOptions,
    backward: Callable[[np.ndarray], np.ndarray],
    alpha: float,
) -> dict[str, Any]:
    section: dict[str, Any] = {
        "dates": [d.date().isoformat() for d in data.dates],
        "date_labels": data.labels,
        "frequency": data.frequency,
        "sample": ["development" if d else "out_of_time" for d in data.development],
        "target": data.target,
        "actual": data.actual,
        "actual_transformed": (
            None if options.target_transformation == "none" else transformed
        ),
        "fitted_column": data.fitted,
        "fitted": data.fitted_values,
        "fitted_errors": (
            None if data.fitted_values is None else data.fitted_values - data.actual
        ),
        "regressors": {
            name: data.regressor_values[:, j] for j, name in enumerate(data.regressors)
        },
    }
    if model.fit is not None:
        assert model.predictions is not None
        assert model.interval_lower is not None and model.interval_upper is not None
        section.update(
            {
                "model_fitted": backward(model.predictions),
                "model_fitted_transformed": model.predictions,
                "residuals": transformed - model.predictions,
                "prediction_interval": {
                    "coverage": 1.0 - alpha,
                    "lower": backward(model.interval_lower),
                    "upper": backward(model.interval_upper),
                    "lower_transformed": model.interval_lower,
                    "upper_transformed": model.interval_upper,
                },
            }
        )
        residual_correlograms = _correlograms(
            model.fit.residuals, options.acf_lags, alpha, ""
        )
    else:
        section.update(
            {"model_fitted": None, "model_fitted_transformed": None, "residuals": None}
        )
        section["prediction_interval"] = None
        residual_correlograms = _correlograms(
            None, options.acf_lags, alpha, model.reason or ""
        )
    section["residual_acf"] = residual_correlograms["acf"]
    section["residual_pacf"] = residual_correlograms["pacf"]

    if data.fitted_values is not None:
        present = np.isfinite(data.fitted_values)
        errors = (data.fitted_values - data.actual)[present]
        error_correlograms = _correlograms(errors, options.acf_lags, alpha, "")
    else:
        error_correlograms = _correlograms(
            None, options.acf_lags, alpha, "No fitted column."
        )
    section["fitted_error_acf"] = error_correlograms["acf"]
    section["fitted_error_pacf"] = error_correlograms["pacf"]
    return section


def _parameters(
    data: _Prepared,
    options: MacroOptions,
    model: _Model,
    alpha: float,
    limits: dict[str, float],
) -> dict[str, Any]:
    used = options.model_dump()
    stationarity = _stationarity_options(options, alpha)
    used.update(
        {
            "target": data.target,
            "regressors": data.regressors,
            "fitted": data.fitted,
            "date": data.date_column,
            "sample_column": data.sample_column,
            "pp_trend": stationarity.effective_pp_trend,
            "excluded_columns": data.excluded,
            "target_transforms": list(data.target_transforms),
            "significance_level": alpha,
            "sample_source": data.sample_source,
            "development_end": _last(data.dates[data.development]),
            "out_of_time_start": _first(data.dates[~data.development]),
            "window_start": data.dates[0].date().isoformat(),
            "window_end": data.dates[-1].date().isoformat(),
            "rows": len(data.dates),
            "frequency": data.frequency,
            **_lag_parameters(data, model, options),
            "hac_lags": model.hac_lags,
            "cov_type": "HAC" if options.hac else "nonrobust",
            "stationarity": stationarity.to_dict(),
            "thresholds": {
                key: limits[key]
                for key in (
                    "significance_level",
                    "pvalue_amber",
                    "pvalue_red",
                    "r2_threshold",
                    "mape_threshold",
                    "durbin_watson_lower",
                    "durbin_watson_upper",
                    "vif_threshold",
                    "vif_red_threshold",
                )
            },
            "software": {
                name: importlib.metadata.version(name)
                for name in ("numpy", "scipy", "statsmodels", "arch", "pandas")
            },
        }
    )
    return used


def _lag_parameters(
    data: _Prepared, model: _Model, options: MacroOptions
) -> dict[str, int | None]:
    """Return the lags the Ljung-Box tests and correlograms used, None where a series is absent.

    The regression residuals cover the development sample and the fitted
    column's errors every row with a fitted value, so their default lags can
    differ.
    """
    lags: dict[str, int | None] = {
        "ljungbox_lags": None,
        "fitted_error_ljungbox_lags": None,
        "residual_acf_lags": None,
        "fitted_error_acf_lags": None,
    }
    if model.fit is not None:
        count = int(model.fit.nobs)
        lags["ljungbox_lags"] = options.ljungbox_lags or default_ljungbox_lags(count)
        lags["residual_acf_lags"] = _positive_or_none(
            _usable_acf_lags(options.acf_lags, count)
        )
    if data.fitted_values is not None:
        count = int(np.isfinite(data.fitted_values).sum())
        lags["fitted_error_ljungbox_lags"] = (
            options.ljungbox_lags or default_ljungbox_lags(count)
        )
        lags["fitted_error_acf_lags"] = _positive_or_none(
            _usable_acf_lags(options.acf_lags, count)
        )
    return lags


def _positive_or_none(value: int) -> int | None:
    return value if value >= 1 else None


def _first(dates: pd.DatetimeIndex) -> str | None:
    return dates[0].date().isoformat() if len(dates) else None


def _last(dates: pd.DatetimeIndex) -> str | None:
    return dates[-1].date().isoformat() if len(dates) else None
