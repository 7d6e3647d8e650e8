"""Unit-root and stationarity tests of one time series (ADF, KPSS, Phillips-Perron, Zivot-Andrews).

Thin wrappers around the libraries, which every number comes from:

- Augmented Dickey-Fuller: ``statsmodels.tsa.stattools.adfuller``. P-values
  follow MacKinnon (1994), "Approximate asymptotic distribution functions for
  unit-root and cointegration tests", and critical values MacKinnon (2010),
  "Critical values for cointegration tests".
- KPSS: ``statsmodels.tsa.stattools.kpss`` (Kwiatkowski, Phillips, Schmidt and
  Shin 1992, "Testing the null hypothesis of stationarity against the
  alternative of a unit root"). Its p-value is interpolated in the paper's
  Table 1 and clipped to [0.01, 0.10]. ``arch.unitroot.KPSS`` is called with
  the same lags to add a p-value from arch's finer simulated table.
- Phillips-Perron: ``arch.unitroot.PhillipsPerron`` (Phillips and Perron 1988,
  "Testing for a unit root in time series regression"), Z-tau statistic.
- Zivot-Andrews: ``statsmodels.tsa.stattools.zivot_andrews`` (Zivot and
  Andrews 1992, "Further evidence on the great crash, the oil-price shock,
  and the unit-root hypothesis"), which also returns the break period.

Every lag count, deterministic term and lag-selection method is passed to the
library explicitly and reported, because statsmodels 0.15 and arch 8 changed
their defaults (KPSS lag selection in arch, the return type of ``adfuller``
and ``kpss`` in statsmodels).

The code written by hand does what no library does. It checks the series
before the call for missing values, constant or near-constant values and too
few observations. It turns a p-value at the edge of a look-up table into a
bound such as "< 0.01". It combines ADF, Phillips-Perron and KPSS into one
verdict.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
from arch.unitroot import KPSS as ArchKPSS
from arch.unitroot import PhillipsPerron
from arch.unitroot.unitroot import kpss_crit
from arch.utility.exceptions import InfeasibleTestException
from scipy.special import logit, ndtri
from statsmodels.tools.sm_exceptions import MissingDataError
from statsmodels.tsa.stattools import adfuller, kpss, zivot_andrews

from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable

__all__ = [
    "MIN_OBSERVATIONS",
    "MIN_OBSERVATIONS_ZIVOT_ANDREWS",
    "TRANSFORMATIONS",
    "PValueBound",
    "SeriesStationarity",
    "StationarityOptions",
    "TransformationStationarity",
    "UnavailableTest",
    "UnitRootTestResult",
    "check_series",
    "decide_rejection",
    "describe_p_value",
    "run_adf_test",
    "run_kpss_test",
    "run_library_call",
    "run_pp_test",
    "run_stationarity_tests",
    "run_zivot_andrews_test",
    "schwert_max_lags",
    "transform_series",
]

# NOTE: these minimums are a judgement, not a published rule. Below 10
# observations the lag search of ADF and the long-run variance of KPSS and
# Phillips-Perron have almost nothing to work with. Zivot-Andrews needs
# int(0.15 * n) - 3 >= 0 for the lag cap used in run_zivot_andrews_test.
MIN_OBSERVATIONS = 10
MIN_OBSERVATIONS_ZIVOT_ANDREWS = 20

# Below this many observations unit-root tests have low power; the result
# carries a warning saying so.
LOW_POWER_OBSERVATIONS = 50

# NOTE: a series where one value makes up more than this share of the
# observations is reported as having insufficient variation. The tests fit
# rank-deficient regressions on such a series (for example 29 values 0.02 and
# one 0.021), so their p-values mean nothing. The cut-off itself is a choice.
MAX_MODAL_SHARE = 0.8

TRANSFORMATIONS: dict[str, str] = {
    "level": "values as given",
    "diff": "first difference x[t] - x[t-1]",
    "log": "natural logarithm",
    "log_diff": "first difference of the natural logarithm",
    "logit": "logit ln(x / (1 - x))",
    "logit_diff": "first difference of the logit",
    "probit": "probit, the standard normal quantile of x",
    "probit_diff": "first difference of the probit",
    "pct_change": "growth in percent 100 * (x[t] / x[t-1] - 1)",
}
TRANSFORMATION_ALIASES: dict[str, str] = {
    "growth": "pct_change",
    "first_difference": "diff",
}

PValueBound = Literal["upper", "lower"]
T = TypeVar("T")

# Edges of the p-value tables. MacKinnon's response surface (statsmodels and
# arch alike) returns exactly 0.0 below its smallest tabulated statistic, where
# the surface itself gives less than 1e-20 for every deterministic term, and
# exactly 1.0 above its largest, where it gives more than 0.99.
_MACKINNON_LOWER_LIMIT = 1e-20
_MACKINNON_UPPER_LIMIT = 0.99
# statsmodels' KPSS table covers 1 % to 10 %.
_KPSS_TABLE_LIMITS = (0.01, 0.10)
# statsmodels' Zivot-Andrews table covers the 0.001 % to 99.9 % quantiles.
_ZIVOT_ANDREWS_TABLE_LIMITS = (1e-5, 0.999)

_UNIT_ROOT_NULL = "The series has a unit root (it is not stationary)."
_UNIT_ROOT_ALTERNATIVE = "The series is stationary."


@dataclass(frozen=True, slots=True)
class StationarityOptions:
    """Options of the unit-root tests, each passed to the library explicitly.

    Parameters
    ----------
    adf_autolag : {"AIC", "BIC"}
        Information criterion that selects the ADF lag count.
    adf_regression : {"c", "ct", "n"}
        ADF deterministic terms: constant, constant and trend, or none.
    kpss_regression : {"c", "ct"}
        KPSS null hypothesis: level or trend stationarity.
    pp_trend : {"n", "c", "ct"} or None
        Phillips-Perron deterministic terms; ``None`` uses ``adf_regression``.
    za_regression : {"c", "t", "ct"}
        Zivot-Andrews break in the constant, the trend, or both.
    za_trim : float
        Share of the series at each end excluded from the break search.
    significance_level : float
        Level at which each test's null hypothesis is rejected.
    transformations : tuple of str
        Transformations tested, from :data:`TRANSFORMATIONS`.
    """

    adf_autolag: Literal["AIC", "BIC"] = "AIC"
    adf_regression: Literal["c", "ct", "n"] = "c"
    kpss_regression: Literal["c", "ct"] = "c"
    pp_trend: Literal["n", "c", "ct"] | None = None
    za_regression: Literal["c", "t", "ct"] = "c"
    za_trim: float = 0.15
    significance_level: float = 0.05
    transformations: tuple[str, ...] = ("level", "diff")

    def __post_init__(self) -> None:
        _check_choice("adf_autolag", self.adf_autolag, ("AIC", "BIC"))
        _check_choice("adf_regression", self.adf_regression, ("c", "ct", "n"))
        _check_choice("kpss_regression", self.kpss_regression, ("c", "ct"))
        _check_choice("pp_trend", self.pp_trend, ("n", "c", "ct", None))
        _check_choice("za_regression", self.za_regression, ("c", "t", "ct"))
        if not 0.0 < self.za_trim < 1.0 / 3.0:
            raise ValueError(f"`za_trim` must be in (0, 1/3); got {self.za_trim!r}.")
        if not 0.0 < self.significance_level < 1.0:
            raise ValueError(
                f"`significance_level` must be in (0, 1); got {self.significance_level!r}."
            )
        for name in self.transformations:
            normalise_transformation(name)

    @property
    def effective_pp_trend(self) -> Literal["n", "c", "ct"]:
        """Phillips-Perron deterministic terms actually used."""
        return self.pp_trend if self.pp_trend is not None else self.adf_regression

    def to_dict(self) -> dict[str, Any]:
        """Return the options as plain JSON values, with the effective PP trend."""
        values = _fields_dict(self)
        values["pp_trend"] = self.effective_pp_trend
        return values


@dataclass(frozen=True, slots=True)
class UnitRootTestResult:
    """Outcome of one unit-root or stationarity test.

    ``p_value`` is the library's number. When it sits at the edge of the
    look-up table, it is not an exact value. ``p_value_bound`` is then
    ``"upper"`` (the true p-value is below ``p_value_limit``) or ``"lower"``
    (above it), and ``p_value_text`` reads "< 0.01" or "> 0.1".
    ``reject_null`` is ``None`` when a bounded p-value cannot decide at the
    chosen significance level. ``status`` is the traffic light: green when the
    test points to stationarity, amber when it points to a unit root.
    """

    test: str
    library: str
    statistic: float
    p_value: float
    p_value_bound: PValueBound | None
    p_value_limit: float | None
    p_value_text: str
    lags: int
    lag_method: str
    max_lags: int | None
    nobs: int
    critical_values: dict[str, float]
    regression: str
    null_hypothesis: str
    alternative_hypothesis: str
    significance_level: float
    reject_null: bool | None
    conclusion: str
    status: str | None
    warnings: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON values."""
        return _fields_dict(self)


@dataclass(frozen=True, slots=True)
class UnavailableTest:
    """A test that could not run on the series, with the reason."""

    test: str
    status: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return the entry with ``statistic`` and ``p_value`` as ``None``."""
        return {
            "test": self.test,
            "statistic": None,
            "p_value": None,
            "status": self.status,
            "reason": self.reason,
        }


TestOutcome = UnitRootTestResult | UnavailableTest


@dataclass(frozen=True, slots=True)
class TransformationStationarity:
    """Tests of one transformation of a series and their combined verdict.

    ``verdict`` is ``"stationary"`` when ADF and Phillips-Perron reject a unit
    root and KPSS does not reject stationarity, ``"unit_root"`` when the
    opposite holds, ``"inconclusive"`` when they disagree or a decision is
    missing, and ``"not_testable"`` when no test could run.
    """

    transformation: str
    description: str
    nobs: int
    tests: dict[str, TestOutcome]
    verdict: str
    verdict_status: str | None
    verdict_reason: str
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON values."""
        return _fields_dict(self)


@dataclass(frozen=True, slots=True)
class SeriesStationarity:
    """Stationarity results of one series over every requested transformation."""

    name: str
    nobs: int
    options: StationarityOptions
    transformations: dict[str, TransformationStationarity]

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON values."""
        return _fields_dict(self)


def schwert_max_lags(nobs: int) -> int:
    """Return the Schwert (1989) lag bound ``ceil(12 * (nobs / 100) ** (1 / 4))``.

    This is the default maximum lag of statsmodels' ``adfuller`` and the
    default lag count of arch's ``PhillipsPerron``.
    """
    return int(math.ceil(12.0 * (nobs / 100.0) ** 0.25))


def normalise_transformation(name: str) -> str:
    """Return the canonical transformation name, or raise ``ValueError``."""
    canonical = TRANSFORMATION_ALIASES.get(name, name)
    if canonical not in TRANSFORMATIONS:
        allowed = sorted([*TRANSFORMATIONS, *TRANSFORMATION_ALIASES])
        raise ValueError(f"Unknown transformation {name!r}; use one of {allowed}.")
    return canonical


def transform_series(
    values: Sequence[float] | np.ndarray, transformation: str
) -> np.ndarray:
    """Apply a transformation from :data:`TRANSFORMATIONS` to a series.

    Parameters
    ----------
    values : array_like
        The series, oldest observation first.
    transformation : str
        One of :data:`TRANSFORMATIONS` (or the alias ``"growth"``).

    Returns
    -------
    numpy.ndarray
        The transformed series; differences are one observation shorter.

    Raises
    ------
    NotComputable
        With status ``"not_applicable"`` when a value lies outside the
        transformation's domain (log of a non-positive value, logit outside
        (0, 1) for logit and probit, growth from a zero value).
    """
    name = normalise_transformation(transformation)
    x = np.asarray(values, dtype=float)

    if name in ("log", "log_diff") and np.any(x <= 0):
        raise NotComputable(
            f"{TRANSFORMATIONS[name]} needs positive values; the smallest value is {x.min():g}.",
            "not_applicable",
        )
    if name in ("logit", "logit_diff", "probit", "probit_diff") and np.any(
        (x <= 0) | (x >= 1)
    ):
        raise NotComputable(
            f"{TRANSFORMATIONS[name]} needs values strictly between 0 and 1; "
            f"the values range from {x.min():g} to {x.max():g}.",
            "not_applicable",
        )
    if name == "pct_change" and np.any(x[:-1] == 0):
        raise NotComputable(
            "growth in percent needs non-zero values; the series contains a zero.",
            "not_applicable",
        )

    with np.errstate(over="ignore"):
        transformed = _TRANSFORM_FUNCTIONS[name](x)
    if not np.all(np.isfinite(transformed)):
        raise NotComputable(
            f"{TRANSFORMATIONS[name]} overflows for this series (a value is too close to zero "
            "or too large).",
            "not_applicable",
        )
    return transformed


_TRANSFORM_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "level": lambda x: x.copy(),
    "diff": np.diff,
    "log": np.log,
    "log_diff": lambda x: np.diff(np.log(x)),
    "logit": logit,
    "logit_diff": lambda x: np.diff(logit(x)),
    "probit": ndtri,
    "probit_diff": lambda x: np.diff(ndtri(x)),
    "pct_change": lambda x: 100.0 * (x[1:] / x[:-1] - 1.0),
}


def check_series(
    values: Sequence[float] | np.ndarray, *, min_observations: int = MIN_OBSERVATIONS
) -> np.ndarray:
    """Return the series as a float array, or raise when no test can run on it.

    Raises
    ------
    NotComputable
        ``"missing_values"`` for NaN or infinite values (with their positions),
        ``"constant_series"`` when every value is equal, ``"too_short"`` below
        ``min_observations``, ``"insufficient_variation"`` when fewer than three
        distinct values occur or one value makes up more than
        :data:`MAX_MODAL_SHARE` of the observations.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"`values` must be one-dimensional; got shape {x.shape}.")

    missing = np.flatnonzero(~np.isfinite(x))
    if missing.size:
        positions = ", ".join(str(int(i)) for i in missing[:10])
        raise NotComputable(
            f"The series has {missing.size} missing or infinite value(s) at position(s) "
            f"{positions}; fill or remove the gap before testing.",
            "missing_values",
        )
    if x.size and np.all(x == x[0]):
        raise NotComputable(
            f"The series is constant (every value is {x[0]:g}); a unit-root test is undefined. "
            "A constant series is trivially stationary.",
            "constant_series",
        )
    if x.size < min_observations:
        raise NotComputable(
            f"The series has {x.size} observation(s); the test needs at least {min_observations}.",
            "too_short",
        )

    distinct, counts = np.unique(x, return_counts=True)
    modal_share = counts.max() / x.size
    if distinct.size < 3 or modal_share > MAX_MODAL_SHARE:
        raise NotComputable(
            f"The series has {distinct.size} distinct value(s) and its most frequent value "
            f"makes up {modal_share:.0%} of the observations; unit-root tests on it would "
            "fit a rank-deficient regression.",
            "insufficient_variation",
        )
    return x


def describe_p_value(
    p_value: float, lower_limit: float | None, upper_limit: float | None
) -> tuple[PValueBound | None, float | None, str]:
    """Classify a p-value against the edges of the table it was read from.

    Parameters
    ----------
    p_value : float
        The library's p-value.
    lower_limit, upper_limit : float or None
        Smallest and largest p-values the table can express. A p-value at or
        beyond the lower limit is reported as "< lower_limit", one at or beyond
        the upper limit as "> upper_limit".

    Returns
    -------
    tuple
        ``(bound, limit, text)`` where ``bound`` is ``"upper"``, ``"lower"`` or
        ``None`` and ``text`` is the p-value as it should be shown.
    """
    if lower_limit is not None and p_value <= lower_limit:
        return "upper", lower_limit, f"< {lower_limit:g}"
    if upper_limit is not None and p_value >= upper_limit:
        return "lower", upper_limit, f"> {upper_limit:g}"
    return None, None, _format_p_value(p_value)


def decide_rejection(
    p_value: float,
    bound: PValueBound | None,
    limit: float | None,
    significance_level: float,
) -> bool | None:
    """Return whether the null hypothesis is rejected, or ``None`` when undecidable.

    An exact p-value rejects when it is below the level. A bounded p-value
    decides only when its limit lies on one side of the level: "p < 0.01"
    rejects at 5 % but cannot decide at 0.5 %.
    """
    if bound is None:
        return p_value < significance_level
    assert limit is not None
    if bound == "upper":
        return True if limit <= significance_level else None
    return False if limit >= significance_level else None


def run_adf_test(
    series: Sequence[float] | np.ndarray,
    *,
    regression: Literal["c", "ct", "n"] = "c",
    autolag: Literal["AIC", "BIC"] = "AIC",
    max_lags: int | None = None,
    significance_level: float = 0.05,
) -> UnitRootTestResult:
    """Run the augmented Dickey-Fuller test (statsmodels ``adfuller``).

    Parameters
    ----------
    series : array_like
        The series, oldest observation first, without missing values.
    regression : {"c", "ct", "n"}
        Deterministic terms of the test regression.
    autolag : {"AIC", "BIC"}
        Criterion that selects the lag count among 0..``max_lags``.
    max_lags : int, optional
        Largest lag considered. By default the Schwert bound, capped at
        ``nobs // 2 - k - 1`` (k deterministic terms) as statsmodels requires.
    significance_level : float
        Level of the decision.

    Returns
    -------
    UnitRootTestResult

    Notes
    -----
    H0: the series has a unit root. A small p-value is evidence of
    stationarity. ``nobs`` is the number of observations in the test
    regression.
    """
    x = check_series(series)
    cap = x.size // 2 - _deterministic_terms(regression) - 1
    chosen_max = min(schwert_max_lags(x.size), cap) if max_lags is None else max_lags
    if chosen_max < 0 or chosen_max > cap:
        raise NotComputable(
            f"The ADF regression with regression={regression!r} needs more observations "
            f"than {x.size} for {chosen_max} lag(s).",
            "too_short",
        )

    result, messages = run_library_call(
        "ADF",
        lambda: adfuller(
            x,
            maxlag=chosen_max,
            regression=regression,
            autolag=autolag,
            result_object=True,
        ),
    )
    statistic, p_value = _finite_pair("ADF", result.statistic, result.pvalue)
    bound, limit, text = describe_p_value(
        p_value, _MACKINNON_LOWER_LIMIT, _MACKINNON_UPPER_LIMIT
    )
    reject = decide_rejection(p_value, bound, limit, significance_level)
    return UnitRootTestResult(
        test="ADF",
        library="statsmodels.tsa.stattools.adfuller",
        statistic=statistic,
        p_value=p_value,
        p_value_bound=bound,
        p_value_limit=limit,
        p_value_text=text,
        lags=int(result.lags),
        lag_method=autolag,
        max_lags=chosen_max,
        nobs=int(result.nobs),
        critical_values=_float_dict(result.critical_values),
        regression=regression,
        null_hypothesis=_UNIT_ROOT_NULL,
        alternative_hypothesis=_UNIT_ROOT_ALTERNATIVE,
        significance_level=significance_level,
        reject_null=reject,
        conclusion=_conclusion(reject, "unit root", text, significance_level),
        status=_status_unit_root(reject),
        warnings=messages + _low_power_warning(x.size),
        details={"information_criterion": _finite_or_none(result.icbest)},
    )


def run_kpss_test(
    series: Sequence[float] | np.ndarray,
    *,
    regression: Literal["c", "ct"] = "c",
    significance_level: float = 0.05,
) -> UnitRootTestResult:
    """Run the KPSS stationarity test (statsmodels ``kpss``, automatic lags).

    Parameters
    ----------
    series : array_like
        The series, oldest observation first, without missing values.
    regression : {"c", "ct"}
        Null hypothesis of level ("c") or trend ("ct") stationarity.
    significance_level : float
        Level of the decision.

    Returns
    -------
    UnitRootTestResult
        ``details["simulated_p_value"]`` is arch's p-value for the same
        statistic and lags, read from a finer simulated table.

    Notes
    -----
    H0: the series is stationary, the opposite of ADF and Phillips-Perron. The
    lag count is chosen by the data-dependent rule of Hobijn, Franses and
    Ooms (2004). statsmodels clips the p-value to [0.01, 0.10]; outside that
    range the p-value is reported as a bound.
    """
    x = check_series(series)

    result, messages = run_library_call(
        "KPSS", lambda: kpss(x, regression=regression, nlags="auto", result_object=True)
    )
    lags = int(result.lags)
    statistic, p_value = _finite_pair("KPSS", result.statistic, result.pvalue)
    bound, limit, text = describe_p_value(p_value, *_KPSS_TABLE_LIMITS)
    reject = decide_rejection(p_value, bound, limit, significance_level)
    return UnitRootTestResult(
        test="KPSS",
        library="statsmodels.tsa.stattools.kpss",
        statistic=statistic,
        p_value=p_value,
        p_value_bound=bound,
        p_value_limit=limit,
        p_value_text=text,
        lags=lags,
        lag_method="auto (Hobijn, Franses and Ooms)",
        max_lags=None,
        nobs=int(x.size),
        critical_values=_float_dict(result.critical_values),
        regression=regression,
        null_hypothesis=(
            "The series is level stationary."
            if regression == "c"
            else "The series is trend stationary."
        ),
        alternative_hypothesis="The series has a unit root.",
        significance_level=significance_level,
        reject_null=reject,
        conclusion=_conclusion(reject, "stationarity", text, significance_level),
        status=_status_stationarity_null(reject),
        warnings=messages + _low_power_warning(x.size),
        details=_arch_kpss_details(x, lags, regression),
    )


def run_pp_test(
    series: Sequence[float] | np.ndarray,
    *,
    trend: Literal["n", "c", "ct"] = "c",
    lags: int | None = None,
    significance_level: float = 0.05,
) -> UnitRootTestResult:
    """Run the Phillips-Perron unit-root test (arch ``PhillipsPerron``, Z-tau).

    Parameters
    ----------
    series : array_like
        The series, oldest observation first, without missing values.
    trend : {"n", "c", "ct"}
        Deterministic terms of the test regression.
    lags : int, optional
        Newey-West lags of the long-run variance; the Schwert bound by
        default, which is arch's own default.
    significance_level : float
        Level of the decision.

    Returns
    -------
    UnitRootTestResult

    Notes
    -----
    H0: the series has a unit root. ``nobs`` is the number of observations in
    the test regression (one fewer than the series).
    """
    x = check_series(series)
    chosen_lags = schwert_max_lags(x.size) if lags is None else lags
    if chosen_lags > x.size - 1:
        raise NotComputable(
            f"Phillips-Perron with {chosen_lags} Newey-West lag(s) needs more than {x.size} "
            "observations.",
            "too_short",
        )

    def compute() -> tuple[PhillipsPerron, float, float]:
        # arch computes the statistic when it is first read.
        test = PhillipsPerron(x, lags=chosen_lags, trend=trend, test_type="tau")
        return test, test.stat, test.pvalue

    (result, raw_statistic, raw_p_value), messages = run_library_call(
        "Phillips-Perron", compute
    )
    statistic, p_value = _finite_pair("Phillips-Perron", raw_statistic, raw_p_value)

    bound, limit, text = describe_p_value(
        p_value, _MACKINNON_LOWER_LIMIT, _MACKINNON_UPPER_LIMIT
    )
    reject = decide_rejection(p_value, bound, limit, significance_level)
    return UnitRootTestResult(
        test="Phillips-Perron",
        library="arch.unitroot.PhillipsPerron",
        statistic=statistic,
        p_value=p_value,
        p_value_bound=bound,
        p_value_limit=limit,
        p_value_text=text,
        lags=int(result.lags),
        lag_method="fixed (Schwert bound)" if lags is None else "fixed (given)",
        max_lags=None,
        nobs=int(result.nobs),
        critical_values=_float_dict(result.critical_values),
        regression=trend,
        null_hypothesis=_UNIT_ROOT_NULL,
        alternative_hypothesis=_UNIT_ROOT_ALTERNATIVE,
        significance_level=significance_level,
        reject_null=reject,
        conclusion=_conclusion(reject, "unit root", text, significance_level),
        status=_status_unit_root(reject),
        warnings=messages + _low_power_warning(x.size),
        details={"test_type": "tau"},
    )


def run_zivot_andrews_test(
    series: Sequence[float] | np.ndarray,
    *,
    regression: Literal["c", "t", "ct"] = "c",
    autolag: Literal["AIC", "BIC"] = "AIC",
    trim: float = 0.15,
    max_lags: int | None = None,
    significance_level: float = 0.05,
) -> UnitRootTestResult:
    """Run the Zivot-Andrews test of a unit root against one structural break.

    Parameters
    ----------
    series : array_like
        The series, oldest observation first, without missing values.
    regression : {"c", "t", "ct"}
        Break in the constant, the trend, or both.
    autolag : {"AIC", "BIC"}
        Criterion that selects the lag count of the base regression.
    trim : float
        Share of the series at each end excluded from the break search.
    max_lags : int, optional
        Largest lag considered. By default the Schwert bound, capped at
        ``nobs // 2 - 3`` and at ``int(trim * nobs) - 3``. The second cap keeps
        the break dummies of the first candidate periods from being collinear
        with the constant once the lags are dropped.
    significance_level : float
        Level of the decision.

    Returns
    -------
    UnitRootTestResult
        ``details["break_index"]`` is the position of the estimated break.

    Notes
    -----
    H0: unit root with one structural break. statsmodels follows Baum's
    approximation: the lag count comes from one ADF regression with constant
    and trend, then stays fixed over the break search.
    """
    x = check_series(series, min_observations=MIN_OBSERVATIONS_ZIVOT_ANDREWS)
    cap = min(x.size // 2 - 3, int(trim * x.size) - 3)
    chosen_max = min(schwert_max_lags(x.size), cap) if max_lags is None else max_lags
    if chosen_max < 0 or chosen_max > cap:
        raise NotComputable(
            f"Zivot-Andrews with trim {trim:g} needs more observations than {x.size} for "
            f"{chosen_max} lag(s).",
            "too_short",
        )

    (statistic, p_value, critical, lags, break_index), messages = run_library_call(
        "Zivot-Andrews",
        lambda: zivot_andrews(
            x, trim=trim, maxlag=chosen_max, regression=regression, autolag=autolag
        ),
    )
    statistic, p_value = _finite_pair("Zivot-Andrews", statistic, p_value)

    bound, limit, text = describe_p_value(p_value, *_ZIVOT_ANDREWS_TABLE_LIMITS)
    reject = decide_rejection(p_value, bound, limit, significance_level)
    return UnitRootTestResult(
        test="Zivot-Andrews",
        library="statsmodels.tsa.stattools.zivot_andrews",
        statistic=statistic,
        p_value=p_value,
        p_value_bound=bound,
        p_value_limit=limit,
        p_value_text=text,
        lags=int(lags),
        lag_method=autolag,
        max_lags=chosen_max,
        nobs=int(x.size),
        critical_values=_float_dict(critical),
        regression=regression,
        null_hypothesis="The series has a unit root with one structural break.",
        alternative_hypothesis="The series is stationary around a broken constant or trend.",
        significance_level=significance_level,
        reject_null=reject,
        conclusion=_conclusion(reject, "unit root", text, significance_level),
        status=_status_unit_root(reject),
        warnings=messages + _low_power_warning(x.size),
        details={"break_index": int(break_index), "trim": trim},
    )


def run_stationarity_tests(
    series: Sequence[float] | np.ndarray,
    *,
    options: StationarityOptions | None = None,
    name: str = "series",
) -> SeriesStationarity:
    """Run ADF, KPSS, Phillips-Perron and Zivot-Andrews on each transformation.

    Parameters
    ----------
    series : array_like
        The series in levels, oldest observation first.
    options : StationarityOptions, optional
        Test options and transformations; the defaults test levels and first
        differences at 5 %.
    name : str
        Name of the series, carried into the result.

    Returns
    -------
    SeriesStationarity
        One :class:`TransformationStationarity` per transformation. A test that
        cannot run appears as :class:`UnavailableTest` with its reason.
    """
    options = options or StationarityOptions()
    x = np.asarray(series, dtype=float)
    results: dict[str, TransformationStationarity] = {}
    for requested in dict.fromkeys(options.transformations):
        transformation = normalise_transformation(requested)
        results[transformation] = _test_transformation(x, transformation, options)
    return SeriesStationarity(
        name=name, nobs=int(x.size), options=options, transformations=results
    )


def _test_transformation(
    x: np.ndarray, transformation: str, options: StationarityOptions
) -> TransformationStationarity:
    description = TRANSFORMATIONS[transformation]
    if np.any(~np.isfinite(x)):
        # Differences would move the gap; report it on the series as given.
        transformed = x
    else:
        try:
            transformed = transform_series(x, transformation)
        except NotComputable as error:
            return TransformationStationarity(
                transformation=transformation,
                description=description,
                nobs=0,
                tests={},
                verdict="not_testable",
                verdict_status=error.status,
                verdict_reason=error.reason,
            )

    alpha = options.significance_level
    runners = {
        "adf": lambda: run_adf_test(
            transformed,
            regression=options.adf_regression,
            autolag=options.adf_autolag,
            significance_level=alpha,
        ),
        "kpss": lambda: run_kpss_test(
            transformed, regression=options.kpss_regression, significance_level=alpha
        ),
        "phillips_perron": lambda: run_pp_test(
            transformed, trend=options.effective_pp_trend, significance_level=alpha
        ),
        "zivot_andrews": lambda: run_zivot_andrews_test(
            transformed,
            regression=options.za_regression,
            autolag=options.adf_autolag,
            trim=options.za_trim,
            significance_level=alpha,
        ),
    }
    labels = {
        "adf": "ADF",
        "kpss": "KPSS",
        "phillips_perron": "Phillips-Perron",
        "zivot_andrews": "Zivot-Andrews",
    }
    tests: dict[str, TestOutcome] = {}
    for key, runner in runners.items():
        try:
            tests[key] = runner()
        except NotComputable as error:
            tests[key] = UnavailableTest(
                test=labels[key], status=error.status, reason=error.reason
            )

    verdict, verdict_status, reason = _combine(tests)
    return TransformationStationarity(
        transformation=transformation,
        description=description,
        nobs=int(transformed.size),
        tests=tests,
        verdict=verdict,
        verdict_status=verdict_status,
        verdict_reason=reason,
        warnings=_low_power_warning(int(transformed.size)),
    )


def _combine(tests: dict[str, TestOutcome]) -> tuple[str, str | None, str]:
    """Combine ADF and Phillips-Perron (H0 unit root) with KPSS (H0 stationary)."""
    unit_root_tests = [tests["adf"], tests["phillips_perron"]]
    stationarity_test = tests["kpss"]
    computed = [
        t
        for t in [*unit_root_tests, stationarity_test]
        if isinstance(t, UnitRootTestResult)
    ]
    if not computed:
        unavailable = [t for t in tests.values() if isinstance(t, UnavailableTest)]
        first = unavailable[0]
        return "not_testable", first.status, first.reason

    missing = [
        t.test
        for t in [*unit_root_tests, stationarity_test]
        if isinstance(t, UnavailableTest)
    ]
    undecided = [t.test for t in computed if t.reject_null is None]
    if missing or undecided:
        parts = []
        if missing:
            parts.append(f"not computable: {', '.join(missing)}")
        if undecided:
            parts.append(f"undecided at this level: {', '.join(undecided)}")
        return "inconclusive", "amber", "; ".join(parts) + "."

    unit_root_rejections = [
        t.reject_null for t in unit_root_tests if isinstance(t, UnitRootTestResult)
    ]
    assert isinstance(stationarity_test, UnitRootTestResult)
    kpss_rejects = stationarity_test.reject_null
    if all(unit_root_rejections) and not kpss_rejects:
        return (
            "stationary",
            "green",
            "ADF and Phillips-Perron reject a unit root; KPSS does not reject stationarity.",
        )
    if not any(unit_root_rejections) and kpss_rejects:
        return (
            "unit_root",
            "red",
            "ADF and Phillips-Perron do not reject a unit root; KPSS rejects stationarity.",
        )
    if all(unit_root_rejections) == any(unit_root_rejections):
        return (
            "inconclusive",
            "amber",
            "ADF and Phillips-Perron agree with each other but KPSS points the other way.",
        )
    return (
        "inconclusive",
        "amber",
        "ADF and Phillips-Perron disagree about a unit root.",
    )


def _arch_kpss_details(
    x: np.ndarray, lags: int, regression: Literal["c", "ct"]
) -> dict[str, Any]:
    """Add arch's finer KPSS p-value for the statsmodels statistic and lags."""
    source = "arch.unitroot.KPSS with the same lags"
    try:
        raw_p_value, _ = run_library_call(
            "KPSS (arch)", lambda: ArchKPSS(x, lags=lags, trend=regression).pvalue
        )
        p_value = _finite_pair("KPSS (arch)", 0.0, raw_p_value)[1]
    except NotComputable as error:
        return {
            "simulated_p_value": None,
            "simulated_p_value_source": source,
            "reason": error.reason,
        }
    lower_limit = kpss_crit(math.inf, regression)[0]
    bound, limit, text = describe_p_value(p_value, lower_limit, None)
    return {
        "simulated_p_value": p_value,
        "simulated_p_value_bound": bound,
        "simulated_p_value_limit": limit,
        "simulated_p_value_text": text,
        "simulated_p_value_source": source,
    }


def _conclusion(reject: bool | None, null_name: str, p_text: str, alpha: float) -> str:
    level = f"{alpha * 100:g} %"
    if reject is None:
        return f"Undecided at {level}: the p-value is only known to be {p_text}."
    if reject:
        return f"Reject {null_name} at {level} (p {_with_operator(p_text)})."
    return f"Do not reject {null_name} at {level} (p {_with_operator(p_text)})."


def _with_operator(p_text: str) -> str:
    return p_text if p_text[0] in "<>" else f"= {p_text}"


def _status_unit_root(reject: bool | None) -> str | None:
    if reject is None:
        return None
    return "green" if reject else "amber"


def _status_stationarity_null(reject: bool | None) -> str | None:
    if reject is None:
        return None
    return "amber" if reject else "green"


def _deterministic_terms(regression: str) -> int:
    return {"n": 0, "c": 1, "t": 1, "ct": 2, "ctt": 3}[regression]


def _format_p_value(p_value: float) -> str:
    if p_value >= 0.0001:
        return f"{p_value:.4f}"
    return f"{p_value:.2e}"


def _low_power_warning(nobs: int) -> tuple[str, ...]:
    if nobs < LOW_POWER_OBSERVATIONS:
        return (
            f"Only {nobs} observations: unit-root tests have low power on fewer than "
            f"{LOW_POWER_OBSERVATIONS}.",
        )
    return ()


def run_library_call(test: str, compute: Callable[[], T]) -> tuple[T, tuple[str, ...]]:
    """Run a library call, keep its warnings, and report a degenerate input as not computable.

    The checks of :func:`check_series` catch the usual degenerate series. The
    libraries still fail on rarer ones (a rank-deficient lag regression, a
    lag rule that divides by zero or overflows, products of tiny values that
    underflow to NaN), and they raise these exception types.
    """
    # NOTE: warnings.catch_warnings swaps process-wide state and is not
    # thread-safe before Python 3.14. When tests run in several threads at
    # once, a warning text can land in the wrong result. The statistics
    # themselves are unaffected.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = compute()
        except (
            ValueError,
            ArithmeticError,
            np.linalg.LinAlgError,
            InfeasibleTestException,
            MissingDataError,
        ) as error:
            detail = " ".join(str(error).split())
            raise NotComputable(
                f"{test} failed on this series because its test regression is degenerate "
                f"({type(error).__name__}: {detail}).",
                "infeasible",
            ) from error
    messages = tuple(
        dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)
    )
    return result, messages


def _finite_pair(test: str, statistic: Any, p_value: Any) -> tuple[float, float]:
    pair = (float(statistic), float(p_value))
    if not all(math.isfinite(value) for value in pair):
        raise NotComputable(
            f"{test} returned a non-finite statistic or p-value for this series.",
            "numerically_undefined",
        )
    return pair


def _float_dict(values: dict[str, Any]) -> dict[str, float]:
    return {str(key): float(value) for key, value in values.items()}


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _check_choice(name: str, value: Any, allowed: tuple[Any, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {allowed}; got {value!r}.")


def _fields_dict(instance: Any) -> dict[str, Any]:
    return to_jsonable(
        {
            item.name: getattr(instance, item.name)
            for item in dataclasses.fields(instance)
        }
    )
