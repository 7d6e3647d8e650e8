"""Accuracy of predictions against actual values (RMSE, MAE, MAPE, sMAPE, Theil's U).

Written by hand because these are one-line formulas over two arrays and no
well-kept library reports them together with the handling of zero targets
that a default-rate series needs:

- RMSE, MAE, mean error (bias = mean of predicted minus actual), and the
  coefficient of determination ``R^2 = 1 - SSE / SST`` with its adjusted form
  ``1 - (1 - R^2) (n - 1) / (n - k - 1)``.
- MAPE ``100 * mean(|(y - yhat) / y|)`` over the non-zero targets only, with
  the number of zero targets left out, and the symmetric MAPE
  ``200 * mean(|y - yhat| / (|y| + |yhat|))`` of Makridakis (1993),
  "Accuracy measures: theoretical and practical concerns", which stays defined
  when a target is zero.
- Theil's U1, the inequality coefficient of Theil (1961), "Economic forecasts
  and policy", which lies between 0 and 1.
- Theil's U2 of Theil (1966), "Applied economic forecasting", in the form
  given by Bliemel (1973), "Theil's forecast accuracy coefficient: a
  clarification". It is the ratio of the forecast's relative errors to those
  of the naive no-change forecast, so below 1 beats the naive forecast.
- The back-test of prediction intervals: how many actual values fall outside.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable

__all__ = [
    "IntervalBacktest",
    "PerformanceMetrics",
    "calculate_performance_metrics",
    "count_interval_exceedances",
]


@dataclass(frozen=True, slots=True)
class PerformanceMetrics:
    """Accuracy of predictions against actual values.

    A figure that is undefined for the input is ``None`` and
    ``not_computable`` maps its name to the reason. MAPE and sMAPE are in
    percent; bias is the mean of predicted minus actual, so a positive bias
    means over-prediction.
    """

    nobs: int
    rmse: float
    mae: float
    bias: float
    mape: float | None
    mape_observations: int
    mape_excluded_zeros: int
    smape: float
    theil_u1: float | None
    theil_u2: float | None
    r_squared: float | None
    adj_r_squared: float | None
    n_regressors: int | None
    mean_actual: float
    mean_predicted: float
    not_computable: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the metrics as plain JSON values."""
        return to_jsonable(
            {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}
        )


@dataclass(frozen=True, slots=True)
class IntervalBacktest:
    """Count of actual values outside their prediction intervals."""

    nobs: int
    coverage: float
    below: int
    above: int
    exceedances: int
    exceedance_share: float
    expected_share: float

    def to_dict(self) -> dict[str, Any]:
        """Return the counts as plain JSON values."""
        return to_jsonable(
            {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}
        )


def calculate_performance_metrics(
    actual: Sequence[float] | np.ndarray,
    predicted: Sequence[float] | np.ndarray,
    *,
    n_regressors: int | None = None,
) -> PerformanceMetrics:
    """Compute RMSE, MAE, bias, MAPE, sMAPE, Theil's U1 and U2, R^2 and adjusted R^2.

    Parameters
    ----------
    actual, predicted : array_like
        Actual and predicted values in time order, of equal length.
    n_regressors : int, optional
        Number of regressors of the model behind the predictions, without the
        constant; needed for the adjusted R^2.

    Returns
    -------
    PerformanceMetrics

    Raises
    ------
    NotComputable
        ``"empty"`` when there is no observation, ``"missing_values"`` when a
        value is NaN or infinite.
    ValueError
        When the arrays differ in length or are not one-dimensional.

    Notes
    -----
    Zero targets are left out of MAPE and counted in ``mape_excluded_zeros``.
    In sMAPE a term where actual and predicted are both zero counts as a
    perfect prediction (zero error). R^2 here is ``1 - SSE / SST`` around the
    mean of the actual values given, so out of sample it can be negative.
    """
    y, y_hat = _check_pair(actual, predicted)
    n = y.size
    error = y_hat - y
    reasons: dict[str, str] = {}

    rmse = float(np.sqrt(np.mean(error**2)))
    mae = float(np.mean(np.abs(error)))

    non_zero = y != 0
    excluded = int(n - non_zero.sum())
    mape: float | None = None
    if non_zero.any():
        with np.errstate(over="ignore"):
            mape = float(100.0 * np.mean(np.abs(error[non_zero] / y[non_zero])))
        if not math.isfinite(mape):
            mape = None
            reasons["mape"] = (
                "An actual value is so close to zero that the percentage error overflows."
            )
    else:
        reasons["mape"] = (
            "Every actual value is zero, so no percentage error is defined."
        )

    denominator = np.abs(y) + np.abs(y_hat)
    both_zero = denominator == 0
    smape_terms = np.zeros(n)
    smape_terms[~both_zero] = np.abs(error[~both_zero]) / denominator[~both_zero]
    smape = float(200.0 * np.mean(smape_terms))

    theil_u1 = _theil_u1(y, y_hat, rmse, reasons)
    theil_u2 = _theil_u2(y, y_hat, reasons)
    r_squared, adj_r_squared = _r_squared(y, error, n_regressors, reasons)

    return PerformanceMetrics(
        nobs=int(n),
        rmse=rmse,
        mae=mae,
        bias=float(np.mean(error)),
        mape=mape,
        mape_observations=int(non_zero.sum()),
        mape_excluded_zeros=excluded,
        smape=smape,
        theil_u1=theil_u1,
        theil_u2=theil_u2,
        r_squared=r_squared,
        adj_r_squared=adj_r_squared,
        n_regressors=n_regressors,
        mean_actual=float(np.mean(y)),
        mean_predicted=float(np.mean(y_hat)),
        not_computable=reasons,
    )


def count_interval_exceedances(
    actual: Sequence[float] | np.ndarray,
    lower: Sequence[float] | np.ndarray,
    upper: Sequence[float] | np.ndarray,
    *,
    coverage: float,
) -> IntervalBacktest:
    """Count actual values below or above their prediction interval.

    Parameters
    ----------
    actual, lower, upper : array_like
        Actual values and interval bounds, of equal length.
    coverage : float
        Nominal coverage of the intervals, e.g. 0.95; the expected share of
        exceedances is ``1 - coverage``.

    Returns
    -------
    IntervalBacktest
    """
    y, low = _check_pair(actual, lower)
    _, high = _check_pair(actual, upper)
    below = int(np.sum(y < low))
    above = int(np.sum(y > high))
    return IntervalBacktest(
        nobs=int(y.size),
        coverage=coverage,
        below=below,
        above=above,
        exceedances=below + above,
        exceedance_share=(below + above) / y.size,
        expected_share=1.0 - coverage,
    )


def _check_pair(
    first: Sequence[float] | np.ndarray, second: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(
            f"Inputs must be one-dimensional; got shapes {a.shape} and {b.shape}."
        )
    if a.shape != b.shape:
        raise ValueError(f"Inputs must have equal length; got {a.size} and {b.size}.")
    if a.size == 0:
        raise NotComputable("There is no observation to compare.", "empty")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise NotComputable(
            "An actual or predicted value is missing or infinite.", "missing_values"
        )
    return a, b


def _theil_u1(
    y: np.ndarray, y_hat: np.ndarray, rmse: float, reasons: dict[str, str]
) -> float | None:
    scale = math.sqrt(float(np.mean(y**2))) + math.sqrt(float(np.mean(y_hat**2)))
    if scale == 0:
        reasons["theil_u1"] = "Actual and predicted values are all zero."
        return None
    return rmse / scale


def _theil_u2(
    y: np.ndarray, y_hat: np.ndarray, reasons: dict[str, str]
) -> float | None:
    if y.size < 2:
        reasons["theil_u2"] = "Theil's U2 needs at least two observations."
        return None
    previous = y[:-1]
    if np.any(previous == 0):
        reasons["theil_u2"] = (
            "Theil's U2 divides by the previous actual value, which is zero."
        )
        return None
    with np.errstate(over="ignore"):
        naive = float(np.sum(((y[1:] - previous) / previous) ** 2))
        forecast = float(np.sum(((y_hat[1:] - y[1:]) / previous) ** 2))
    if naive == 0:
        reasons["theil_u2"] = (
            "The actual values never change, so the naive forecast is exact."
        )
        return None
    ratio = (
        math.sqrt(forecast / naive)
        if math.isfinite(forecast) and math.isfinite(naive)
        else math.nan
    )
    if not math.isfinite(ratio):
        reasons["theil_u2"] = (
            "A previous actual value is so close to zero that the relative errors overflow."
        )
        return None
    return ratio


def _r_squared(
    y: np.ndarray, error: np.ndarray, n_regressors: int | None, reasons: dict[str, str]
) -> tuple[float | None, float | None]:
    total = float(np.sum((y - y.mean()) ** 2))
    if total == 0:
        reasons["r_squared"] = (
            "The actual values are constant, so R-squared is undefined."
        )
        reasons["adj_r_squared"] = reasons["r_squared"]
        return None, None
    r_squared = 1.0 - float(np.sum(error**2)) / total

    if n_regressors is None:
        reasons["adj_r_squared"] = "The number of regressors is not known."
        return r_squared, None
    residual_df = y.size - n_regressors - 1
    if residual_df <= 0:
        reasons["adj_r_squared"] = (
            f"{y.size} observations leave no residual degrees of freedom for "
            f"{n_regressors} regressor(s) and a constant."
        )
        return r_squared, None
    return r_squared, 1.0 - (1.0 - r_squared) * (y.size - 1) / residual_df
