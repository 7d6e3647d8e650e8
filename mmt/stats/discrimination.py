"""Discrimination of PD models from counts per score: AUC, DeLong variance, Gini, KS.

The engine groups obligors by score value (PD, score or grade rank) in one
pass and hands over, for each distinct score, the number of defaulted and
non-defaulted obligors. Every figure here is computed from those counts.

Exactness. On the distinct score values the results are exact: the AUC with
ties counted 1/2 equals scikit-learn's ``roc_auc_score`` on the obligor rows,
the KS statistic equals ``scipy.stats.ks_2samp`` and the DeLong variance
equals the textbook obligor-level estimator. The reason is that all obligors
sharing a score share a placement value, so the sums over obligors become
sums over scores weighted by counts.

If the engine instead bins a continuous score into intervals, every
(defaulter, non-defaulter) pair that falls in the same bin is counted as a
tie (1/2) while the exact AUC counts it 1, 1/2 or 0. Pairs in different bins
keep their order. With ``d_k`` defaulters and ``n_k`` non-defaulters in bin
``k``, ``D`` and ``N`` in total, the binned AUC therefore differs from the
exact AUC by at most ``sum_k d_k * n_k / (2 * D * N)``. The KS statistic
over bin boundaries can only be smaller than the exact one, by at most
``max_k min(d_k / D, n_k / N)``. :func:`binning_error_bounds` returns both
bounds. No such bound is given for the DeLong variance.

Written by hand because scikit-learn and SciPy work on one row per obligor,
and no maintained library returns the DeLong variance of a single AUC from
grouped counts. The AUC itself falls out of the placement values that the
variance needs, so it is not delegated either.

Sources (by title):

- DeLong, DeLong & Clarke-Pearson (1988), "Comparing the areas under two or
  more correlated receiver operating characteristic curves: a nonparametric
  approach", Biometrics 44:837-845.
- Hanley & McNeil (1982), "The meaning and use of the area under a receiver
  operating characteristic (ROC) curve", Radiology 143:29-36.
- Hanley & McNeil (1983), "A method of comparing the areas under receiver
  operating characteristic curves derived from the same cases",
  Radiology 148:839-843.
- ECB Banking Supervision (2019), "Instructions for reporting the validation
  results of internal models - IRB Pillar I models for credit risk",
  section 2.5.4.1 and Annex 1 (AUC, its variance and the test against the AUC
  at initial validation). Cited as ECB-2019 below.
- Basel Committee on Banking Supervision (2005), "Studies on the validation of
  internal rating systems", Working Paper No. 14 (Gini and accuracy ratio,
  KS statistic, Bamber bound on the AUC variance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
from scipy import stats as sps

from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable

__all__ = [
    "AUCComparisonResult",
    "BinningErrorBound",
    "Curve",
    "DiscriminationResult",
    "bamber_auc_se_bound",
    "binning_error_bounds",
    "calculate_discrimination",
    "compare_auc_unpaired",
    "discrimination_from_arrays",
    "discrimination_from_grade_table",
    "hanley_mcneil_se",
    "test_auc_against_reference",
]

Alternative = Literal["two-sided", "greater", "less"]


def _fields_to_dict(result: Any) -> dict[str, Any]:
    return {field.name: to_jsonable(getattr(result, field.name)) for field in fields(result)}


@dataclass(frozen=True, slots=True)
class Curve:
    """ROC or CAP curve points in risk order, from the origin to (1, 1).

    ``score`` is the score of the last group included at each point, so the
    point covers every obligor at least as risky as that score. It is
    ``None`` at the origin.
    """

    x: tuple[float, ...]
    y: tuple[float, ...]
    score: tuple[float | None, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the points as plain lists."""
        return _fields_to_dict(self)


@dataclass(frozen=True, slots=True)
class DiscriminationResult:
    """AUC with DeLong variance, Gini, accuracy ratio, KS and the curves.

    ``auc_variance``, ``auc_se``, the confidence bounds and ``gini_se`` are
    ``None`` when there are fewer than 2 defaulters or non-defaulters, with the
    reason in ``messages``. The ROC curve has x = share of non-defaulters and
    y = share of defaulters. The CAP curve has x = share of all obligors and
    y = share of defaulters. Both are thinned to ``max_curve_points``.
    """

    auc: float
    auc_variance: float | None
    auc_se: float | None
    auc_ci_lower: float | None
    auc_ci_upper: float | None
    confidence: float
    gini: float
    gini_se: float | None
    accuracy_ratio: float
    ks_statistic: float
    ks_score: float
    n_defaults: int | float
    n_non_defaults: int | float
    n_scores: int
    higher_is_riskier: bool
    roc_curve: Curve
    cap_curve: Curve
    messages: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-able values."""
        return _fields_to_dict(self)


@dataclass(frozen=True, slots=True)
class AUCComparisonResult:
    """z-test on AUCs: statistic, one- or two-sided p-value and the inputs."""

    statistic: float
    pvalue: float
    alternative: str
    auc: float
    auc_reference: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-able values."""
        return _fields_to_dict(self)


@dataclass(frozen=True, slots=True)
class BinningErrorBound:
    """Largest possible error of the AUC and KS computed on binned scores."""

    auc: float
    ks: float

    def to_dict(self) -> dict[str, Any]:
        """Return the bounds as plain JSON-able values."""
        return _fields_to_dict(self)


def _as_counts(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(array)):
        raise ValidationError(
            f"Counts of {name} must be finite numbers; got NaN or infinity.",
            details={"argument": name},
        )
    if np.any(array < 0):
        raise ValidationError(
            f"Counts of {name} must be zero or positive; got {array.min()!r}.",
            details={"argument": name},
        )
    return array


def _grouped_in_risk_order(
    scores: Any, defaults: Any, non_defaults: Any, higher_is_riskier: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge duplicated scores, drop empty ones and sort riskiest first."""
    score_array = np.asarray(scores, dtype=float).ravel()
    default_counts = _as_counts(defaults, "defaults")
    non_default_counts = _as_counts(non_defaults, "non-defaults")
    if not (score_array.size == default_counts.size == non_default_counts.size):
        raise ValidationError(
            "scores, defaults and non_defaults must have the same length; got "
            f"{score_array.size}, {default_counts.size} and {non_default_counts.size}.",
            details={"lengths": [score_array.size, default_counts.size, non_default_counts.size]},
        )
    if not np.all(np.isfinite(score_array)):
        raise ValidationError(
            "Scores must be finite numbers; got NaN or infinity. Drop or impute missing scores first.",
            details={"argument": "scores"},
        )

    unique_scores, inverse = np.unique(score_array, return_inverse=True)
    merged_defaults = np.bincount(inverse, weights=default_counts, minlength=unique_scores.size)
    merged_non_defaults = np.bincount(inverse, weights=non_default_counts, minlength=unique_scores.size)
    occupied = (merged_defaults + merged_non_defaults) > 0
    unique_scores = unique_scores[occupied]
    merged_defaults = merged_defaults[occupied]
    merged_non_defaults = merged_non_defaults[occupied]

    if higher_is_riskier:
        return unique_scores[::-1], merged_defaults[::-1], merged_non_defaults[::-1]
    return unique_scores, merged_defaults, merged_non_defaults


def _whole_if_integral(count: float) -> int | float:
    """Return integer counts as ``int``; weighted counts stay ``float``."""
    return int(count) if count.is_integer() else count


def _thinned_indices(n_points: int, max_points: int, keep: int) -> np.ndarray:
    """Pick at most ``max_points`` evenly spread indices, always with the ends and ``keep``."""
    if n_points <= max_points:
        return np.arange(n_points)
    spread = np.round(np.linspace(0, n_points - 1, max_points - 1)).astype(np.int64)
    return np.union1d(spread, [keep])


def _normal_quantile(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValidationError(
            f"confidence must be strictly between 0 and 1; got {confidence!r}.",
            details={"confidence": confidence},
        )
    return float(sps.norm.ppf(0.5 + confidence / 2.0))


def calculate_discrimination(
    scores: Any,
    defaults: Any,
    non_defaults: Any,
    *,
    higher_is_riskier: bool = True,
    max_curve_points: int = 200,
    confidence: float = 0.95,
) -> DiscriminationResult:
    """Compute AUC, DeLong variance, Gini, accuracy ratio, KS, ROC and CAP from counts per score.

    Parameters
    ----------
    scores : array_like
        Score values (PD, score or grade rank). Duplicates are merged and the
        order does not matter.
    defaults, non_defaults : array_like
        Number of defaulted and non-defaulted obligors at each score. Integer
        or float counts (weights) are accepted.
    higher_is_riskier : bool, default True
        True for PDs and grade ranks where a higher value means more risk.
        False for scorecard points.
    max_curve_points : int, default 200
        Largest number of points kept on each curve (at least 3). The first
        and last points and the KS point are always kept.
    confidence : float, default 0.95
        Level of the normal confidence interval of the AUC.

    Returns
    -------
    DiscriminationResult

    Raises
    ------
    NotComputable
        With status ``"insufficient_classes"`` when there are no defaulters or
        no non-defaulters.

    Notes
    -----
    AUC is the Mann-Whitney probability that a defaulter is riskier than a
    non-defaulter, with ties counted 1/2. The placement value of a defaulter
    at score ``k`` is ``V10_k = (non-defaulters safer + n_k / 2) / N`` and of
    a non-defaulter ``V01_k = (defaulters riskier + d_k / 2) / D``. The DeLong
    variance is ``var(V10) / D + var(V01) / N`` with unbiased variances over
    obligors, i.e. ``var(V10) = sum_k d_k (V10_k - AUC)^2 / (D - 1)``. This is
    the estimator of ECB-2019 Annex 1. The interval is ``AUC +/- z * se``
    clipped to [0, 1]. Gini is ``2 * AUC - 1``. The accuracy ratio is computed
    separately from the area under the CAP curve (straight lines across
    tied scores) and equals the Gini for a binary default flag. The KS
    statistic is the largest ``|share of defaulters - share of
    non-defaulters|`` among the obligors at least as risky as a cut-off
    score, which equals ``max |F_default - F_non_default|`` of the two
    empirical CDFs. ``ks_score`` is that cut-off: obligors at least as risky
    as it are on the risky side.
    """
    if max_curve_points < 3:
        raise ValidationError(
            f"max_curve_points must be at least 3; got {max_curve_points!r}.",
            details={"max_curve_points": max_curve_points},
        )
    z_value = _normal_quantile(confidence)
    ordered_scores, d, n = _grouped_in_risk_order(scores, defaults, non_defaults, higher_is_riskier)
    total_defaults = float(d.sum())
    total_non_defaults = float(n.sum())
    if total_defaults == 0 or total_non_defaults == 0:
        raise NotComputable(
            f"{_whole_if_integral(total_defaults)} defaults out of "
            f"{_whole_if_integral(total_defaults + total_non_defaults)} observations",
            "insufficient_classes",
        )

    # 1. Placement values, constant within a score group.
    cumulative_defaults = np.cumsum(d)
    cumulative_non_defaults = np.cumsum(n)
    safer_non_defaults = total_non_defaults - cumulative_non_defaults
    riskier_defaults = cumulative_defaults - d
    placement_defaults = (safer_non_defaults + 0.5 * n) / total_non_defaults
    placement_non_defaults = (riskier_defaults + 0.5 * d) / total_defaults
    auc = float(np.dot(d, placement_defaults) / total_defaults)

    # 2. DeLong variance from the placement values.
    messages: list[str] = []
    if total_defaults < 2 or total_non_defaults < 2:
        auc_variance = auc_se = ci_lower = ci_upper = gini_se = None
        messages.append(
            "The AUC variance needs at least 2 defaulters and 2 non-defaulters; got "
            f"{_whole_if_integral(total_defaults)} and {_whole_if_integral(total_non_defaults)}."
        )
    else:
        variance_defaults = float(np.dot(d, (placement_defaults - auc) ** 2)) / (total_defaults - 1)
        variance_non_defaults = float(np.dot(n, (placement_non_defaults - auc) ** 2)) / (
            total_non_defaults - 1
        )
        auc_variance = variance_defaults / total_defaults + variance_non_defaults / total_non_defaults
        auc_se = math.sqrt(auc_variance)
        ci_lower = max(0.0, auc - z_value * auc_se)
        ci_upper = min(1.0, auc + z_value * auc_se)
        gini_se = 2.0 * auc_se

    # 3. ROC and CAP curves, KS.
    true_positive = np.concatenate(([0.0], cumulative_defaults / total_defaults))
    false_positive = np.concatenate(([0.0], cumulative_non_defaults / total_non_defaults))
    obligor_share = np.concatenate(
        ([0.0], (cumulative_defaults + cumulative_non_defaults) / (total_defaults + total_non_defaults))
    )
    for curve_axis in (true_positive, false_positive, obligor_share):
        curve_axis[-1] = 1.0
    separation = np.abs(true_positive - false_positive)
    ks_index = int(np.argmax(separation[1:])) + 1
    ks_statistic = float(separation[ks_index])

    cap_area = float(np.sum(np.diff(obligor_share) * (true_positive[1:] + true_positive[:-1])) / 2.0)
    default_rate = total_defaults / (total_defaults + total_non_defaults)
    accuracy_ratio = (cap_area - 0.5) / ((1.0 - default_rate) / 2.0)

    curve_indices = _thinned_indices(true_positive.size, max_curve_points, ks_index)
    point_scores: list[float | None] = [None, *ordered_scores.tolist()]
    curve_scores = tuple(point_scores[i] for i in curve_indices)
    curve_default_share = tuple(true_positive[curve_indices].tolist())
    roc_curve = Curve(
        x=tuple(false_positive[curve_indices].tolist()), y=curve_default_share, score=curve_scores
    )
    cap_curve = Curve(
        x=tuple(obligor_share[curve_indices].tolist()), y=curve_default_share, score=curve_scores
    )

    return DiscriminationResult(
        auc=auc,
        auc_variance=auc_variance,
        auc_se=auc_se,
        auc_ci_lower=ci_lower,
        auc_ci_upper=ci_upper,
        confidence=confidence,
        gini=2.0 * auc - 1.0,
        gini_se=gini_se,
        accuracy_ratio=accuracy_ratio,
        ks_statistic=ks_statistic,
        ks_score=float(ordered_scores[ks_index - 1]),
        n_defaults=_whole_if_integral(total_defaults),
        n_non_defaults=_whole_if_integral(total_non_defaults),
        n_scores=int(ordered_scores.size),
        higher_is_riskier=higher_is_riskier,
        roc_curve=roc_curve,
        cap_curve=cap_curve,
        messages=tuple(messages),
    )


def discrimination_from_arrays(score: Any, default_flag: Any, **kwargs: Any) -> DiscriminationResult:
    """Group obligor rows by score with numpy and call :func:`calculate_discrimination`.

    Parameters
    ----------
    score : array_like
        One score per obligor.
    default_flag : array_like
        1 (or True) for defaulted obligors, 0 (or False) otherwise.
    **kwargs
        Passed to :func:`calculate_discrimination`.

    Returns
    -------
    DiscriminationResult
    """
    score_array = np.asarray(score, dtype=float).ravel()
    flag_array = np.asarray(default_flag, dtype=float).ravel()
    if score_array.size != flag_array.size:
        raise ValidationError(
            "score and default_flag must have the same length; got "
            f"{score_array.size} and {flag_array.size}.",
            details={"lengths": [score_array.size, flag_array.size]},
        )
    if not np.all((flag_array == 0) | (flag_array == 1)):
        raise ValidationError(
            "default_flag must contain only 0 and 1.", details={"argument": "default_flag"}
        )
    if not np.all(np.isfinite(score_array)):
        raise ValidationError(
            "Scores must be finite numbers; got NaN or infinity. Drop or impute missing scores first.",
            details={"argument": "score"},
        )
    unique_scores, inverse = np.unique(score_array, return_inverse=True)
    defaults = np.bincount(inverse, weights=flag_array, minlength=unique_scores.size)
    obligors = np.bincount(inverse, minlength=unique_scores.size)
    return calculate_discrimination(unique_scores, defaults, obligors - defaults, **kwargs)


def discrimination_from_grade_table(
    defaults: Any, non_defaults: Any, *, best_first: bool = True, **kwargs: Any
) -> DiscriminationResult:
    """Compute the discrimination of a rating scale from its per-grade table (ECB-2019 Annex 1).

    Parameters
    ----------
    defaults, non_defaults : array_like
        Counts per grade in master-scale order.
    best_first : bool, default True
        True when the first grade is the best (least risky) one.
    **kwargs
        Passed to :func:`calculate_discrimination` (not ``higher_is_riskier``).

    Returns
    -------
    DiscriminationResult
        ``ks_score`` and the curve scores are grade positions 1..K.

    Notes
    -----
    Somers' D over the pairs that differ in default status (SciPy's
    ``somersd(default_flag, grade)``) equals the Gini returned here, because
    both count pairs tied on the grade as neither concordant nor discordant.
    """
    default_counts = np.asarray(defaults, dtype=float).ravel()
    positions = np.arange(1, default_counts.size + 1, dtype=float)
    return calculate_discrimination(
        positions, default_counts, non_defaults, higher_is_riskier=best_first, **kwargs
    )


def _check_auc(auc: float, name: str = "auc") -> float:
    value = float(auc)
    if not 0.0 <= value <= 1.0:
        raise ValidationError(f"{name} must be between 0 and 1; got {auc!r}.", details={name: auc})
    return value


def _check_se(se: float | None, name: str) -> float:
    if se is None:
        raise NotComputable(f"{name} is not available", "missing_variance")
    value = float(se)
    if not math.isfinite(value) or value < 0:
        raise ValidationError(f"{name} must be a finite number >= 0; got {se!r}.", details={name: se})
    return value


def _pvalue(statistic: float, alternative: Alternative) -> float:
    if alternative == "greater":
        return float(sps.norm.sf(statistic))
    if alternative == "less":
        return float(sps.norm.cdf(statistic))
    if alternative == "two-sided":
        return float(2.0 * sps.norm.sf(abs(statistic)))
    raise ValidationError(
        f"alternative must be 'two-sided', 'greater' or 'less'; got {alternative!r}.",
        details={"alternative": alternative},
    )


def test_auc_against_reference(auc: float, auc_se: float | None, auc_reference: float) -> AUCComparisonResult:
    """Test whether the current AUC has dropped below the AUC at initial validation (ECB-2019 Annex 1).

    Parameters
    ----------
    auc : float
        Current AUC.
    auc_se : float or None
        Standard error of the current AUC (DeLong).
    auc_reference : float
        AUC at initial validation, treated as a fixed number.

    Returns
    -------
    AUCComparisonResult
        ``statistic`` is ``S = (AUC_reference - AUC) / se`` and ``pvalue`` is
        ``1 - Phi(S)``. H0: the AUC has not dropped. A small p-value means a
        significant drop.

    Raises
    ------
    NotComputable
        When the standard error is missing or 0 (perfect separation).
    """
    current = _check_auc(auc)
    reference = _check_auc(auc_reference, "auc_reference")
    se = _check_se(auc_se, "auc_se")
    if se == 0:
        raise NotComputable("the standard error of the AUC is 0 (perfect separation)", "zero_variance")
    statistic = (reference - current) / se
    return AUCComparisonResult(
        statistic=statistic,
        pvalue=_pvalue(statistic, "greater"),
        alternative="less",
        auc=current,
        auc_reference=reference,
        method="ECB-2019 Annex 1 one-sided z-test",
    )


# pytest would otherwise collect this public function as a test.
test_auc_against_reference.__test__ = False  # type: ignore[attr-defined]


def compare_auc_unpaired(
    auc1: float, se1: float, auc2: float, se2: float, *, alternative: Alternative = "two-sided"
) -> AUCComparisonResult:
    """Compare the AUCs of two independent samples with a z-test.

    Parameters
    ----------
    auc1, se1 : float
        AUC and standard error of the first sample (e.g. the current period).
    auc2, se2 : float
        AUC and standard error of the second sample (e.g. the reference period).
    alternative : {"two-sided", "greater", "less"}, default "two-sided"
        H1 on ``auc1 - auc2``.

    Returns
    -------
    AUCComparisonResult
        ``statistic`` is ``z = (auc1 - auc2) / sqrt(se1^2 + se2^2)``, the
        Hanley-McNeil (1983) statistic with zero correlation between samples.

    Raises
    ------
    NotComputable
        When both standard errors are 0.
    """
    first = _check_auc(auc1, "auc1")
    second = _check_auc(auc2, "auc2")
    combined_variance = _check_se(se1, "se1") ** 2 + _check_se(se2, "se2") ** 2
    if combined_variance == 0:
        raise NotComputable("both standard errors are 0", "zero_variance")
    statistic = (first - second) / math.sqrt(combined_variance)
    return AUCComparisonResult(
        statistic=statistic,
        pvalue=_pvalue(statistic, alternative),
        alternative=alternative,
        auc=first,
        auc_reference=second,
        method="Hanley-McNeil z-test for independent samples",
    )


def _check_class_sizes(n_defaults: float, n_non_defaults: float) -> tuple[float, float]:
    defaults = float(n_defaults)
    non_defaults = float(n_non_defaults)
    if not (defaults >= 1 and non_defaults >= 1 and math.isfinite(defaults) and math.isfinite(non_defaults)):
        raise NotComputable(
            f"{_whole_if_integral(defaults)} defaults and {_whole_if_integral(non_defaults)} "
            "non-defaults; both must be at least 1",
            "insufficient_classes",
        )
    return defaults, non_defaults


def hanley_mcneil_se(auc: float, n_defaults: float, n_non_defaults: float) -> float:
    """Return the Hanley-McNeil (1982) standard error of an AUC.

    Parameters
    ----------
    auc : float
    n_defaults, n_non_defaults : float
        Number of defaulters and non-defaulters, each at least 1.

    Returns
    -------
    float
        ``sqrt([A(1-A) + (D-1)(Q1-A^2) + (N-1)(Q2-A^2)] / (D N))`` with
        ``Q1 = A / (2 - A)`` and ``Q2 = 2 A^2 / (1 + A)``.

    Notes
    -----
    The formula assumes exponentially distributed scores, so it only
    approximates the DeLong standard error.
    """
    area = _check_auc(auc)
    defaults, non_defaults = _check_class_sizes(n_defaults, n_non_defaults)
    q1 = area / (2.0 - area)
    q2 = 2.0 * area**2 / (1.0 + area)
    variance = (
        area * (1.0 - area) + (defaults - 1.0) * (q1 - area**2) + (non_defaults - 1.0) * (q2 - area**2)
    ) / (defaults * non_defaults)
    # Rounding can leave -1e-17 at AUC = 0 or 1, where the variance is 0.
    return math.sqrt(max(variance, 0.0))


def bamber_auc_se_bound(auc: float, n_defaults: float, n_non_defaults: float) -> float:
    """Return the Bamber (1975) upper bound ``sqrt(A(1-A) / min(D, N))`` of the AUC standard error.

    Basel Working Paper 14 uses it to plan sample sizes: the confidence
    interval is at most ``2 * z * bound`` wide.
    """
    area = _check_auc(auc)
    defaults, non_defaults = _check_class_sizes(n_defaults, n_non_defaults)
    return math.sqrt(area * (1.0 - area) / min(defaults, non_defaults))


def binning_error_bounds(defaults: Any, non_defaults: Any) -> BinningErrorBound:
    """Bound the AUC and KS error caused by binning a continuous score into intervals.

    Parameters
    ----------
    defaults, non_defaults : array_like
        Counts per bin. Bins must be non-overlapping score intervals.

    Returns
    -------
    BinningErrorBound
        ``auc = sum_k d_k n_k / (2 D N)``: pairs in the same bin count 1/2
        instead of 0, 1/2 or 1. ``ks = max_k min(d_k / D, n_k / N)``: inside
        a bin each empirical CDF moves by at most its bin share, and the
        binned KS is never above the exact one.

    Raises
    ------
    NotComputable
        When there are no defaulters or no non-defaulters.
    """
    d = _as_counts(defaults, "defaults")
    n = _as_counts(non_defaults, "non-defaults")
    if d.size != n.size:
        raise ValidationError(
            f"defaults and non_defaults must have the same length; got {d.size} and {n.size}.",
            details={"lengths": [d.size, n.size]},
        )
    total_defaults = float(d.sum())
    total_non_defaults = float(n.sum())
    if total_defaults == 0 or total_non_defaults == 0:
        raise NotComputable(
            f"{_whole_if_integral(total_defaults)} defaults out of "
            f"{_whole_if_integral(total_defaults + total_non_defaults)} observations",
            "insufficient_classes",
        )
    auc_bound = float(np.dot(d, n)) / (2.0 * total_defaults * total_non_defaults)
    ks_bound = float(np.max(np.minimum(d / total_defaults, n / total_non_defaults)))
    return BinningErrorBound(auc=auc_bound, ks=ks_bound)
