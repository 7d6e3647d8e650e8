"""Ordinary least squares fit of a satellite model and the tests on its residuals.

Every statistic comes from statsmodels or SciPy. This module checks the
input, passes every option explicitly, and turns each result into a small
record with its null hypothesis and decision. The sources:

- Fit: ``statsmodels.api.OLS`` with classical or Newey-West (HAC) standard
  errors (Newey and West 1987, "A simple, positive semi-definite,
  heteroskedasticity and autocorrelation consistent covariance matrix").
- Autocorrelation: Durbin and Watson (1950), "Testing for serial correlation
  in least squares regression"; Breusch (1978) and Godfrey (1978) LM test;
  Ljung and Box (1978), "On a measure of lack of fit in time series models".
- Heteroscedasticity: Breusch and Pagan (1979) in Koenker's studentised form
  (Koenker 1981, "A note on studentizing a test for heteroscedasticity");
  White (1980), "A heteroskedasticity-consistent covariance matrix estimator
  and a direct test for heteroskedasticity".
- Normality: Jarque and Bera (1980); Shapiro and Wilk (1965);
  Anderson-Darling with estimated mean and variance. Its critical values are
  computed here from Stephens' small-sample formula
  ``A_alpha / (1 + 0.75 / n + 2.25 / n^2)`` with ``A_alpha`` = 0.561, 0.631,
  0.752, 0.873, 1.035 at 15, 10, 5, 2.5 and 1 % (D'Agostino and Stephens
  1986, "Goodness-of-fit techniques", Table 4.7), because SciPy 1.17
  deprecated returning them.
- Functional form: Ramsey (1969) RESET on powers of the fitted values.
- Collinearity: variance inflation factors, the condition number of the
  design matrix, and the scaled condition number of Belsley, Kuh and Welsch
  (1980), "Regression diagnostics", where every column has unit length.

Exact collinearity is found by hand from the singular value decomposition of
the column-scaled design matrix, because the libraries fit such a model
silently with a pseudo-inverse.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import (
    acorr_breusch_godfrey,
    acorr_ljungbox,
    het_breuschpagan,
    het_white,
    linear_reset,
)
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.stattools import durbin_watson, jarque_bera
from statsmodels.tsa.stattools import acf, pacf

from mmt.jsonsafe import to_jsonable
from mmt.stats import NotComputable
from mmt.stats.stationarity import (
    decide_rejection,
    describe_p_value,
    run_library_call,
)

__all__ = [
    "ANDERSON_DARLING_LEVELS",
    "CONSTANT_NAME",
    "CoefficientEstimate",
    "Correlogram",
    "DiagnosticTest",
    "RegressionDiagnostics",
    "RegressionFit",
    "anderson_darling_test",
    "breusch_godfrey_test",
    "breusch_pagan_test",
    "collinear_groups",
    "correlogram",
    "default_ljungbox_lags",
    "durbin_watson_test",
    "fit_regression",
    "jarque_bera_test",
    "ljung_box_test",
    "newey_west_lags",
    "reset_test",
    "run_error_diagnostics",
    "run_regression_diagnostics",
    "shapiro_wilk_test",
    "variance_inflation_factors",
    "white_test",
]

CONSTANT_NAME = "const"

# Columns whose unit-length versions span a space of lower dimension, up to
# this relative size of the smallest singular value, are exactly collinear.
_COLLINEARITY_TOLERANCE = 1e-10

# Residuals whose norm is below this share of the target's spread (R-squared
# above 1 - 1e-12) are rounding noise of an exact fit, such as a stored
# transform of the target used as a regressor. Residual tests on them are
# meaningless.
_EXACT_FIT_TOLERANCE = 1e-6
# NOTE: an auxiliary regression (Breusch-Pagan, White) with 1 - R-squared at or
# below this counts as an exact fit, so its F form is reported as undefined. The
# cut-off is a choice: it sits far above rounding noise and far below any real fit.
_EXACT_AUXILIARY_FIT = 1e-10

# Significance levels (percent) and Stephens' asymptotic points for the
# Anderson-Darling test of normality with estimated mean and variance.
ANDERSON_DARLING_LEVELS = (15.0, 10.0, 5.0, 2.5, 1.0)
_ANDERSON_DARLING_POINTS = (0.561, 0.631, 0.752, 0.873, 1.035)

SignSymbol = Literal["+", "-"]


@dataclass(frozen=True, slots=True)
class CoefficientEstimate:
    """One estimated coefficient with its test and the expected-sign check."""

    name: str
    estimate: float
    std_error: float
    t_value: float
    p_value: float
    ci_lower: float
    ci_upper: float
    significant: bool
    expected_sign: SignSymbol | None
    sign_matches: bool | None

    def to_dict(self) -> dict[str, Any]:
        """Return the coefficient as plain JSON values."""
        return _fields_dict(self)


@dataclass(frozen=True, slots=True)
class RegressionFit:
    """An OLS fit of the target on the regressors, with a constant.

    ``results`` is the statsmodels results object, used by the diagnostics
    and left out of :meth:`to_dict`, as are the fitted values and residuals.
    """

    nobs: int
    n_regressors: int
    df_resid: float
    regressor_names: tuple[str, ...]
    coefficients: tuple[CoefficientEstimate, ...]
    r_squared: float
    adj_r_squared: float
    f_statistic: float | None
    f_p_value: float | None
    log_likelihood: float
    aic: float
    bic: float
    residual_std_error: float
    cov_type: str
    hac_lags: int | None
    confidence_level: float
    significance_level: float
    condition_number: float
    condition_number_scaled: float
    warnings: tuple[str, ...]
    fitted_values: np.ndarray = field(repr=False, compare=False)
    residuals: np.ndarray = field(repr=False, compare=False)
    design: np.ndarray = field(repr=False, compare=False)
    results: Any = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the fit summary as plain JSON values."""
        skipped = {"fitted_values", "residuals", "design", "results"}
        return to_jsonable(
            {
                item.name: getattr(self, item.name)
                for item in dataclasses.fields(self)
                if item.name not in skipped
            }
        )


@dataclass(frozen=True, slots=True)
class DiagnosticTest:
    """Outcome of one residual test, or the reason it could not run.

    When the test could not run, ``statistic`` is ``None``,
    ``not_computable_status`` contains the machine-readable status and
    ``reason`` the explanation. ``p_value_bound`` marks a p-value read at
    the edge of a table, as in :mod:`mmt.stats.stationarity`.
    """

    test: str
    null_hypothesis: str
    statistic: float | None = None
    p_value: float | None = None
    p_value_bound: Literal["upper", "lower"] | None = None
    p_value_limit: float | None = None
    p_value_text: str | None = None
    df: float | None = None
    reject_null: bool | None = None
    conclusion: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    not_computable_status: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the test as plain JSON values."""
        return _fields_dict(self)


@dataclass(frozen=True, slots=True)
class Correlogram:
    """Autocorrelations or partial autocorrelations with confidence bands.

    ``confint_lower`` and ``confint_upper`` are the intervals around each
    value as statsmodels returns them. ``band_lower`` and ``band_upper`` are
    the same intervals centred on zero, which is the band a chart draws.
    """

    kind: Literal["acf", "pacf"]
    lags: tuple[int, ...]
    values: tuple[float, ...]
    confint_lower: tuple[float, ...]
    confint_upper: tuple[float, ...]
    band_lower: tuple[float, ...]
    band_upper: tuple[float, ...]
    alpha: float
    method: str
    nobs: int
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the correlogram as plain JSON values."""
        return _fields_dict(self)


@dataclass(frozen=True, slots=True)
class RegressionDiagnostics:
    """Residual tests, variance inflation factors and condition numbers of a fit."""

    tests: dict[str, DiagnosticTest]
    variance_inflation_factors: dict[str, float]
    condition_number: float
    condition_number_scaled: float
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the diagnostics as plain JSON values."""
        return _fields_dict(self)


def newey_west_lags(nobs: int) -> int:
    """Return the Newey-West (1994) rule ``floor(4 * (nobs / 100) ** (2 / 9))``."""
    return int(math.floor(4.0 * (nobs / 100.0) ** (2.0 / 9.0)))


def collinear_groups(design: np.ndarray, names: Sequence[str]) -> list[list[str]]:
    """Return the groups of design columns that are exactly collinear.

    Parameters
    ----------
    design : numpy.ndarray
        Design matrix, one column per name (the constant included).
    names : sequence of str
        Column names.

    Returns
    -------
    list of list of str
        One group per direction of the null space; empty when the design has
        full column rank. A constant regressor appears together with the
        constant column.
    """
    x = np.asarray(design, dtype=float)
    norms = np.linalg.norm(x, axis=0)
    zero_columns = [names[j] for j in np.flatnonzero(norms == 0)]
    scaled = x / np.where(norms == 0, 1.0, norms)
    _, singular_values, right = np.linalg.svd(scaled, full_matrices=True)
    padded = np.zeros(x.shape[1])
    padded[: singular_values.size] = singular_values
    null_directions = right[
        padded <= _COLLINEARITY_TOLERANCE * max(padded.max(), 1e-300)
    ]

    groups = [[name] for name in zero_columns]
    for direction in null_directions:
        weights = np.abs(direction)
        members = [names[j] for j in np.flatnonzero(weights > 1e-6 * weights.max())]
        if members and members not in groups:
            groups.append(members)
    return groups


def fit_regression(
    target: Sequence[float] | np.ndarray,
    regressors: np.ndarray,
    names: Sequence[str],
    *,
    cov_type: Literal["nonrobust", "HAC"] = "nonrobust",
    hac_lags: int | None = None,
    expected_signs: Mapping[str, SignSymbol] | None = None,
    significance_level: float = 0.05,
) -> RegressionFit:
    """Fit ``target = const + regressors @ beta + error`` by OLS (statsmodels).

    Parameters
    ----------
    target : array_like
        Dependent variable, length n.
    regressors : numpy.ndarray
        n x k matrix of regressors without the constant.
    names : sequence of str
        Names of the k regressors.
    cov_type : {"nonrobust", "HAC"}
        Classical or Newey-West standard errors (Bartlett kernel).
    hac_lags : int, optional
        Newey-West lags; :func:`newey_west_lags` of n by default.
    expected_signs : mapping of str to {"+", "-"}, optional
        Economic sign expected for a regressor's coefficient.
    significance_level : float
        Level of the coefficient t-tests and of the confidence intervals.

    Returns
    -------
    RegressionFit

    Raises
    ------
    NotComputable
        ``"missing_values"``, ``"too_short"`` (no residual degree of freedom),
        ``"collinear_regressors"`` (the reason names the columns),
        ``"constant_target"``, or ``"exact_fit"`` when the regressors
        reproduce the target exactly.
    """
    y = np.asarray(target, dtype=float)
    x = np.asarray(regressors, dtype=float).reshape(y.size, -1)
    names = tuple(names)
    if x.shape[1] != len(names):
        raise ValueError(
            f"Got {x.shape[1]} regressor column(s) but {len(names)} name(s)."
        )
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(x))):
        raise NotComputable(
            "The target or a regressor has missing values.", "missing_values"
        )
    k = x.shape[1]
    if y.size - k - 1 < 1:
        raise NotComputable(
            f"{y.size} observation(s) leave no residual degree of freedom for {k} regressor(s) "
            "and a constant.",
            "too_short",
        )

    design = np.column_stack([np.ones(y.size), x])
    column_names = (CONSTANT_NAME, *names)
    groups = collinear_groups(design, column_names)
    if groups:
        listed = "; ".join(" + ".join(group) for group in groups)
        raise NotComputable(
            f"Exactly collinear columns: {listed}.", "collinear_regressors"
        )

    if np.all(y == y[0]):
        raise NotComputable(
            "The target is constant, so R-squared and the coefficient tests are undefined.",
            "constant_target",
        )

    lags: int | None = None
    if cov_type == "HAC":
        lags = newey_west_lags(y.size) if hac_lags is None else hac_lags
        fit_options: dict[str, Any] = {
            "cov_type": "HAC",
            "cov_kwds": {
                "maxlags": lags,
                "kernel": "bartlett",
                "use_correction": False,
            },
        }
    else:
        fit_options = {}
    results, messages = run_library_call(
        "OLS", lambda: sm.OLS(y, design).fit(**fit_options)
    )
    residuals = np.asarray(results.resid, dtype=float)
    if _is_exact_fit(y, residuals):
        raise NotComputable(
            "The regressors reproduce the target exactly (the residuals are rounding "
            "noise), so standard errors and residual tests are undefined. A transform "
            "of the target among the regressors causes this.",
            "exact_fit",
        )

    signs = dict(expected_signs or {})
    summary, summary_messages = run_library_call(
        "OLS", lambda: _summarise(results, column_names, signs, significance_level, k)
    )
    coefficients, f_statistic, f_p_value = summary
    return RegressionFit(
        nobs=int(results.nobs),
        n_regressors=k,
        df_resid=float(results.df_resid),
        regressor_names=names,
        coefficients=coefficients,
        r_squared=float(results.rsquared),
        adj_r_squared=float(results.rsquared_adj),
        f_statistic=f_statistic,
        f_p_value=f_p_value,
        log_likelihood=float(results.llf),
        aic=float(results.aic),
        bic=float(results.bic),
        residual_std_error=float(np.sqrt(results.scale)),
        cov_type=cov_type,
        hac_lags=lags,
        confidence_level=1.0 - significance_level,
        significance_level=significance_level,
        condition_number=float(results.condition_number),
        condition_number_scaled=_scaled_condition_number(design),
        warnings=tuple(dict.fromkeys(messages + summary_messages)),
        fitted_values=np.asarray(results.fittedvalues, dtype=float),
        residuals=residuals,
        design=design,
        results=results,
    )


def _summarise(
    results: Any,
    column_names: Sequence[str],
    signs: Mapping[str, SignSymbol],
    significance_level: float,
    k: int,
) -> tuple[tuple[CoefficientEstimate, ...], float | None, float | None]:
    confidence = results.conf_int(alpha=significance_level)
    coefficients = []
    for j, name in enumerate(column_names):
        estimate = float(results.params[j])
        expected = signs.get(name)
        matches = None if expected is None else _sign_matches(estimate, expected)
        coefficients.append(
            CoefficientEstimate(
                name=name,
                estimate=estimate,
                std_error=float(results.bse[j]),
                t_value=float(results.tvalues[j]),
                p_value=float(results.pvalues[j]),
                ci_lower=float(confidence[j, 0]),
                ci_upper=float(confidence[j, 1]),
                significant=bool(results.pvalues[j] < significance_level),
                expected_sign=expected,
                sign_matches=matches,
            )
        )
    f_statistic, f_p_value = _f_test(results, k)
    return tuple(coefficients), f_statistic, f_p_value


def variance_inflation_factors(
    design: np.ndarray, names: Sequence[str]
) -> tuple[dict[str, float], tuple[str, ...]]:
    """Compute the VIF of every regressor (statsmodels, standardised columns).

    Parameters
    ----------
    design : numpy.ndarray
        Design matrix of full column rank whose first column is the constant.
    names : sequence of str
        Names of the columns after the constant.

    Returns
    -------
    tuple
        ``(values, warnings)``: VIF per regressor and the library's warnings,
        such as a poorly conditioned design.

    Notes
    -----
    ``VIF_j = 1 / (1 - R_j^2)`` with ``R_j^2`` from regressing regressor j on
    the other regressors and the constant; the constant's own VIF is skipped.
    """
    values, messages = run_library_call(
        "VIF",
        lambda: {
            name: float(variance_inflation_factor(design, j, standardize=True))
            for j, name in enumerate(names, start=1)
        },
    )
    return values, messages


def durbin_watson_test(
    residuals: Sequence[float] | np.ndarray, *, lower: float = 1.5, upper: float = 2.5
) -> DiagnosticTest:
    """Compute the Durbin-Watson statistic and read it against a band.

    ``lower`` and ``upper`` form the rule-of-thumb band of no first-order
    autocorrelation; below it points to positive, above it to negative
    autocorrelation. No p-value: exact bounds depend on the design.
    """
    e = _finite(residuals, minimum=2, test="Durbin-Watson")
    if not np.any(e):
        raise NotComputable(
            "Every residual is zero, so Durbin-Watson is undefined.", "perfect_fit"
        )
    value = float(durbin_watson(e))
    if value < lower:
        interpretation = "Evidence of positive autocorrelation."
    elif value > upper:
        interpretation = "Evidence of negative autocorrelation."
    else:
        interpretation = "Little to no autocorrelation."
    return DiagnosticTest(
        test="Durbin-Watson",
        null_hypothesis="The residuals have no first-order autocorrelation.",
        statistic=value,
        conclusion=interpretation,
        parameters={"lower": lower, "upper": upper},
        details={"interpretation": interpretation, "rho_estimate": 1.0 - value / 2.0},
    )


def breusch_godfrey_test(
    fit: RegressionFit, *, lags: int, significance_level: float
) -> DiagnosticTest:
    """Run the Breusch-Godfrey LM test for autocorrelation up to ``lags``."""
    if lags < 1:
        raise NotComputable(
            f"Breusch-Godfrey needs at least one lag; got {lags}.", "invalid_lags"
        )
    parameters = fit.n_regressors + 1 + lags
    if fit.nobs - parameters < 1:
        raise NotComputable(
            f"Breusch-Godfrey with {lags} lag(s) fits {parameters} parameters on {fit.nobs} "
            "observations.",
            "too_short",
        )
    result, messages = run_library_call(
        "Breusch-Godfrey",
        lambda: acorr_breusch_godfrey(fit.results, nlags=lags, result_object=True),
    )
    return _p_value_test(
        "Breusch-Godfrey",
        f"The residuals have no autocorrelation up to lag {lags}.",
        float(result.lm),
        float(result.lmpval),
        significance_level,
        df=float(lags),
        parameters={"lags": lags},
        details=_f_form(float(result.fval), float(result.fpval)),
        messages=messages,
    )


def ljung_box_test(
    residuals: Sequence[float] | np.ndarray,
    *,
    lags: int,
    significance_level: float,
    model_df: int = 0,
) -> DiagnosticTest:
    """Run the Ljung-Box test up to ``lags`` and keep the statistic at every lag."""
    e = _finite(residuals, minimum=3, test="Ljung-Box")
    if not 1 <= lags < e.size:
        raise NotComputable(
            f"Ljung-Box needs between 1 and {e.size - 1} lags for {e.size} observations; got {lags}.",
            "too_short",
        )
    if np.all(e == e[0]):
        raise NotComputable(
            "The residuals are constant, so autocorrelations are undefined.",
            "perfect_fit",
        )
    table, messages = run_library_call(
        "Ljung-Box",
        lambda: acorr_ljungbox(
            e, lags=list(range(1, lags + 1)), model_df=model_df, return_df=True
        ),
    )
    last = table.iloc[-1]
    return _p_value_test(
        "Ljung-Box",
        f"The residuals have no autocorrelation up to lag {lags}.",
        float(last["lb_stat"]),
        float(last["lb_pvalue"]),
        significance_level,
        df=float(lags - model_df),
        parameters={"lags": lags, "model_df": model_df},
        details={
            "by_lag": [
                {
                    "lag": int(lag),
                    "statistic": float(row["lb_stat"]),
                    "p_value": float(row["lb_pvalue"]),
                }
                for lag, row in table.iterrows()
            ]
        },
        messages=messages,
    )


def breusch_pagan_test(
    residuals: Sequence[float] | np.ndarray,
    exog: np.ndarray,
    *,
    significance_level: float,
) -> DiagnosticTest:
    """Run the Breusch-Pagan test (Koenker's studentised form) against ``exog``.

    ``exog`` must contain the constant column.
    """
    e = _finite(residuals, minimum=3, test="Breusch-Pagan")
    x = np.asarray(exog, dtype=float)
    if e.size - x.shape[1] < 1:
        raise NotComputable(
            f"Breusch-Pagan regresses on {x.shape[1]} columns with {e.size} observations.",
            "too_short",
        )
    if not np.any(e):
        raise NotComputable(
            "Every residual is zero, so Breusch-Pagan is undefined.", "perfect_fit"
        )
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise NotComputable(
            "The Breusch-Pagan regressors are collinear (for example a constant series beside the "
            "constant), so the test is undefined.",
            "collinear_regressors",
        )
    (lm, lm_p, f_value, f_p), messages = run_library_call(
        "Breusch-Pagan", lambda: het_breuschpagan(e, x, robust=True)
    )
    return _p_value_test(
        "Breusch-Pagan",
        "The residual variance does not depend on the regressors (homoscedasticity).",
        float(lm),
        float(lm_p),
        significance_level,
        df=float(x.shape[1] - 1),
        parameters={"robust": True},
        details=_f_form(float(f_value), float(f_p), float(lm) / e.size),
        messages=messages,
    )


def white_test(
    residuals: Sequence[float] | np.ndarray,
    exog: np.ndarray,
    *,
    significance_level: float,
) -> DiagnosticTest:
    """Run White's test with squares and cross-products of ``exog`` (with constant)."""
    e = _finite(residuals, minimum=3, test="White")
    x = np.asarray(exog, dtype=float)
    auxiliary_columns = x.shape[1] * (x.shape[1] + 1) // 2
    if e.size - auxiliary_columns < 1:
        raise NotComputable(
            f"White's test regresses on {auxiliary_columns} squares and cross-products with "
            f"{e.size} observations.",
            "too_short",
        )
    if not np.any(e):
        raise NotComputable(
            "Every residual is zero, so White's test is undefined.", "perfect_fit"
        )
    # Squares of a dummy repeat its column, so statsmodels warns about a
    # rank-deficient auxiliary design and counts the degrees of freedom as
    # its rank less the constant.
    (lm, lm_p, f_value, f_p), messages = run_library_call(
        "White", lambda: het_white(e, x)
    )
    first, second = np.triu_indices(x.shape[1])
    df = float(np.linalg.matrix_rank(x[:, first] * x[:, second]) - 1)
    return _p_value_test(
        "White",
        "The residual variance does not depend on the regressors, their squares or products.",
        float(lm),
        float(lm_p),
        significance_level,
        df=df,
        parameters={"interaction_terms": True},
        details=_f_form(float(f_value), float(f_p), float(lm) / e.size),
        messages=messages,
    )


def jarque_bera_test(
    residuals: Sequence[float] | np.ndarray, *, significance_level: float
) -> DiagnosticTest:
    """Run the Jarque-Bera test of normal skewness and kurtosis."""
    e = _finite(residuals, minimum=3, test="Jarque-Bera")
    _require_variation(e, "Jarque-Bera")
    (statistic, p_value, skew, kurtosis), messages = run_library_call(
        "Jarque-Bera", lambda: jarque_bera(e)
    )
    return _p_value_test(
        "Jarque-Bera",
        "The residuals are normally distributed.",
        float(statistic),
        float(p_value),
        significance_level,
        df=2.0,
        details={"skewness": float(skew), "kurtosis": float(kurtosis)},
        messages=messages,
    )


def shapiro_wilk_test(
    residuals: Sequence[float] | np.ndarray, *, significance_level: float
) -> DiagnosticTest:
    """Run the Shapiro-Wilk test of normality (SciPy)."""
    e = _finite(residuals, minimum=3, test="Shapiro-Wilk")
    _require_variation(e, "Shapiro-Wilk")
    result, messages = run_library_call("Shapiro-Wilk", lambda: stats.shapiro(e))
    return _p_value_test(
        "Shapiro-Wilk",
        "The residuals are normally distributed.",
        float(result.statistic),
        float(result.pvalue),
        significance_level,
        messages=messages,
    )


def anderson_darling_test(
    residuals: Sequence[float] | np.ndarray, *, significance_level: float
) -> DiagnosticTest:
    """Run the Anderson-Darling test of normality with estimated mean and variance.

    The statistic and the interpolated p-value come from SciPy
    (``method="interpolate"``). The table only covers p-values from 1 % to
    15 %, so a p-value outside is reported as a bound. The critical values
    follow Stephens' formula, rounded to three decimals as SciPy does.
    """
    e = _finite(residuals, minimum=3, test="Anderson-Darling")
    _require_variation(e, "Anderson-Darling")
    result, messages = run_library_call(
        "Anderson-Darling", lambda: stats.anderson(e, dist="norm", method="interpolate")
    )
    critical = [
        round(point / (1.0 + 0.75 / e.size + 2.25 / e.size**2), 3)
        for point in _ANDERSON_DARLING_POINTS
    ]
    test = _p_value_test(
        "Anderson-Darling",
        "The residuals are normally distributed.",
        float(result.statistic),
        float(result.pvalue),
        significance_level,
        table_limits=(
            ANDERSON_DARLING_LEVELS[-1] / 100.0,
            ANDERSON_DARLING_LEVELS[0] / 100.0,
        ),
        details={
            "critical_values": critical,
            "significance_levels_percent": list(ANDERSON_DARLING_LEVELS),
        },
        messages=messages,
    )
    return test


def reset_test(
    fit: RegressionFit, *, power: int, significance_level: float
) -> DiagnosticTest:
    """Run Ramsey's RESET with powers 2..``power`` of the fitted values (Wald chi-square)."""
    if power < 2:
        raise NotComputable(
            f"RESET needs a power of at least 2; got {power}.", "invalid_power"
        )
    parameters = fit.n_regressors + 1 + (power - 1)
    if fit.nobs - parameters < 1:
        raise NotComputable(
            f"RESET with power {power} fits {parameters} parameters on {fit.nobs} observations.",
            "too_short",
        )
    if np.allclose(fit.residuals, 0.0):
        raise NotComputable(
            "Every residual is zero, so RESET is undefined.", "perfect_fit"
        )
    result, messages = run_library_call(
        "Ramsey RESET",
        lambda: linear_reset(
            fit.results,
            power=power,
            test_type="fitted",
            use_f=False,
            cov_type="nonrobust",
        ),
    )
    return _p_value_test(
        "Ramsey RESET",
        "The linear functional form is correct (powers of the fitted values add nothing).",
        float(result.statistic),
        float(result.pvalue),
        significance_level,
        df=float(result.df_denom),
        parameters={"power": power, "test_type": "fitted", "use_f": False},
        messages=messages,
    )


def correlogram(
    values: Sequence[float] | np.ndarray,
    *,
    kind: Literal["acf", "pacf"],
    lags: int,
    alpha: float = 0.05,
) -> Correlogram:
    """Compute the ACF (Bartlett bands) or PACF (bands +/- z / sqrt(n)) with lag 0.

    Parameters
    ----------
    values : array_like
        The series, usually residuals in time order.
    kind : {"acf", "pacf"}
        Autocorrelations or partial autocorrelations (Yule-Walker, adjusted).
    lags : int
        Largest lag; the PACF needs ``lags < nobs // 2``.
    alpha : float
        One minus the confidence level of the bands.
    """
    x = _finite(values, minimum=4, test=kind.upper())
    if np.all(x == x[0]):
        raise NotComputable(
            "The series is constant, so autocorrelations are undefined.",
            "constant_series",
        )
    limit = x.size // 2 - 1 if kind == "pacf" else x.size - 1
    if not 1 <= lags <= limit:
        raise NotComputable(
            f"The {kind.upper()} of {x.size} observations allows between 1 and {limit} lags; got {lags}.",
            "too_short",
        )
    if kind == "acf":
        result, messages = run_library_call(
            "ACF",
            lambda: acf(
                x,
                nlags=lags,
                alpha=alpha,
                fft=True,
                adjusted=False,
                bartlett_confint=True,
                result_object=True,
            ),
        )
        estimates = np.asarray(result.acf, dtype=float)
        method = "acf (Bartlett confidence bands)"
    else:
        result, messages = run_library_call(
            "PACF",
            lambda: pacf(
                x, nlags=lags, alpha=alpha, method="ywadjusted", result_object=True
            ),
        )
        estimates = np.asarray(result.pacf, dtype=float)
        method = "pacf ywadjusted (bands +/- z / sqrt(n))"
    interval = np.asarray(result.confint, dtype=float)
    if not (np.all(np.isfinite(estimates)) and np.all(np.isfinite(interval))):
        raise NotComputable(
            f"The {kind.upper()} of this series is not finite.", "numerically_undefined"
        )
    return Correlogram(
        kind=kind,
        lags=tuple(range(lags + 1)),
        values=tuple(float(v) for v in estimates),
        confint_lower=tuple(float(v) for v in interval[:, 0]),
        confint_upper=tuple(float(v) for v in interval[:, 1]),
        band_lower=tuple(float(v) for v in interval[:, 0] - estimates),
        band_upper=tuple(float(v) for v in interval[:, 1] - estimates),
        alpha=alpha,
        method=method,
        nobs=int(x.size),
        warnings=messages,
    )


def run_regression_diagnostics(
    fit: RegressionFit,
    *,
    bg_lags: int = 4,
    ljungbox_lags: int | None = None,
    reset_power: int = 3,
    significance_level: float = 0.05,
    durbin_watson_band: tuple[float, float] = (1.5, 2.5),
) -> RegressionDiagnostics:
    """Run every residual test, the VIFs and the condition numbers of a fit.

    Parameters
    ----------
    fit : RegressionFit
        The fit from :func:`fit_regression`.
    bg_lags : int
        Breusch-Godfrey lags (4 suits quarterly data).
    ljungbox_lags : int, optional
        Ljung-Box lags; ``min(10, nobs // 5)`` by default, the rule of
        Hyndman and Athanasopoulos, "Forecasting: principles and practice".
    reset_power : int
        Highest power of the fitted values in RESET.
    significance_level : float
        Level of every decision.
    durbin_watson_band : tuple of float
        Band of Durbin-Watson values read as no autocorrelation.

    Returns
    -------
    RegressionDiagnostics
        A test that cannot run on this fit is kept with its reason.
    """
    e = fit.residuals
    alpha = significance_level
    lb_lags = (
        default_ljungbox_lags(fit.nobs) if ljungbox_lags is None else ljungbox_lags
    )
    runners = {
        "durbin_watson": (
            "Durbin-Watson",
            lambda: durbin_watson_test(
                e, lower=durbin_watson_band[0], upper=durbin_watson_band[1]
            ),
        ),
        "breusch_godfrey": (
            "Breusch-Godfrey",
            lambda: breusch_godfrey_test(fit, lags=bg_lags, significance_level=alpha),
        ),
        "ljung_box": (
            "Ljung-Box",
            lambda: ljung_box_test(e, lags=lb_lags, significance_level=alpha),
        ),
        "breusch_pagan": (
            "Breusch-Pagan",
            lambda: breusch_pagan_test(e, fit.design, significance_level=alpha),
        ),
        "white": ("White", lambda: white_test(e, fit.design, significance_level=alpha)),
        "jarque_bera": (
            "Jarque-Bera",
            lambda: jarque_bera_test(e, significance_level=alpha),
        ),
        "shapiro_wilk": (
            "Shapiro-Wilk",
            lambda: shapiro_wilk_test(e, significance_level=alpha),
        ),
        "anderson_darling": (
            "Anderson-Darling",
            lambda: anderson_darling_test(e, significance_level=alpha),
        ),
        "reset": (
            "Ramsey RESET",
            lambda: reset_test(fit, power=reset_power, significance_level=alpha),
        ),
    }
    tests = {
        key: _run_or_explain(label, runner) for key, (label, runner) in runners.items()
    }
    vif, vif_warnings = variance_inflation_factors(fit.design, fit.regressor_names)
    return RegressionDiagnostics(
        tests=tests,
        variance_inflation_factors=vif,
        condition_number=fit.condition_number,
        condition_number_scaled=fit.condition_number_scaled,
        warnings=vif_warnings,
    )


def run_error_diagnostics(
    errors: Sequence[float] | np.ndarray,
    actual: Sequence[float] | np.ndarray,
    *,
    ljungbox_lags: int | None = None,
    significance_level: float = 0.05,
    durbin_watson_band: tuple[float, float] = (1.5, 2.5),
) -> dict[str, DiagnosticTest]:
    """Test the errors of predictions that come without their model.

    Used for fitted values supplied with the data, whose regressors are not
    known: autocorrelation (Durbin-Watson, Ljung-Box), normality
    (Anderson-Darling, Jarque-Bera, Shapiro-Wilk) and Breusch-Pagan against a
    constant and the actual values.
    """
    e = np.asarray(errors, dtype=float)
    y = np.asarray(actual, dtype=float)
    alpha = significance_level
    lb_lags = default_ljungbox_lags(e.size) if ljungbox_lags is None else ljungbox_lags
    exog = np.column_stack([np.ones(y.size), y])
    runners = {
        "durbin_watson": (
            "Durbin-Watson",
            lambda: durbin_watson_test(
                e, lower=durbin_watson_band[0], upper=durbin_watson_band[1]
            ),
        ),
        "ljung_box": (
            "Ljung-Box",
            lambda: ljung_box_test(e, lags=lb_lags, significance_level=alpha),
        ),
        "breusch_pagan": (
            "Breusch-Pagan",
            lambda: breusch_pagan_test(e, exog, significance_level=alpha),
        ),
        "jarque_bera": (
            "Jarque-Bera",
            lambda: jarque_bera_test(e, significance_level=alpha),
        ),
        "shapiro_wilk": (
            "Shapiro-Wilk",
            lambda: shapiro_wilk_test(e, significance_level=alpha),
        ),
        "anderson_darling": (
            "Anderson-Darling",
            lambda: anderson_darling_test(e, significance_level=alpha),
        ),
    }
    return {
        key: _run_or_explain(label, runner) for key, (label, runner) in runners.items()
    }


def default_ljungbox_lags(nobs: int) -> int:
    """Return ``min(10, nobs // 5)``, at least 1."""
    return max(1, min(10, nobs // 5))


def _run_or_explain(label: str, runner: Any) -> DiagnosticTest:
    try:
        return runner()
    except NotComputable as error:
        return DiagnosticTest(
            test=label,
            null_hypothesis="",
            not_computable_status=error.status,
            reason=error.reason,
        )


def _p_value_test(
    test: str,
    null_hypothesis: str,
    statistic: float,
    p_value: float,
    significance_level: float,
    *,
    df: float | None = None,
    table_limits: tuple[float | None, float | None] = (None, None),
    parameters: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    messages: tuple[str, ...] = (),
) -> DiagnosticTest:
    if not (math.isfinite(statistic) and math.isfinite(p_value)):
        raise NotComputable(
            f"{test} returned a non-finite statistic for this input.",
            "numerically_undefined",
        )
    bound, limit, text = describe_p_value(p_value, *table_limits)
    reject = decide_rejection(p_value, bound, limit, significance_level)
    level = f"{significance_level * 100:g} %"
    relation = text if text[0] in "<>" else f"= {text}"
    if reject is None:
        conclusion = f"Undecided at {level}: the p-value is only known to be {text}."
    elif reject:
        conclusion = f"Reject the null hypothesis at {level} (p {relation})."
    else:
        conclusion = f"Do not reject the null hypothesis at {level} (p {relation})."
    return DiagnosticTest(
        test=test,
        null_hypothesis=null_hypothesis,
        statistic=statistic,
        p_value=p_value,
        p_value_bound=bound,
        p_value_limit=limit,
        p_value_text=text,
        df=df,
        reject_null=reject,
        conclusion=conclusion,
        parameters=parameters or {},
        details={**(details or {}), "warnings": list(messages)},
    )


def _f_form(value: float, p_value: float, r_squared: float | None = None) -> dict[str, Any]:
    """Return the F form of an LM test for the result details, or why it is undefined.

    ``r_squared`` is the R-squared of the auxiliary regression when the caller
    knows it, so that an exact fit whose F is rounding noise is caught too.
    """
    exact = r_squared is not None and 1.0 - r_squared <= _EXACT_AUXILIARY_FIT
    if math.isfinite(value) and math.isfinite(p_value) and not exact:
        return {"f_statistic": value, "f_p_value": p_value}
    # F = (R^2 / q) / ((1 - R^2) / df) divides by zero when the auxiliary regression
    # explains its target exactly; the LM form n R^2 stays finite.
    return {
        "f_statistic": None,
        "f_p_value": None,
        "f_reason": "The auxiliary regression fits exactly (R-squared 1), so the F form divides by zero.",
    }


def _f_test(results: Any, k: int) -> tuple[float | None, float | None]:
    if k == 0:
        return None, None
    value = float(np.squeeze(results.fvalue))
    p_value = float(np.squeeze(results.f_pvalue))
    if not (math.isfinite(value) and math.isfinite(p_value)):
        return None, None
    return value, p_value


def _is_exact_fit(y: np.ndarray, residuals: np.ndarray) -> bool:
    """Tell whether the residuals are rounding noise of an exact fit."""
    spread = float(np.linalg.norm(y - y.mean()))
    return float(np.linalg.norm(residuals)) <= _EXACT_FIT_TOLERANCE * max(
        spread, np.finfo(float).tiny
    )


def _scaled_condition_number(design: np.ndarray) -> float:
    scaled = design / np.linalg.norm(design, axis=0)
    return float(np.linalg.cond(scaled))


def _sign_matches(estimate: float, expected: SignSymbol) -> bool:
    return estimate > 0 if expected == "+" else estimate < 0


def _finite(
    values: Sequence[float] | np.ndarray, *, minimum: int, test: str
) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(x)):
        raise NotComputable(f"{test} got missing or infinite values.", "missing_values")
    if x.size < minimum:
        raise NotComputable(
            f"{test} needs at least {minimum} observations; got {x.size}.", "too_short"
        )
    return x


def _require_variation(values: np.ndarray, test: str) -> None:
    if np.all(values == values[0]):
        raise NotComputable(
            f"The residuals are constant, so {test} is undefined.", "perfect_fit"
        )


def _fields_dict(instance: Any) -> dict[str, Any]:
    return to_jsonable(
        {
            item.name: getattr(instance, item.name)
            for item in dataclasses.fields(instance)
        }
    )
