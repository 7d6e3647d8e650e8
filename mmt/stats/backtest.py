"""Back-testing statistics for LGD and EAD/CCF models.

Sources, cited by title:

* ECB Banking Supervision, *Instructions for reporting the validation results of
  internal models - IRB Pillar I models for credit risk* (February 2019). It
  defines the one-sample t-tests of realised against estimated LGD, ELBE, CCF
  and EAD, and the twelve fixed LGD and CCF segments. Its Annex 2 defines the
  generalised AUC, its standard deviation and the test of the current gAUC
  against the gAUC at initial validation.
* Li, Bhariok, Keenan and Santilli, *Validation techniques and performance
  metrics for loss given default models*, Journal of Risk Model Validation
  (2009): the loss shortfall.

The t-tests, correlations and error metrics call SciPy. The gAUC and its
standard deviation are written out here because SciPy's ``somersd`` returns
Somers' D without a standard error, and no maintained library ships the ECB
standard deviation for a contingency table. The decile grid is built from
ranks because ``pandas.qcut`` fails when quantile edges repeat (many tied LGDs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable

__all__ = [
    "ECB_SEGMENT_BOUNDS",
    "MAX_GRADES",
    "DecileTable",
    "ErrorMetrics",
    "GeneralisedAUC",
    "GeneralisedAUCTest",
    "RankCorrelations",
    "TTestResult",
    "bias",
    "ccf_t_test",
    "decile_table",
    "ead_ratio",
    "ead_t_test",
    "elbe_t_test",
    "error_metrics",
    "exceedance_share",
    "gauc_test",
    "generalised_auc",
    "generalised_auc_from_table",
    "lgd_t_test",
    "loss_shortfall",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "r_squared",
    "rank_correlations",
    "root_mean_squared_error",
    "sample_points",
]

# Lower bounds of segments S2..S12 of the ECB's twelve fixed LGD/CCF segments:
# S1 [0, 5%), S2 [5%, 10%), S3 [10%, 20%), ..., S11 [90%, 100%), S12 >= 100%.
ECB_SEGMENT_BOUNDS: tuple[float, ...] = (0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 1.00)
# The ECB uses the model's own grades or pools when there are at most this many.
MAX_GRADES = 20
DECILES = 10
# Spread of differences below this fraction of their size is rounding noise.
RELATIVE_NOISE = 1e-12
SAMPLE_SEED = 20240531

ArrayLike = Sequence[float] | np.ndarray
Alternative = Literal["greater", "two-sided"]
ClassScheme = Literal["auto", "segments", "grades"]


def _as_pair(predicted: ArrayLike, realised: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    predicted_array = np.asarray(predicted, dtype=float)
    realised_array = np.asarray(realised, dtype=float)
    if predicted_array.ndim != 1 or realised_array.ndim != 1:
        raise ValueError("predicted and realised must be one-dimensional arrays")
    if predicted_array.shape != realised_array.shape:
        raise ValueError(
            "predicted and realised must have the same length; "
            f"got {predicted_array.size} and {realised_array.size}"
        )
    if not (np.isfinite(predicted_array).all() and np.isfinite(realised_array).all()):
        raise ValueError("predicted and realised must be finite; drop missing values first")
    return predicted_array, realised_array


def _as_weights(weights: ArrayLike | None, size: int) -> np.ndarray | None:
    if weights is None:
        return None
    weight_array = np.asarray(weights, dtype=float)
    if weight_array.shape != (size,):
        raise ValueError(f"weights must have length {size}; got shape {weight_array.shape}")
    if not np.isfinite(weight_array).all() or (weight_array < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return weight_array


# --------------------------------------------------------------------------- t-tests


@dataclass(frozen=True, slots=True)
class TTestResult:
    """One-sample t-test of the differences realised minus estimated.

    ``statistic`` is ``T = sqrt(N) * mean(d) / s`` with ``d = realised - predicted``
    and ``s`` the unbiased standard deviation of ``d``.
    """

    statistic: float
    pvalue: float
    n: int
    mean_difference: float
    variance: float
    mean_predicted: float
    mean_realised: float
    alternative: Alternative
    null_hypothesis: str

    def to_dict(self) -> dict[str, object]:
        """Return the result as plain JSON values."""
        return to_jsonable(
            {
                "statistic": self.statistic,
                "pvalue": self.pvalue,
                "n": self.n,
                "mean_difference": self.mean_difference,
                "variance": self.variance,
                "mean_predicted": self.mean_predicted,
                "mean_realised": self.mean_realised,
                "alternative": self.alternative,
                "null_hypothesis": self.null_hypothesis,
            }
        )


def _paired_t_test(
    predicted: ArrayLike, realised: ArrayLike, alternative: Alternative, null_hypothesis: str
) -> TTestResult:
    predicted, realised = _as_pair(predicted, realised)
    n = predicted.size
    if n < 2:
        raise NotComputable(f"the t-test needs at least 2 facilities; got {n}", "insufficient_data")

    differences = realised - predicted
    mean_difference = float(differences.mean())
    variance = float(differences.var(ddof=1))
    # Differences equal up to rounding (0.2 - 0.1 versus 0.3 - 0.2) leave a variance
    # of pure floating-point noise, which would give an enormous, meaningless T.
    if np.sqrt(variance) <= RELATIVE_NOISE * float(np.abs(differences).max()):
        raise NotComputable(
            "every facility has the same difference between realised and estimated value, "
            "so the t-statistic is undefined",
            "zero_variance",
        )

    statistic = float(np.sqrt(n) * mean_difference / np.sqrt(variance))
    if alternative == "greater":
        pvalue = float(stats.t.sf(statistic, n - 1))
    else:
        pvalue = float(2.0 * stats.t.sf(abs(statistic), n - 1))
    return TTestResult(
        statistic=statistic,
        pvalue=pvalue,
        n=n,
        mean_difference=mean_difference,
        variance=variance,
        mean_predicted=float(predicted.mean()),
        mean_realised=float(realised.mean()),
        alternative=alternative,
        null_hypothesis=null_hypothesis,
    )


def lgd_t_test(predicted: ArrayLike, realised: ArrayLike) -> TTestResult:
    """Run the ECB one-sided LGD back-testing t-test.

    Parameters
    ----------
    predicted, realised : array_like
        Estimated and realised LGD per facility (closed recoveries only).

    Returns
    -------
    TTestResult
        ``T = sqrt(N) * mean(realised - predicted) / s`` and the p-value
        ``1 - F_t(T; N - 1)``.

    Raises
    ------
    NotComputable
        Fewer than 2 facilities, or all differences equal (``s = 0``).

    Notes
    -----
    H0: the estimated LGD is not lower than the true LGD. A small p-value
    means the model underestimates LGD.
    """
    return _paired_t_test(predicted, realised, "greater", "estimated LGD >= true LGD")


def elbe_t_test(elbe: ArrayLike, realised: ArrayLike) -> TTestResult:
    """Run the ECB two-sided ELBE back-testing t-test.

    Parameters
    ----------
    elbe, realised : array_like
        Expected loss best estimate and realised LGD per defaulted facility.

    Returns
    -------
    TTestResult
        Same statistic as :func:`lgd_t_test`, p-value ``2 * (1 - F_t(|T|; N - 1))``.

    Raises
    ------
    NotComputable
        Fewer than 2 facilities, or all differences equal.

    Notes
    -----
    H0: ELBE equals the realised LGD on average. Both directions are findings.
    """
    return _paired_t_test(elbe, realised, "two-sided", "ELBE = realised LGD")


def ccf_t_test(predicted: ArrayLike, realised: ArrayLike) -> TTestResult:
    """Run the ECB one-sided CCF back-testing t-test.

    Parameters
    ----------
    predicted, realised : array_like
        Estimated and realised CCF of facilities with a positive undrawn amount.

    Returns
    -------
    TTestResult
        ``T = sqrt(R) * mean(realised - predicted) / s``, p-value ``1 - F_t(T; R - 1)``.

    Raises
    ------
    NotComputable
        Fewer than 2 facilities, or all differences equal.

    Notes
    -----
    H0: the estimated CCF is not lower than the true CCF. The printed ECB
    formula omits the ``1/R`` of the mean, which a t-statistic needs, so the
    mean is used as for LGD, ELBE and EAD.
    """
    return _paired_t_test(predicted, realised, "greater", "estimated CCF >= true CCF")


def ead_t_test(predicted: ArrayLike, realised: ArrayLike) -> TTestResult:
    """Run the ECB one-sided EAD back-testing t-test (direct EAD approach).

    Parameters
    ----------
    predicted, realised : array_like
        Estimated EAD and the drawn amount at default per facility.

    Returns
    -------
    TTestResult
        ``T = sqrt(M) * mean(realised - predicted) / s``, p-value ``1 - F_t(T; M - 1)``.

    Raises
    ------
    NotComputable
        Fewer than 2 facilities, or all differences equal.

    Notes
    -----
    H0: the estimated EAD is not lower than the drawn amount at default.
    """
    return _paired_t_test(predicted, realised, "greater", "estimated EAD >= drawn amount at default")


# --------------------------------------------------------------------------- gAUC


@dataclass(frozen=True, slots=True)
class GeneralisedAUC:
    """Generalised AUC of a contingency table (rows estimated class, columns realised class)."""

    gauc: float
    somers_d: float
    standard_error: float
    n: int
    table: tuple[tuple[int, ...], ...]
    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    scheme: str

    def to_dict(self) -> dict[str, object]:
        """Return the result as plain JSON values."""
        return to_jsonable(
            {
                "gauc": self.gauc,
                "somers_d": self.somers_d,
                "standard_error": self.standard_error,
                "variance": self.standard_error**2,
                "n": self.n,
                "table": [list(row) for row in self.table],
                "row_labels": list(self.row_labels),
                "column_labels": list(self.column_labels),
                "scheme": self.scheme,
            }
        )


def _concordance(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``A_ij`` (concordant) and ``D_ij`` (discordant) cell sums of ECB Annex 2."""
    n_rows, n_columns = table.shape
    cumulative = np.zeros((n_rows + 1, n_columns + 1))
    cumulative[1:, 1:] = table.cumsum(axis=0).cumsum(axis=1)
    i = np.arange(n_rows)[:, None]
    j = np.arange(n_columns)[None, :]
    total = cumulative[n_rows, n_columns]

    # Block sums from the padded 2-D cumulative sum: rows [0, i) or (i, K), columns [0, j) or (j, L).
    above_left = cumulative[i, j]
    below_right = total - cumulative[i + 1, n_columns] - cumulative[n_rows, j + 1] + cumulative[i + 1, j + 1]
    below_left = cumulative[n_rows, j] - cumulative[i + 1, j]
    above_right = cumulative[i, n_columns] - cumulative[i, j + 1]
    return above_left + below_right, below_left + above_right


def generalised_auc_from_table(
    table: Sequence[Sequence[float]] | np.ndarray,
    *,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
    scheme: str = "table",
) -> GeneralisedAUC:
    """Compute the ECB generalised AUC and its standard deviation from a contingency table.

    Parameters
    ----------
    table : array_like of shape (K, L)
        Counts ``a_ij``: row ``i`` is the estimated class, column ``j`` the realised
        class, both ordered from low to high.
    row_labels, column_labels : sequence of str, optional
        Labels reported with the table.
    scheme : str, optional
        Name of the class scheme, reported with the result.

    Returns
    -------
    GeneralisedAUC
        ``somers_d = (P - Q) / w_r`` with ``w_r = F**2 - sum(r_i**2)``,
        ``gauc = (somers_d + 1) / 2`` and
        ``s = sqrt(sum(a_ij * (w_r * d_ij - (P - Q) * (F - r_i))**2)) / w_r**2``.

    Raises
    ------
    NotComputable
        All facilities in one estimated class (``w_r = 0``) or all in one
        realised class, where no pair can be ranked.
    """
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2:
        raise ValueError(f"table must be two-dimensional; got shape {counts.shape}")
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError("table must contain finite non-negative counts")
    total = counts.sum()
    if total == 0:
        raise NotComputable("the contingency table is empty", "insufficient_data")

    row_totals = counts.sum(axis=1)
    column_totals = counts.sum(axis=0)
    w_r = total**2 - float((row_totals**2).sum())
    if w_r <= 0:
        raise NotComputable(
            "all facilities are in one estimated class, so no pair can be ranked", "single_class"
        )
    if np.count_nonzero(column_totals) < 2:
        raise NotComputable(
            "all realised values are in one class, so no pair can be ranked", "constant_realised"
        )

    concordant, discordant = _concordance(counts)
    p = float((counts * concordant).sum())
    q = float((counts * discordant).sum())
    somers_d = (p - q) / w_r
    residual = w_r * (concordant - discordant) - (p - q) * (total - row_totals)[:, None]
    standard_error = float(np.sqrt((counts * residual**2).sum()) / w_r**2)

    n_rows, n_columns = counts.shape
    if row_labels is None:
        row_labels = [str(i + 1) for i in range(n_rows)]
    if column_labels is None:
        column_labels = [str(j + 1) for j in range(n_columns)]
    return GeneralisedAUC(
        gauc=float((somers_d + 1.0) / 2.0),
        somers_d=float(somers_d),
        standard_error=standard_error,
        n=int(round(total)),
        table=tuple(tuple(int(round(value)) for value in row) for row in counts),
        row_labels=tuple(row_labels),
        column_labels=tuple(column_labels),
        scheme=scheme,
    )


def _bound_labels(bounds: Sequence[float]) -> tuple[str, ...]:
    labels = [f"< {bounds[0]:g}"]
    labels.extend(f"[{lower:g}, {upper:g})" for lower, upper in zip(bounds[:-1], bounds[1:]))
    labels.append(f">= {bounds[-1]:g}")
    return tuple(labels)


def generalised_auc(
    predicted: ArrayLike,
    realised: ArrayLike,
    *,
    classes: ClassScheme | Sequence[float] | None = None,
) -> GeneralisedAUC:
    """Compute the ECB generalised AUC (Annex 2) of estimated against realised values.

    Parameters
    ----------
    predicted, realised : array_like
        Estimated and realised LGD (or CCF) per facility.
    classes : {"auto", "segments", "grades"} or sequence of float, optional
        How facilities are put into classes:

        * ``"segments"``: the twelve fixed ECB segments, for both estimated and
          realised values (``ECB_SEGMENT_BOUNDS``).
        * ``"grades"``: each distinct estimated value is a grade (row). A
          realised value falls in the class of the first grade that is at
          least as large. Values above the largest grade form one more class.
        * ``"auto"`` or ``None``: grades when there are at most ``MAX_GRADES``
          distinct estimated values, otherwise segments (the ECB rule).
        * a sequence of increasing bounds: left-closed classes
          ``(-inf, b_1), [b_1, b_2), ..., [b_m, inf)`` for both.

    Returns
    -------
    GeneralisedAUC

    Raises
    ------
    NotComputable
        No facility, all facilities in one estimated class, or all in one
        realised class.

    Notes
    -----
    Realised values below 0 fall in the first segment and values of 1 or more
    in the last; the ECB defines S1 from 0 only.
    """
    predicted, realised = _as_pair(predicted, realised)
    if predicted.size == 0:
        raise NotComputable("no facilities to rank", "insufficient_data")

    if classes is None:
        classes = "auto"
    if isinstance(classes, str):
        if classes not in ("auto", "segments", "grades"):
            raise ValueError(
                f"classes must be 'auto', 'segments', 'grades' or a sequence of bounds; got {classes!r}"
            )
        grades = np.unique(predicted)
        use_grades = classes == "grades" or (classes == "auto" and grades.size <= MAX_GRADES)
        if use_grades:
            rows = np.searchsorted(grades, predicted)
            columns = np.searchsorted(grades, realised, side="left")
            table = np.zeros((grades.size, grades.size + 1))
            np.add.at(table, (rows, columns), 1.0)
            row_labels = tuple(f"{value:g}" for value in grades)
            column_labels = tuple(f"<= {value:g}" for value in grades) + (f"> {grades[-1]:g}",)
            return generalised_auc_from_table(
                table, row_labels=row_labels, column_labels=column_labels, scheme="grades"
            )
        bounds = np.asarray(ECB_SEGMENT_BOUNDS)
        scheme = "ecb_segments"
        labels = tuple(f"S{k + 1}" for k in range(bounds.size + 1))
    else:
        bounds = np.asarray(classes, dtype=float)
        valid = bounds.ndim == 1 and bounds.size > 0 and np.isfinite(bounds).all() and (np.diff(bounds) > 0).all()
        if not valid:
            raise ValueError("class bounds must be a non-empty, strictly increasing sequence of finite numbers")
        scheme = "bounds"
        labels = _bound_labels(bounds.tolist())

    rows = np.searchsorted(bounds, predicted, side="right")
    columns = np.searchsorted(bounds, realised, side="right")
    table = np.zeros((bounds.size + 1, bounds.size + 1))
    np.add.at(table, (rows, columns), 1.0)
    return generalised_auc_from_table(table, row_labels=labels, column_labels=labels, scheme=scheme)


@dataclass(frozen=True, slots=True)
class GeneralisedAUCTest:
    """Test of the current gAUC against the gAUC at initial validation."""

    gauc_current: float
    gauc_initial: float
    standard_error: float
    statistic: float
    pvalue: float

    def to_dict(self) -> dict[str, object]:
        """Return the result as plain JSON values."""
        return to_jsonable(
            {
                "gauc_current": self.gauc_current,
                "gauc_initial": self.gauc_initial,
                "standard_error": self.standard_error,
                "variance": self.standard_error**2,
                "statistic": self.statistic,
                "pvalue": self.pvalue,
                "null_hypothesis": "no deterioration of the gAUC since initial validation",
            }
        )


def gauc_test(gauc: float, standard_error: float, gauc_initial: float) -> GeneralisedAUCTest:
    """Test the current gAUC against the gAUC at initial validation (ECB).

    Parameters
    ----------
    gauc : float
        Current generalised AUC.
    standard_error : float
        Its standard deviation ``s`` from :func:`generalised_auc`.
    gauc_initial : float
        gAUC at initial validation.

    Returns
    -------
    GeneralisedAUCTest
        ``S = (gauc_initial - gauc) / s`` and the one-sided p-value ``1 - Phi(S)``.

    Raises
    ------
    NotComputable
        ``s`` is zero, so ``S`` is undefined.

    Notes
    -----
    H0: the gAUC has not deteriorated. A small p-value means it has.
    """
    for name, value in (("gauc", gauc), ("gauc_initial", gauc_initial)):
        if not (np.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"{name} must be between 0 and 1; got {value!r}")
    if not np.isfinite(standard_error) or standard_error < 0:
        raise ValueError(f"standard_error must be finite and non-negative; got {standard_error!r}")
    if standard_error == 0:
        raise NotComputable("the standard deviation of the gAUC is zero", "zero_variance")

    statistic = (gauc_initial - gauc) / standard_error
    return GeneralisedAUCTest(
        gauc_current=float(gauc),
        gauc_initial=float(gauc_initial),
        standard_error=float(standard_error),
        statistic=float(statistic),
        pvalue=float(stats.norm.sf(statistic)),
    )


# --------------------------------------------------------------------------- correlations


@dataclass(frozen=True, slots=True)
class RankCorrelations:
    """Spearman's rho, Kendall's tau-b and Pearson's r of estimated against realised values."""

    n: int
    spearman: float
    spearman_pvalue: float
    kendall: float
    kendall_pvalue: float
    pearson: float
    pearson_pvalue: float

    def to_dict(self) -> dict[str, object]:
        """Return the result as plain JSON values."""
        return to_jsonable({name: getattr(self, name) for name in self.__slots__})


def _describe_constant(values: np.ndarray) -> str:
    return f"every value is {values[0]:g}"


def rank_correlations(
    predicted: ArrayLike,
    realised: ArrayLike,
    *,
    quantity: str = "LGD",
) -> RankCorrelations:
    """Compute Spearman, Kendall (tau-b) and Pearson correlations with two-sided p-values.

    Parameters
    ----------
    predicted, realised : array_like
        Estimated and realised values of one pair of columns.
    quantity : str, optional
        Name used in the reason when a column is constant ("LGD", "CCF").

    Returns
    -------
    RankCorrelations

    Raises
    ------
    NotComputable
        Fewer than 3 facilities, or a constant column. Each pair is checked on
        its own 1-D inputs, so one constant segment never hides the
        correlation of another pair.
    """
    predicted, realised = _as_pair(predicted, realised)
    n = predicted.size
    if n < 3:
        raise NotComputable(f"rank correlations need at least 3 facilities; got {n}", "insufficient_data")
    if np.ptp(realised) == 0:
        reason = f"constant realised {quantity}: {_describe_constant(realised)}"
        if quantity == "LGD" and realised[0] == 0:
            reason += " (all cured)"
        raise NotComputable(reason, "constant_realised")
    if np.ptp(predicted) == 0:
        reason = f"constant predicted {quantity}: {_describe_constant(predicted)}"
        raise NotComputable(reason, "constant_predicted")

    spearman = stats.spearmanr(predicted, realised)
    kendall = stats.kendalltau(predicted, realised)
    pearson = stats.pearsonr(predicted, realised)
    return RankCorrelations(
        n=n,
        spearman=float(spearman.statistic),
        spearman_pvalue=float(spearman.pvalue),
        kendall=float(kendall.statistic),
        kendall_pvalue=float(kendall.pvalue),
        pearson=float(pearson.statistic),
        pearson_pvalue=float(pearson.pvalue),
    )


# --------------------------------------------------------------------------- error metrics


def _require_facilities(size: int, name: str) -> None:
    if size == 0:
        raise NotComputable(f"{name} needs at least one facility", "insufficient_data")


def bias(predicted: ArrayLike, realised: ArrayLike) -> float:
    """Return the mean error ``mean(realised - predicted)``; positive means underestimation."""
    predicted, realised = _as_pair(predicted, realised)
    _require_facilities(predicted.size, "the bias")
    return float(np.mean(realised - predicted))


def mean_absolute_error(predicted: ArrayLike, realised: ArrayLike) -> float:
    """Return the mean absolute error ``mean(|realised - predicted|)``."""
    predicted, realised = _as_pair(predicted, realised)
    _require_facilities(predicted.size, "the MAE")
    return float(np.mean(np.abs(realised - predicted)))


def root_mean_squared_error(predicted: ArrayLike, realised: ArrayLike) -> float:
    """Return the root mean squared error ``sqrt(mean((realised - predicted)**2))``."""
    predicted, realised = _as_pair(predicted, realised)
    _require_facilities(predicted.size, "the RMSE")
    return float(np.sqrt(np.mean((realised - predicted) ** 2)))


def r_squared(predicted: ArrayLike, realised: ArrayLike) -> float:
    """Return the out-of-sample R-squared ``1 - SSE / SST`` of the predictions.

    Raises
    ------
    NotComputable
        Fewer than 2 facilities or constant realised values (``SST = 0``).
    """
    predicted, realised = _as_pair(predicted, realised)
    if predicted.size < 2:
        raise NotComputable(
            f"R-squared needs at least 2 facilities; got {predicted.size}", "insufficient_data"
        )
    total_sum_of_squares = float(((realised - realised.mean()) ** 2).sum())
    # The mean of a constant column can differ from its values in the last bit,
    # so "constant" is judged relative to the values' own scale.
    scale = float(np.max(np.abs(realised))) if realised.size else 0.0
    if total_sum_of_squares <= (1e-12 * max(scale, 1e-300)) ** 2 * realised.size:
        reason = f"R-squared is undefined for constant realised values ({_describe_constant(realised)})"
        raise NotComputable(reason, "constant_realised")
    residual_sum_of_squares = float(((realised - predicted) ** 2).sum())
    return 1.0 - residual_sum_of_squares / total_sum_of_squares


def mean_absolute_percentage_error(
    predicted: ArrayLike, realised: ArrayLike
) -> tuple[float, int]:
    """Return the MAPE in percent over facilities with a non-zero realised value.

    Returns
    -------
    tuple of (float, int)
        ``100 * mean(|realised - predicted| / |realised|)`` over ``realised != 0``,
        and the number of facilities left out because their realised value is 0.

    Raises
    ------
    NotComputable
        No facility, or every realised value is 0.
    """
    predicted, realised = _as_pair(predicted, realised)
    _require_facilities(predicted.size, "MAPE")
    non_zero = realised != 0
    excluded = int(predicted.size - non_zero.sum())
    if not non_zero.any():
        raise NotComputable("MAPE is undefined because every realised value is 0", "zero_realised")
    ratios = np.abs(realised[non_zero] - predicted[non_zero]) / np.abs(realised[non_zero])
    return float(100.0 * ratios.mean()), excluded


def loss_shortfall(
    predicted: ArrayLike,
    realised: ArrayLike,
    exposure: ArrayLike | None = None,
) -> float:
    """Return the loss shortfall ``1 - sum(predicted * EAD) / sum(realised * EAD)``.

    Parameters
    ----------
    predicted, realised : array_like
        Estimated and realised LGD per facility.
    exposure : array_like, optional
        EAD per facility. Without it every facility weighs 1, which gives
        ``1 - mean(predicted) / mean(realised)``.

    Raises
    ------
    NotComputable
        The realised loss ``sum(realised * EAD)`` is zero.

    Notes
    -----
    A positive value is the share of realised loss that the estimate did not cover.
    """
    predicted, realised = _as_pair(predicted, realised)
    weights = _as_weights(exposure, predicted.size)
    if weights is None:
        weights = np.ones_like(predicted)
    realised_loss = float((realised * weights).sum())
    if realised_loss == 0:
        raise NotComputable("the loss shortfall is undefined because the realised loss is 0", "zero_realised")
    return 1.0 - float((predicted * weights).sum()) / realised_loss


@dataclass(frozen=True, slots=True)
class ErrorMetrics:
    """Error metrics of estimated against realised values; ``None`` where undefined, with the reason."""

    n: int
    mae: float | None
    rmse: float | None
    bias: float | None
    r_squared: float | None
    mape: float | None
    mape_excluded_zero_realised: int
    loss_shortfall: float | None
    loss_shortfall_weighting: str
    weighted_mae: float | None
    reasons: dict[str, dict[str, str]]

    def to_dict(self) -> dict[str, object]:
        """Return the result as plain JSON values."""
        return to_jsonable({name: getattr(self, name) for name in self.__slots__})


def error_metrics(
    predicted: ArrayLike,
    realised: ArrayLike,
    *,
    exposure: ArrayLike | None = None,
) -> ErrorMetrics:
    """Compute MAE, RMSE, bias, R-squared, MAPE (percent) and loss shortfall together.

    Parameters
    ----------
    predicted, realised : array_like
        Estimated and realised values per facility.
    exposure : array_like, optional
        EAD per facility: weights the loss shortfall and gives the
        exposure-weighted MAE ``sum(EAD * |e|) / sum(EAD)``.

    Returns
    -------
    ErrorMetrics
        A figure that is undefined for the input is ``None`` and ``reasons``
        maps its name to ``{"status", "reason"}``.
    """
    predicted, realised = _as_pair(predicted, realised)
    weights = _as_weights(exposure, predicted.size)
    reasons: dict[str, dict[str, str]] = {}

    def attempt(name: str, compute):  # type: ignore[no-untyped-def]
        try:
            return compute()
        except NotComputable as error:
            reasons[name] = {"status": error.status, "reason": error.reason}
            return None

    mape_result = attempt("mape", lambda: mean_absolute_percentage_error(predicted, realised))

    def weighted_mae() -> float:
        if weights is None:
            raise NotComputable("no exposure given", "missing_exposure")
        if weights.sum() == 0:
            raise NotComputable("the total exposure is 0", "zero_exposure")
        return float((weights * np.abs(realised - predicted)).sum() / weights.sum())

    return ErrorMetrics(
        n=int(predicted.size),
        mae=attempt("mae", lambda: mean_absolute_error(predicted, realised)),
        rmse=attempt("rmse", lambda: root_mean_squared_error(predicted, realised)),
        bias=attempt("bias", lambda: bias(predicted, realised)),
        r_squared=attempt("r_squared", lambda: r_squared(predicted, realised)),
        mape=mape_result[0] if mape_result is not None else None,
        mape_excluded_zero_realised=int((realised == 0).sum()),
        loss_shortfall=attempt("loss_shortfall", lambda: loss_shortfall(predicted, realised, weights)),
        loss_shortfall_weighting="exposure" if weights is not None else "none",
        weighted_mae=attempt("weighted_mae", weighted_mae),
        reasons=reasons,
    )


# --------------------------------------------------------------------------- EAD ratios


def ead_ratio(predicted: ArrayLike, realised: ArrayLike) -> float:
    """Return the EAD back-testing ratio ``sum(realised EAD) / sum(estimated EAD)``.

    A value above 1 means the EAD was underestimated.

    Raises
    ------
    NotComputable
        No facility, or the estimated EAD sums to zero or less.
    """
    predicted, realised = _as_pair(predicted, realised)
    _require_facilities(predicted.size, "the EAD ratio")
    total_predicted = float(predicted.sum())
    if total_predicted <= 0:
        reason = f"the estimated EAD sums to {total_predicted:g}, so the ratio is undefined"
        raise NotComputable(reason, "zero_predicted")
    return float(realised.sum()) / total_predicted


def exceedance_share(predicted: ArrayLike, realised: ArrayLike) -> float:
    """Return the share of facilities whose realised value exceeds the estimate.

    Raises
    ------
    NotComputable
        No facility.
    """
    predicted, realised = _as_pair(predicted, realised)
    _require_facilities(predicted.size, "the exceedance share")
    return float(np.mean(realised > predicted))


# --------------------------------------------------------------------------- deciles and scatter


@dataclass(frozen=True, slots=True)
class DecileTable:
    """Cross table of realised deciles (rows) by estimated deciles (columns)."""

    counts: tuple[tuple[int, ...], ...]
    percent: tuple[tuple[float, ...], ...]
    total_count: int

    def to_dict(self) -> dict[str, object]:
        """Return the result as plain JSON values."""
        return to_jsonable({"counts": self.counts, "percent": self.percent, "total_count": self.total_count})


def _decile_index(values: np.ndarray) -> np.ndarray:
    """Return the 0-based decile of each value, as ``pandas.qcut(values, 10)`` assigns it.

    A value goes into decile ``k`` (1-based) when it lies in ``(q_{k-1}, q_k]``,
    with ``q_k`` the linearly interpolated ``k/10`` quantile. With ``m`` the
    0-based position of the value's first occurrence in sorted order, that is
    ``k = max(1, ceil(10 * m / (n - 1)))``. Integer arithmetic keeps the boundary
    exact, and tied values share a decile, leaving some deciles empty.
    """
    n = values.size
    first_position = stats.rankdata(values, method="min").astype(np.int64) - 1
    decile = -(-DECILES * first_position // (n - 1))
    return np.maximum(decile, 1) - 1


def decile_table(predicted: ArrayLike, realised: ArrayLike) -> DecileTable:
    """Cross-tabulate realised deciles against estimated deciles as percent of all facilities.

    Parameters
    ----------
    predicted, realised : array_like
        Estimated and realised values per facility.

    Returns
    -------
    DecileTable
        A full 10 x 10 grid: row ``i`` is realised decile ``i + 1``, column ``j``
        estimated decile ``j + 1``. Empty cells are 0 and the percentages sum
        to 100.

    Raises
    ------
    NotComputable
        Fewer facilities than deciles.
    """
    predicted, realised = _as_pair(predicted, realised)
    n = predicted.size
    if n < DECILES:
        raise NotComputable(
            f"a decile table needs at least {DECILES} facilities; got {n}", "insufficient_data"
        )

    counts = np.zeros((DECILES, DECILES), dtype=np.int64)
    np.add.at(counts, (_decile_index(realised), _decile_index(predicted)), 1)
    percent = counts * (100.0 / n)
    return DecileTable(
        counts=tuple(tuple(int(value) for value in row) for row in counts),
        percent=tuple(tuple(float(value) for value in row) for row in percent),
        total_count=int(n),
    )


def sample_points(*arrays: ArrayLike, max_points: int = 2000) -> tuple[np.ndarray, ...]:
    """Return the same deterministic random subset of rows from each array.

    Parameters
    ----------
    *arrays : array_like
        Arrays of equal length (for example estimated and realised values).
    max_points : int, optional
        Maximum number of rows kept. All rows are kept, in order, when there
        are no more than this.

    Returns
    -------
    tuple of numpy.ndarray
        The sampled rows in their original order. The seed is fixed, so the
        same input always gives the same points.
    """
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1; got {max_points}")
    columns = [np.asarray(array) for array in arrays]
    sizes = {column.shape[0] for column in columns}
    if len(sizes) > 1:
        raise ValueError(f"arrays must have the same length; got lengths {sorted(sizes)}")
    n = sizes.pop() if sizes else 0
    if n <= max_points:
        return tuple(columns)
    indices = np.sort(np.random.default_rng(SAMPLE_SEED).choice(n, size=max_points, replace=False))
    return tuple(column[indices] for column in columns)
