"""Calibration of PD models from per-grade aggregates: Jeffreys, binomial, Hosmer-Lemeshow and more.

The engine hands over, per grade in master-scale order, the number of
obligors ``n``, of defaults ``d`` and the obligor-level sums ``sum p``,
``sum p^2``, ``sum p^3``, ``sum p^4`` and ``sum y*p`` (``y`` = default
flag). Because ``y^2 = y``, the obligor-level Brier score and Spiegelhalter
statistic expand into these sums exactly:

- Brier: ``sum (y - p)^2 = D - 2 sum y p + sum p^2``.
- Spiegelhalter numerator: ``sum (y - p)(1 - 2p) = D - 2 sum y p - sum p + 2 sum p^2``.
- Spiegelhalter variance: ``sum (1 - 2p)^2 p (1 - p) = sum p - 5 sum p^2 + 8 sum p^3 - 4 sum p^4``.

Grade PD is the number-weighted mean PD ``sum p / n`` (ECB-2019 convention
for continuous PDs mapped to a master scale).

Rule for boundary PDs (mean PD exactly 0 or 1), applied instead of feeding
them to the formulas:

- PD = 0 and no defaults: consistent, binomial and Jeffreys p = 1.
- PD = 0 with defaults: impossible under the PD, binomial and Jeffreys p = 0
  with a message. The normal approximation is undefined (``None``).
- PD = 1 (default grade): per-grade tests are ``None`` and the grade is left
  out of every portfolio figure, Hosmer-Lemeshow and the Herfindahl index.
- PD = 0 grades are left out of Hosmer-Lemeshow (their term divides by 0)
  and the degrees of freedom shrink accordingly.
- Empty grades (n = 0) stay as rows with ``None`` tests. They count as
  grades with share 0 in the Herfindahl index.

The rule looks at grade means. Single obligors with p = 0 or 1 inside an
ordinary grade stay in the obligor-level sums, where they add no variance.

Written by hand because no maintained library offers these supervisory tests
on grouped data. The distributions come from SciPy.

Sources (by title):

- ECB Banking Supervision (2019), "Instructions for reporting the validation
  results of internal models - IRB Pillar I models for credit risk",
  section 2.5.3.1 (Jeffreys test) and 2.5.5.3 (Herfindahl index, CV test).
  Cited as ECB-2019 in this module.
- Basel Committee on Banking Supervision (2005), "Studies on the validation of
  internal rating systems", Working Paper No. 14 (binomial test and its
  critical value, Hosmer-Lemeshow with K degrees of freedom out of sample,
  Brier score).
- Spiegelhalter (1986), "Probabilistic prediction in patient management and
  clinical trials", Statistics in Medicine 5:421-433.
- Miller (1991), "Asymptotic test statistics for coefficients of variation",
  Communications in Statistics - Theory and Methods 20(10):3351-3363.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from scipy import stats as sps

from mmt.errors import ValidationError
from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable

__all__ = [
    "CalibrationResult",
    "GradeCalibration",
    "HerfindahlResult",
    "NotComputed",
    "PortfolioCalibration",
    "TestResult",
    "binomial_critical_defaults",
    "binomial_test",
    "brier_score",
    "calculate_calibration",
    "calibration_from_arrays",
    "herfindahl",
    "herfindahl_cv_test",
    "hosmer_lemeshow",
    "jeffreys_test",
    "spiegelhalter",
]

MIN_GRADE_OBLIGORS = 30
"""Grades with fewer obligors are flagged ``small_grade`` (industry convention)."""

MIN_EXPECTED_DEFAULTS = 5.0
"""Below this many expected defaults the chi-square approximation of Hosmer-Lemeshow is poor."""

# Relative slack for sums of p^k that rounding pushes slightly past their bounds.
_SUM_TOLERANCE = 1e-9

# A Spiegelhalter variance below this share of its expanded terms is rounding residue, i.e. 0.
_CANCELLATION_TOLERANCE = 1e-12
# Coefficients of variation of grade shares below this are taken as 0 (see herfindahl_cv_test).
_MIN_CV = 1e-12


def _fields_to_dict(result: Any) -> dict[str, Any]:
    return {field.name: to_jsonable(getattr(result, field.name)) for field in fields(result)}


@dataclass(frozen=True, slots=True)
class TestResult:
    """Outcome of one calibration test.

    ``alternative`` is ``"greater"`` when H1 is "PD underestimated" (a small
    p-value means more defaults than the PD predicts) and ``"two-sided"``
    otherwise. ``approximate_pvalue`` is the normal-approximation p-value
    reported beside an exact one.
    """

    __test__ = False  # not a pytest test class

    test: str
    pvalue: float | None
    statistic: float | None = None
    dof: int | None = None
    alternative: str = "greater"
    approximate_pvalue: float | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-able values."""
        return _fields_to_dict(self)


@dataclass(frozen=True, slots=True)
class HerfindahlResult:
    """Concentration of obligors across grades.

    ``normalised_index`` is the ECB-2019 index ``1 + ln(H) / ln(K)`` (0 when
    uniform, 1 when all obligors are in one grade), ``coefficient_of_variation``
    the CV of the grade shares and ``hhi`` the raw ``H = sum R_i^2``.
    """

    normalised_index: float
    coefficient_of_variation: float
    hhi: float
    grades: int

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-able values."""
        return _fields_to_dict(self)


@dataclass(frozen=True, slots=True)
class NotComputed:
    """A portfolio figure that is undefined for the input, with the reason."""

    name: str
    status: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as plain JSON-able values."""
        return _fields_to_dict(self)


@dataclass(frozen=True, slots=True)
class GradeCalibration:
    """Calibration figures of one grade. Tests are ``None`` for empty and PD = 1 grades."""

    grade: Any
    obligors: int
    defaults: int
    default_rate: float | None
    mean_pd: float | None
    expected_defaults: float
    binomial_pvalue: float | None
    jeffreys_pvalue: float | None
    normal_z: float | None
    normal_pvalue: float | None
    hosmer_lemeshow_term: float | None
    flags: tuple[str, ...]
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the row as plain JSON-able values."""
        return _fields_to_dict(self)


@dataclass(frozen=True, slots=True)
class PortfolioCalibration:
    """Portfolio calibration over all grades except empty and PD = 1 grades."""

    obligors: int
    defaults: int
    default_rate: float | None
    mean_pd: float | None
    expected_defaults: float
    excluded_grades: tuple[Any, ...]
    jeffreys: TestResult | None
    binomial: TestResult | None
    hosmer_lemeshow: TestResult | None
    spiegelhalter: TestResult | None
    brier_score: float | None
    brier_skill_score: float | None
    herfindahl: HerfindahlResult | None
    not_computed: tuple[NotComputed, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the portfolio figures as plain JSON-able values."""
        return _fields_to_dict(self)


@dataclass(frozen=True, slots=True)
class CalibrationResult:
    """Per-grade rows in master-scale order and the portfolio figures."""

    grades: tuple[GradeCalibration, ...]
    portfolio: PortfolioCalibration

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-able values."""
        return _fields_to_dict(self)


# --- input checks -----------------------------------------------------------------


def _as_count_array(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(array != np.round(array)):
        raise ValidationError(
            f"{name} must contain whole numbers >= 0; got {array.tolist()[:10]!r}.",
            details={"argument": name},
        )
    return array.astype(np.int64)


def _as_sum_array(values: Any, name: str, size: int) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if array.size != size:
        raise ValidationError(
            f"{name} must have one value per grade ({size}); got {array.size}.",
            details={"argument": name},
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValidationError(
            f"{name} must contain finite numbers >= 0.", details={"argument": name}
        )
    return array


def _check_pd(pd: float) -> float:
    value = float(pd)
    if not 0.0 <= value <= 1.0:
        raise ValidationError(f"PD must be between 0 and 1; got {pd!r}.", details={"pd": pd})
    return value


def _check_counts(n: Any, d: Any) -> tuple[int, int]:
    obligors, defaults = (int(value) for value in _as_count_array([n, d], "n and d"))
    if defaults > obligors:
        raise ValidationError(
            f"Defaults ({defaults}) cannot exceed obligors ({obligors}).",
            details={"obligors": obligors, "defaults": defaults},
        )
    if obligors == 0:
        raise NotComputable("the grade has no obligors", "empty_grade")
    return obligors, defaults


def _pd_zero_result(test: str, defaults: int) -> TestResult:
    if defaults == 0:
        return TestResult(test, pvalue=1.0, message="PD = 0 and no defaults: consistent with the PD.")
    return TestResult(
        test,
        pvalue=0.0,
        message=f"PD = 0 but {defaults} default(s): impossible if the PD were right.",
    )


_PD_ONE_MESSAGE = "PD = 1 (default grade): not a calibration test."


# --- single tests -----------------------------------------------------------------


def jeffreys_test(pd: float, n: int, d: int) -> TestResult:
    """Run the one-sided Jeffreys test of ECB-2019 for one grade or the portfolio.

    Parameters
    ----------
    pd : float
        Grade PD (number-weighted mean PD) in [0, 1].
    n : int
        Obligors, at least 1.
    d : int
        Defaults, ``0 <= d <= n``.

    Returns
    -------
    TestResult
        ``pvalue = Beta(d + 1/2, n - d + 1/2).cdf(pd)``, the posterior
        probability under the Jeffreys prior that the true PD is below the
        stated PD. H0: the PD is not underestimated. PD = 0 and PD = 1 follow
        the module's boundary rule.

    Raises
    ------
    NotComputable
        When ``n = 0``.
    """
    probability = _check_pd(pd)
    obligors, defaults = _check_counts(n, d)
    if probability == 0.0:
        return _pd_zero_result("jeffreys", defaults)
    if probability == 1.0:
        return TestResult("jeffreys", pvalue=1.0, message=_PD_ONE_MESSAGE)
    pvalue = float(sps.beta.cdf(probability, defaults + 0.5, obligors - defaults + 0.5))
    return TestResult("jeffreys", pvalue=pvalue)


def binomial_test(pd: float, n: int, d: int) -> TestResult:
    """Run the one-sided exact binomial test, with its normal approximation beside it.

    Parameters
    ----------
    pd : float
        Grade PD in [0, 1].
    n : int
        Obligors, at least 1.
    d : int
        Defaults, ``0 <= d <= n``.

    Returns
    -------
    TestResult
        ``pvalue = P(X >= d)`` for ``X ~ Bin(n, pd)``. ``statistic`` is
        ``z = (d - n pd) / sqrt(n pd (1 - pd))`` and ``approximate_pvalue``
        is ``1 - Phi(z)``, both ``None`` for PD = 0 or 1. H0: the PD is not
        underestimated.

    Raises
    ------
    NotComputable
        When ``n = 0``.
    """
    probability = _check_pd(pd)
    obligors, defaults = _check_counts(n, d)
    if probability == 0.0:
        return _pd_zero_result("binomial", defaults)
    if probability == 1.0:
        return TestResult("binomial", pvalue=1.0, message=_PD_ONE_MESSAGE)
    pvalue = float(sps.binom.sf(defaults - 1, obligors, probability))
    z = (defaults - obligors * probability) / math.sqrt(obligors * probability * (1.0 - probability))
    return TestResult("binomial", pvalue=pvalue, statistic=z, approximate_pvalue=float(sps.norm.sf(z)))


def binomial_critical_defaults(pd: float, n: int, confidence: float = 0.99) -> int:
    """Return the smallest number of defaults ``k`` with ``P(X >= k) <= 1 - confidence``.

    ``X ~ Bin(n, pd)``. The binomial test rejects at this confidence when the
    observed defaults reach ``k``. A result of ``n + 1`` means that no
    outcome is rejected.
    """
    probability = _check_pd(pd)
    obligors, _ = _check_counts(n, 0)
    if not 0.0 < confidence < 1.0:
        raise ValidationError(
            f"confidence must be strictly between 0 and 1; got {confidence!r}.",
            details={"confidence": confidence},
        )
    alpha = 1.0 - confidence

    def tail(k: int) -> float:
        return float(sps.binom.sf(k - 1, obligors, probability))

    # SciPy's discrete isf can be one step off through rounding, so step to the exact boundary.
    critical = min(int(sps.binom.isf(alpha, obligors, probability)) + 1, obligors + 1)
    while critical > 0 and tail(critical - 1) <= alpha:
        critical -= 1
    while critical <= obligors and tail(critical) > alpha:
        critical += 1
    return critical


def _hosmer_lemeshow_terms(pd_mean: np.ndarray, n: np.ndarray, d: np.ndarray) -> np.ndarray:
    expected = n * pd_mean
    # A PD within a few hundred decimal places of 0 overflows to inf; callers check.
    with np.errstate(over="ignore", divide="ignore"):
        return (d - expected) ** 2 / (expected * (1.0 - pd_mean))


def hosmer_lemeshow(pd_mean: Any, n: Any, d: Any, *, dof: int | None = None) -> TestResult:
    """Run the Hosmer-Lemeshow chi-square test over grades.

    Parameters
    ----------
    pd_mean : array_like
        Grade PDs, each strictly between 0 and 1.
    n, d : array_like
        Obligors (at least 1) and defaults per grade.
    dof : int, optional
        Degrees of freedom. Defaults to the number of grades ``K``, the
        convention for PDs fixed before the observation period (Basel
        Working Paper 14). Use ``K - 2`` for PDs fitted on the same data.

    Returns
    -------
    TestResult
        ``statistic = sum (d_i - n_i p_i)^2 / (n_i p_i (1 - p_i))`` and
        ``pvalue = 1 - F_chi2(statistic; dof)``. H0: every grade PD is right.

    Raises
    ------
    NotComputable
        When there is no grade, a grade is empty or a PD is 0 or 1.
    """
    probabilities = np.asarray(pd_mean, dtype=float).ravel()
    obligors = _as_count_array(n, "n")
    defaults = _as_count_array(d, "d")
    if not probabilities.size == obligors.size == defaults.size:
        raise ValidationError(
            "pd_mean, n and d must have the same length.",
            details={"lengths": [probabilities.size, obligors.size, defaults.size]},
        )
    if probabilities.size == 0:
        raise NotComputable("no grade to test", "no_grades")
    if np.any(obligors == 0):
        raise NotComputable("a grade has no obligors", "empty_grade")
    if np.any(defaults > obligors):
        raise ValidationError("Defaults cannot exceed obligors in any grade.", details={"argument": "d"})
    if not np.all((probabilities > 0.0) & (probabilities < 1.0)):
        raise NotComputable("every grade PD must be strictly between 0 and 1", "pd_boundary")
    degrees = probabilities.size if dof is None else int(dof)
    if degrees < 1:
        raise ValidationError(f"dof must be at least 1; got {dof!r}.", details={"dof": dof})
    with np.errstate(over="ignore"):
        statistic = float(np.sum(_hosmer_lemeshow_terms(probabilities, obligors, defaults)))
    if not math.isfinite(statistic):
        raise NotComputable("the statistic overflows because a grade PD is too close to 0", "overflow")
    return TestResult(
        "hosmer_lemeshow", pvalue=float(sps.chi2.sf(statistic, degrees)), statistic=statistic, dof=degrees,
        alternative="two-sided",
    )


def spiegelhalter(
    defaults: Any, sum_pd: Any, sum_pd2: Any, sum_pd3: Any, sum_pd4: Any, sum_default_pd: Any
) -> TestResult:
    """Run the Spiegelhalter (1986) test from obligor-level sums.

    Parameters
    ----------
    defaults : array_like
        Defaults (per grade or total; arrays are summed).
    sum_pd, sum_pd2, sum_pd3, sum_pd4 : array_like
        Sums of ``p``, ``p^2``, ``p^3`` and ``p^4`` over obligors.
    sum_default_pd : array_like
        Sum of ``y * p`` over obligors.

    Returns
    -------
    TestResult
        ``statistic = sum (y - p)(1 - 2p) / sqrt(sum (1 - 2p)^2 p (1 - p))``,
        the standardised Brier score, and the two-sided normal p-value.
        H0: every obligor PD is right.

    Raises
    ------
    NotComputable
        When the variance is 0 (every PD is 0, 1/2 or 1).

    Notes
    -----
    The sums are expanded as in the module docstring. NOTE: when most PDs sit
    near 1/2 the variance expansion cancels terms of similar size and loses
    relative precision. Typical credit PDs are far from that case.
    """
    total_defaults = float(np.sum(defaults))
    s1, s2, s3, s4, sy = (
        float(np.sum(value)) for value in (sum_pd, sum_pd2, sum_pd3, sum_pd4, sum_default_pd)
    )
    numerator = total_defaults - 2.0 * sy - s1 + 2.0 * s2
    variance = s1 - 5.0 * s2 + 8.0 * s3 - 4.0 * s4
    # Rounding leaves a residue of about 1e-16 times the terms' size where the exact variance is 0.
    if variance <= _CANCELLATION_TOLERANCE * (s1 + 5.0 * s2 + 8.0 * s3 + 4.0 * s4):
        raise NotComputable("the Spiegelhalter variance is 0: every PD is 0, 1/2 or 1", "zero_variance")
    statistic = numerator / math.sqrt(variance)
    return TestResult(
        "spiegelhalter",
        pvalue=float(2.0 * sps.norm.sf(abs(statistic))),
        statistic=statistic,
        alternative="two-sided",
    )


def brier_score(obligors: Any, defaults: Any, sum_pd2: Any, sum_default_pd: Any) -> float:
    """Return the mean Brier score ``(D - 2 sum y p + sum p^2) / N`` from sums (arrays are summed).

    Raises
    ------
    NotComputable
        When there are no obligors.
    """
    total = float(np.sum(obligors))
    if total == 0:
        raise NotComputable("no obligors", "empty_sample")
    value = (float(np.sum(defaults)) - 2.0 * float(np.sum(sum_default_pd)) + float(np.sum(sum_pd2))) / total
    # A sum of squares: negative only through rounding.
    return max(value, 0.0)


def herfindahl(n_per_grade: Any) -> HerfindahlResult:
    """Compute the ECB-2019 Herfindahl index and the coefficient of variation of grade shares.

    Parameters
    ----------
    n_per_grade : array_like
        Obligors (or exposure) per grade. Empty grades count in ``K``.

    Returns
    -------
    HerfindahlResult
        ``CV = sqrt(K sum (R_i - 1/K)^2)``, ``HI = 1 + ln((CV^2 + 1) / K) / ln(K)``
        and the raw ``HHI = sum R_i^2`` with ``R_i`` the grade shares.

    Raises
    ------
    NotComputable
        With fewer than 2 grades or a zero total.
    """
    counts = np.asarray(n_per_grade, dtype=float).ravel()
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValidationError(
            "n_per_grade must contain finite numbers >= 0.", details={"argument": "n_per_grade"}
        )
    grades = counts.size
    if grades < 2:
        raise NotComputable(f"the Herfindahl index needs at least 2 grades; got {grades}", "too_few_grades")
    total = float(counts.sum())
    if total == 0:
        raise NotComputable("no obligors in any grade", "empty_sample")
    shares = counts / total
    cv = math.sqrt(grades * float(np.sum((shares - 1.0 / grades) ** 2)))
    index = 1.0 + math.log((cv**2 + 1.0) / grades) / math.log(grades)
    # The log form can land a few ulps outside [0, 1] for uniform or one-grade shares.
    index = min(max(index, 0.0), 1.0)
    return HerfindahlResult(
        normalised_index=index, coefficient_of_variation=cv, hhi=float(np.sum(shares**2)), grades=grades
    )


def herfindahl_cv_test(cv: float, cv_init: float, k: int) -> TestResult:
    """Test whether concentration across grades has increased since initial validation (ECB-2019).

    Parameters
    ----------
    cv : float
        Current coefficient of variation of the grade shares.
    cv_init : float
        Coefficient of variation at initial validation.
    k : int
        Number of grades, at least 2.

    Returns
    -------
    TestResult
        ``statistic = sqrt(K - 1) (CV - CV_init) / sqrt(CV^2 (1/2 + CV^2))``
        (Miller 1991) and ``pvalue = 1 - Phi(statistic)``. H0: the
        concentration has not increased.

    Raises
    ------
    NotComputable
        When ``cv`` is 0 or below 1e-12 (uniform shares up to rounding) or ``k < 2``.
    """
    current = float(cv)
    initial = float(cv_init)
    if not (math.isfinite(current) and math.isfinite(initial)) or current < 0 or initial < 0:
        raise ValidationError(
            f"cv and cv_init must be finite numbers >= 0; got {cv!r} and {cv_init!r}.",
            details={"cv": cv, "cv_init": cv_init},
        )
    if int(k) < 2:
        raise NotComputable(f"the CV test needs at least 2 grades; got {k}", "too_few_grades")
    # Moving one obligor between two of K grades out of N gives a CV of about sqrt(2K) / N,
    # far above this floor for any real portfolio, so a smaller CV is rounding noise of
    # equal shares. Dividing by it gave statistics of -1e16 or an infinite one.
    if current < _MIN_CV:
        raise NotComputable("the current CV is 0 (uniform grade shares)", "zero_variance")
    statistic = math.sqrt(int(k) - 1) * (current - initial) / math.sqrt(current**2 * (0.5 + current**2))
    return TestResult("herfindahl_cv", pvalue=float(sps.norm.sf(statistic)), statistic=statistic)


# --- calibration table -----------------------------------------------------------


def _untested_row(
    grade: Any, obligors: int, defaults: int, mean_pd: float | None, flags: tuple[str, ...], message: str
) -> GradeCalibration:
    return GradeCalibration(
        grade=grade,
        obligors=obligors,
        defaults=defaults,
        default_rate=defaults / obligors if obligors else None,
        mean_pd=mean_pd,
        expected_defaults=obligors * (mean_pd or 0.0),
        binomial_pvalue=None,
        jeffreys_pvalue=None,
        normal_z=None,
        normal_pvalue=None,
        hosmer_lemeshow_term=None,
        flags=flags,
        message=message,
    )


def _grade_row(
    grade: Any, obligors: int, defaults: int, sum_pd: float, min_grade_obligors: int
) -> GradeCalibration:
    if obligors == 0:
        return _untested_row(grade, 0, 0, None, ("empty",), "The grade has no obligors.")

    mean_pd = min(sum_pd / obligors, 1.0)
    flags: list[str] = []
    if obligors < min_grade_obligors:
        flags.append("small_grade")
    if mean_pd == 1.0:
        flags.append("pd_one")
        message = "Default grade (PD = 1): excluded from calibration tests."
        return _untested_row(grade, obligors, defaults, 1.0, tuple(flags), message)
    if mean_pd == 0.0:
        flags.append("pd_zero")
    if obligors * mean_pd < MIN_EXPECTED_DEFAULTS:
        flags.append("low_expected_defaults")

    binomial = binomial_test(mean_pd, obligors, defaults)
    jeffreys = jeffreys_test(mean_pd, obligors, defaults)
    hl_term = None
    if mean_pd > 0.0:
        terms = _hosmer_lemeshow_terms(np.array([mean_pd]), np.array([obligors]), np.array([defaults]))
        hl_term = float(terms[0]) if math.isfinite(terms[0]) else None
    return GradeCalibration(
        grade=grade,
        obligors=obligors,
        defaults=defaults,
        default_rate=defaults / obligors,
        mean_pd=mean_pd,
        expected_defaults=float(sum_pd),
        binomial_pvalue=binomial.pvalue,
        jeffreys_pvalue=jeffreys.pvalue,
        normal_z=binomial.statistic,
        normal_pvalue=binomial.approximate_pvalue,
        hosmer_lemeshow_term=hl_term,
        flags=tuple(flags),
        message=binomial.message,
    )


def _check_sums(obligors: np.ndarray, defaults: np.ndarray, sums: dict[str, np.ndarray]) -> None:
    slack = _SUM_TOLERANCE * np.maximum(obligors, 1)
    for name, values in sums.items():
        if np.any(values > obligors + slack):
            raise ValidationError(
                f"{name} cannot exceed the number of obligors of its grade, because PDs are at most 1.",
                details={"argument": name},
            )
    if np.any(sums["sum_default_pd"] > defaults + slack) or np.any(
        sums["sum_default_pd"] > sums["sum_pd"] + slack
    ):
        raise ValidationError(
            "sum_default_pd cannot exceed the defaults or sum_pd of its grade.",
            details={"argument": "sum_default_pd"},
        )
    if np.any(defaults > obligors):
        raise ValidationError("Defaults cannot exceed obligors in any grade.", details={"argument": "d"})


def _try(name: str, missing: list[NotComputed], compute: Any, *args: Any) -> Any:
    try:
        return compute(*args)
    except NotComputable as error:
        missing.append(NotComputed(name, error.status, error.reason))
        return None


def calculate_calibration(
    grades: Any,
    n: Any,
    d: Any,
    sum_pd: Any,
    sum_pd2: Any,
    sum_pd3: Any,
    sum_pd4: Any,
    sum_default_pd: Any,
    *,
    min_grade_obligors: int = MIN_GRADE_OBLIGORS,
) -> CalibrationResult:
    """Compute per-grade and portfolio calibration figures from per-grade aggregates.

    Parameters
    ----------
    grades : sequence
        Grade labels in master-scale order (the caller sorts).
    n, d : array_like
        Obligors and defaults per grade.
    sum_pd, sum_pd2, sum_pd3, sum_pd4 : array_like
        Sums of ``p``, ``p^2``, ``p^3`` and ``p^4`` over the grade's obligors.
    sum_default_pd : array_like
        Sum of ``y * p`` over the grade's obligors.
    min_grade_obligors : int, default 30
        Grades with fewer obligors are flagged ``small_grade``.

    Returns
    -------
    CalibrationResult
        Per grade: default rate, mean PD, exact binomial and Jeffreys
        p-values, normal-approximation z and p, Hosmer-Lemeshow term and
        flags (``empty``, ``small_grade``, ``pd_zero``, ``pd_one``,
        ``low_expected_defaults``). Portfolio: totals, Jeffreys and binomial
        tests on the number-weighted mean PD, Hosmer-Lemeshow with
        ``dof = K`` over the testable grades, Spiegelhalter, Brier score and
        skill score, Herfindahl index. Undefined portfolio figures are
        ``None`` and listed in ``not_computed`` with the reason. Boundary PDs
        follow the rule in the module docstring.
    """
    labels = [label.item() if hasattr(label, "item") else label for label in grades]
    obligors = _as_count_array(n, "n")
    defaults = _as_count_array(d, "d")
    if obligors.size != len(labels) or defaults.size != len(labels):
        raise ValidationError(
            "grades, n and d must have the same length; got "
            f"{len(labels)}, {obligors.size} and {defaults.size}.",
            details={"lengths": [len(labels), obligors.size, defaults.size]},
        )
    named_sums = {
        "sum_pd": sum_pd,
        "sum_pd2": sum_pd2,
        "sum_pd3": sum_pd3,
        "sum_pd4": sum_pd4,
        "sum_default_pd": sum_default_pd,
    }
    sums = {name: _as_sum_array(values, name, len(labels)) for name, values in named_sums.items()}
    _check_sums(obligors, defaults, sums)

    rows = tuple(
        _grade_row(label, int(count), int(default_count), float(expected), min_grade_obligors)
        for label, count, default_count, expected in zip(labels, obligors, defaults, sums["sum_pd"])
    )
    portfolio = _portfolio(rows, obligors, defaults, sums)
    return CalibrationResult(grades=rows, portfolio=portfolio)


def _portfolio(
    rows: tuple[GradeCalibration, ...],
    obligors: np.ndarray,
    defaults: np.ndarray,
    sums: dict[str, np.ndarray],
) -> PortfolioCalibration:
    default_grade = np.array(["pd_one" in row.flags for row in rows], dtype=bool)
    included = (obligors > 0) & ~default_grade
    missing: list[NotComputed] = []

    # 1. Totals and the single-sample tests on the number-weighted mean PD.
    total = int(obligors[included].sum())
    total_defaults = int(defaults[included].sum())
    expected = float(sums["sum_pd"][included].sum())
    mean_pd = min(expected / total, 1.0) if total else None
    default_rate = total_defaults / total if total else None
    jeffreys = binomial = None
    if mean_pd is None:
        reason = "no obligors outside empty and default grades"
        missing.append(NotComputed("jeffreys", "empty_sample", reason))
        missing.append(NotComputed("binomial", "empty_sample", reason))
    else:
        jeffreys = jeffreys_test(mean_pd, total, total_defaults)
        binomial = binomial_test(mean_pd, total, total_defaults)

    # 2. Hosmer-Lemeshow over grades with a PD strictly between 0 and 1.
    testable = [i for i, row in enumerate(rows) if included[i] and "pd_zero" not in row.flags]
    hl_pds = [rows[i].mean_pd for i in testable]
    hosmer = _try("hosmer_lemeshow", missing, hosmer_lemeshow, hl_pds, obligors[testable], defaults[testable])
    left_out = [str(row.grade) for i, row in enumerate(rows) if included[i] and "pd_zero" in row.flags]
    if hosmer is not None and left_out:
        note = f"Grades with PD = 0 left out: {', '.join(left_out)}."
        hosmer = dataclasses.replace(hosmer, message=note)

    # 3. Obligor-level figures from the sums.
    included_sums = [sums[name][included] for name in ("sum_pd", "sum_pd2", "sum_pd3", "sum_pd4")]
    included_default_pd = sums["sum_default_pd"][included]
    spiegel = _try(
        "spiegelhalter", missing, spiegelhalter, defaults[included], *included_sums, included_default_pd
    )
    brier = _try(
        "brier_score", missing, brier_score,
        obligors[included], defaults[included], sums["sum_pd2"][included], included_default_pd,
    )
    skill = None
    if brier is not None and default_rate is not None and 0.0 < default_rate < 1.0:
        skill = 1.0 - brier / (default_rate * (1.0 - default_rate))
    elif brier is not None:
        reason = "the default rate is 0 or 1, so the reference Brier score is 0"
        missing.append(NotComputed("brier_skill_score", "zero_variance", reason))

    # 4. Concentration over the non-default grades, empty ones included.
    concentration = _try("herfindahl", missing, herfindahl, obligors[~default_grade])

    return PortfolioCalibration(
        obligors=total,
        defaults=total_defaults,
        default_rate=default_rate,
        mean_pd=mean_pd,
        expected_defaults=expected,
        excluded_grades=tuple(row.grade for row, excluded in zip(rows, default_grade) if excluded),
        jeffreys=jeffreys,
        binomial=binomial,
        hosmer_lemeshow=hosmer,
        spiegelhalter=spiegel,
        brier_score=brier,
        brier_skill_score=skill,
        herfindahl=concentration,
        not_computed=tuple(missing),
    )


def calibration_from_arrays(pd: Any, default_flag: Any, grade: Any, **kwargs: Any) -> CalibrationResult:
    """Aggregate obligor rows per grade with numpy and call :func:`calculate_calibration`.

    Grades are sorted with ``numpy.unique``, so pass grade ranks (or labels
    that sort in master-scale order). Keyword arguments go to
    :func:`calculate_calibration`.
    """
    probabilities = np.asarray(pd, dtype=float).ravel()
    flags = np.asarray(default_flag, dtype=float).ravel()
    grade_array = np.asarray(grade).ravel()
    if not probabilities.size == flags.size == grade_array.size:
        raise ValidationError(
            "pd, default_flag and grade must have the same length.",
            details={"lengths": [probabilities.size, flags.size, grade_array.size]},
        )
    if not np.all((probabilities >= 0.0) & (probabilities <= 1.0)):
        raise ValidationError(
            "pd must be between 0 and 1 with no missing values.", details={"argument": "pd"}
        )
    if not np.all((flags == 0) | (flags == 1)):
        raise ValidationError("default_flag must contain only 0 and 1.", details={"argument": "default_flag"})
    labels, inverse = np.unique(grade_array, return_inverse=True)

    def per_grade(weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(inverse, weights=weights, minlength=labels.size)

    return calculate_calibration(
        labels, per_grade(None), per_grade(flags), per_grade(probabilities), per_grade(probabilities**2),
        per_grade(probabilities**3), per_grade(probabilities**4), per_grade(flags * probabilities), **kwargs,
    )
