"""Plausibility check of the PD scale: PDs written in percent whose values all stay below 1.

Upload rejects PDs outside [0, 1], so a column in percent is caught whenever
one value exceeds 1 %. A portfolio whose PDs in percent all stay below 1 (a
low-default portfolio, say) passes that check and is analysed as if every
PD were 100 times larger. Its calibration then shows a mean PD about 100
times the observed default rate, and this module turns that pattern into a
warning without rejecting the analysis.
"""

from __future__ import annotations

from typing import Any

# The factor between a PD in percent and the same PD as a probability.
PERCENT_FACTOR = 100.0
# Mean PD / default rate between these bounds is read as the factor of 100, give or take
# a factor of about 3. The margin covers percent PDs that are themselves off by up to a
# factor of 3 and the noise of a default count of a few.
MIN_RATIO = 30.0
MAX_RATIO = 300.0
# Below this mean PD (as a probability) a model that is very conservative for a
# low-default portfolio can sit 30 times above its default rate, so the ratio alone
# would flag genuine PDs. Above it, the PDs claim that 1 obligor in 20 or more
# defaults, and a realised rate 30 times lower is not plausible as conservatism.
MIN_MEAN_PD = 0.05


def pd_scale_warning(column: str, obligors: int, defaults: int, mean_pd: float | None) -> dict[str, Any] | None:
    """Build a ``pd_scale_suspect`` warning when the PDs look like percentages, else return None.

    The warning is given when all three rules hold:

    1. At least one default. Without defaults the ratio is unbounded and
       shows no factor of 100, and the calibration tests report the gap.
    2. Mean PD of at least ``MIN_MEAN_PD`` (0.05).
    3. Mean PD / default rate between ``MIN_RATIO`` (30) and ``MAX_RATIO``
       (300), both included.

    With rules 1 and 3 the probability reading of the PDs expects at least
    30 times the observed number of defaults. Under the Poisson approximation
    seeing 1 default where 30 are expected has probability 31·e⁻³⁰ ≈ 3e-12,
    so the gap is never chance. A PD column in percent whose portfolio mean is
    below 0.05 % (rule 2) is not flagged.

    Parameters
    ----------
    column : str
        Name of the PD column as the user knows it, for the message.
    obligors, defaults : int
        Obligors and defaults of the period the calibration covers.
    mean_pd : float or None
        Mean PD of those obligors; None when there are none.

    Returns
    -------
    dict or None
        ``{"code", "message", "details"}`` as the other analysis warnings.
    """
    if mean_pd is None or obligors <= 0 or defaults <= 0 or mean_pd < MIN_MEAN_PD:
        return None
    default_rate = defaults / obligors
    ratio = mean_pd / default_rate
    if not MIN_RATIO <= ratio <= MAX_RATIO:
        return None
    message = (
        f"Column {column}: the mean PD {mean_pd:.4g} is {ratio:.0f} times the observed default rate "
        f"{default_rate:.4g} ({defaults} defaults among {obligors} obligors), as if the PDs were written in "
        f"percent. If the PDs are in percent, divide them by {PERCENT_FACTOR:.0f} and upload the file again."
    )
    return {
        "code": "pd_scale_suspect",
        "message": message,
        "details": {
            "column": column,
            "mean_pd": mean_pd,
            "default_rate": default_rate,
            "ratio": ratio,
            "obligors": obligors,
            "defaults": defaults,
            "ratio_range": [MIN_RATIO, MAX_RATIO],
            "min_mean_pd": MIN_MEAN_PD,
        },
    }
