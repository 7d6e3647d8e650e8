"""Jeffreys confidence intervals of default rates, for the calibration chart.

Source: L. D. Brown, T. T. Cai and A. DasGupta, "Interval Estimation for a
Binomial Proportion", Statistical Science 16(2), 2001. With ``d`` defaults out
of ``n`` obligors the posterior under the Jeffreys prior Beta(1/2, 1/2) is
Beta(d + 1/2, n - d + 1/2); the equal-tailed interval is its two quantiles.
This is the posterior the ECB instructions for reporting IRB validation
results use for the Jeffreys calibration test, so the interval and the test's
p-value read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from mmt.stats import NotComputable


@dataclass(frozen=True, slots=True)
class JeffreysInterval:
    """Equal-tailed Jeffreys interval of one default rate."""

    lower: float
    upper: float
    confidence: float


def jeffreys_interval(defaults: int, obligors: int, confidence: float = 0.95) -> JeffreysInterval:
    """Compute the Jeffreys interval of the default rate ``defaults / obligors``.

    Parameters
    ----------
    defaults : int
        Number of defaults, ``0 <= defaults <= obligors``.
    obligors : int
        Number of obligors.
    confidence : float, optional
        Coverage of the two-sided interval, in (0, 1).

    Returns
    -------
    JeffreysInterval

    Raises
    ------
    NotComputable
        When ``obligors`` is 0: a grade without obligors has no default rate.

    Notes
    -----
    The bounds are the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``
    quantiles of Beta(d + 1/2, n - d + 1/2).

    NOTE: Brown, Cai and DasGupta also propose setting the lower bound to 0
    when d = 0 and the upper bound to 1 when d = n. That change is not
    applied, so the interval is the plain posterior interval (as in
    statsmodels' ``proportion_confint(method="jeffreys")``).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    if obligors < 0 or defaults < 0 or defaults > obligors:
        raise ValueError(f"defaults and obligors must satisfy 0 <= defaults <= obligors; got {defaults!r} and {obligors!r}.")
    if obligors == 0:
        raise NotComputable("the grade has no obligors", "empty_grade")
    tail = (1.0 - confidence) / 2.0
    posterior = stats.beta(defaults + 0.5, obligors - defaults + 0.5)
    lower, upper = posterior.ppf([tail, 1.0 - tail])
    return JeffreysInterval(lower=float(lower), upper=float(upper), confidence=confidence)


def jeffreys_intervals(
    defaults: np.ndarray | list[float], obligors: np.ndarray | list[float], confidence: float = 0.95
) -> list[JeffreysInterval | None]:
    """Compute :func:`jeffreys_interval` per grade; ``None`` for a grade without obligors."""
    intervals: list[JeffreysInterval | None] = []
    for grade_defaults, grade_obligors in zip(defaults, obligors):
        try:
            intervals.append(jeffreys_interval(int(grade_defaults), int(grade_obligors), confidence))
        except NotComputable:
            intervals.append(None)
    return intervals
