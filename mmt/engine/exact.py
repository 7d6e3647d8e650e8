"""Exact, order-independent arithmetic for aggregates computed by any engine.

Two engines (or one engine with two threads) add floating-point numbers in
different orders and so disagree in the last bits. The figures here do not
depend on the order of the rows:

Sums of floating-point values (``sum_pd``, ``sum_pd2``, ...) are computed
from three integer limbs per value. With ``t(x)`` the truncation towards
zero and ``f(x) = x - t(x)``, a double ``v`` is

    v = t(v) + m / 2**62 + l / 2**124 + r,   |r| < 2**-124,

with ``m = t(f(v) * 2**62)`` and ``l = t(f(f(v) * 2**62) * 2**62)``. Every
step is exact in IEEE double arithmetic (scaling by a power of two and
removing the integer part towards zero lose no bits), so the engines sum
integers, which is exact and associative, and :func:`limbs_to_float` rounds
the total once. The result is the correctly rounded sum of the values
truncated to multiples of ``2**-124``: exact for every value whose lowest
significant bit is at least ``2**-124``, which holds for ``|v| >= 2**-72``
(about ``2.1e-22``); a PD's fourth power falls below that only for PDs under
``3.8e-6``, and then each obligor's term loses less than ``2**-124``.

Quantiles are the linear interpolation (method 7 of Hyndman and Fan,
"Sample quantiles in statistical packages", 1996) that
``numpy.quantile`` uses by default, with the same floating-point steps, so
the edges equal NumPy's to the last bit. The engine only returns order
statistics (values at given ranks), which are exact in every engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

LIMB_SCALE = 2**62
LIMB_SHIFT = 62


def limbs_to_float(whole: int, middle: int, low: int) -> float:
    """Return ``whole + middle / 2**62 + low / 2**124`` correctly rounded to a double.

    Parameters
    ----------
    whole, middle, low : int
        Sums over rows of ``t(v)``, of the first and of the second 62-bit
        fraction limbs (see the module docstring).
    """
    numerator = (int(whole) << (2 * LIMB_SHIFT)) + (int(middle) << LIMB_SHIFT) + int(low)
    return numerator / (1 << (2 * LIMB_SHIFT))


def limbs_of(value: float) -> tuple[int, int, int]:
    """Return the three limbs of one double, as the engines compute them in SQL."""
    whole = math.trunc(value)
    scaled = (value - whole) * LIMB_SCALE
    middle = math.trunc(scaled)
    low = math.trunc((scaled - middle) * LIMB_SCALE)
    return int(whole), int(middle), int(low)


def quantile_ranks(count: int, probabilities: Sequence[float]) -> list[tuple[int, int, float]]:
    """Ranks and weights of NumPy's linear quantiles of ``count`` sorted values.

    Returns
    -------
    list of (lower, upper, gamma)
        The quantile is the value at 0-based rank ``lower`` moved towards the
        value at rank ``upper`` by the fraction ``gamma``.
    """
    if count < 1:
        return []
    out = []
    for probability in probabilities:
        virtual = (count - 1) * float(probability)
        if virtual >= count - 1:
            out.append((count - 1, count - 1, 0.0))
            continue
        if virtual < 0:
            out.append((0, 0, 0.0))
            continue
        lower = math.floor(virtual)
        out.append((lower, lower + 1, virtual - lower))
    return out


def interpolate(lower_value: float, upper_value: float, gamma: float) -> float:
    """Linear interpolation with NumPy's rounding (``numpy.lib._function_base_impl._lerp``)."""
    difference = upper_value - lower_value
    if math.isinf(difference) and math.isfinite(lower_value) and math.isfinite(upper_value):
        # Order statistics near -1.8e308 and +1.8e308: halving is exact (except for subnormal values),
        # so the interpolation of the halves, doubled, is the same quantile without the overflow.
        return 2.0 * interpolate(lower_value / 2.0, upper_value / 2.0, gamma)
    if gamma >= 0.5:
        return float(upper_value - difference * (1.0 - gamma))
    return float(lower_value + difference * gamma)


def disc_probability(rank: int, count: int) -> float:
    """Probability at which a discrete quantile picks the value of 0-based ``rank``.

    DuckDB's ``quantile_disc`` and Spark's ``percentile_disc`` both return
    the first value whose cumulative share reaches the probability, i.e.
    rank ``ceil(p * count) - 1``. The middle of the interval of
    probabilities that select ``rank`` keeps the choice robust to rounding.
    """
    return (rank + 0.5) / count
