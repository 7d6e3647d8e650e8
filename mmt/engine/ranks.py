"""Fewer score groups for AUC, KS and the DeLong variance, with the same values.

With a continuous PD almost every obligor has a score of its own, so the
counts per distinct score are as long as the portfolio. Most of those groups
hold one non-defaulter only. A run of consecutive groups (in score order)
that hold only non-defaulters can be merged into one group without changing
any of these figures, and so can a run holding only defaulters:

- AUC (Mann-Whitney with ties 1/2): no defaulter lies inside a pure
  non-default run, so every (defaulter, non-defaulter) pair keeps its order
  and no pair becomes a tie. The same holds for a pure default run.
- DeLong variance: within a pure non-default run every non-defaulter has
  the same number of riskier defaulters and no tied defaulter, so all their
  placement values are equal before and after the merge; defaulters'
  placement values count non-defaulters on either side of the run, which is
  unchanged. Symmetrically for a pure default run.
- KS: inside a pure non-default run the share of defaulters is constant and
  the share of non-defaulters grows, so ``|F_D - F_N|`` is monotone there and
  its largest value sits at an end of the run, which stays a cut-off.
- CAP area and accuracy ratio: inside a pure run the CAP curve is a straight
  segment, whose area the merged group gives exactly.

The merged group carries the score of the run's last group in risk order
(its lowest score when higher scores are riskier), which is where a KS
cut-off at the end of the run lies. What changes are the points of the ROC
and CAP curves that :func:`mmt.stats.discrimination.calculate_discrimination`
keeps when it thins them: every kept point still lies on the exact curve.
After the merge there are at most ``2 * min(distinct default scores,
distinct non-default scores) + 1`` groups.

The reasoning follows the placement-value form of the DeLong estimator in
DeLong, DeLong & Clarke-Pearson (1988), "Comparing the areas under two or
more correlated receiver operating characteristic curves: a nonparametric
approach".
"""

from __future__ import annotations

import numpy as np

# Below this many groups the counts are handed over unmerged.
MERGE_ABOVE = 20_000


def merge_pure_runs(scores: np.ndarray, defaults: np.ndarray, non_defaults: np.ndarray, *,
                    higher_is_riskier: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge runs of score groups that hold only defaulters or only non-defaulters.

    Parameters
    ----------
    scores : ndarray
        Distinct scores in ascending order.
    defaults, non_defaults : ndarray
        Counts per score; groups with no obligor are dropped.
    higher_is_riskier : bool
        Orientation of the score; decides which end of a run names it.

    Returns
    -------
    tuple of ndarray
        Scores (ascending), defaults and non-defaults of the merged groups.
    """
    scores = np.asarray(scores)
    defaults = np.asarray(defaults)
    non_defaults = np.asarray(non_defaults)
    occupied = (defaults + non_defaults) > 0
    scores, defaults, non_defaults = scores[occupied], defaults[occupied], non_defaults[occupied]
    if scores.size < 2:
        return scores, defaults, non_defaults
    # 0 = only non-defaulters, 1 = only defaulters, 2 = both.
    kind = np.where(defaults == 0, 0, np.where(non_defaults == 0, 1, 2))
    starts_run = np.concatenate(([True], (kind[1:] != kind[:-1]) | (kind[1:] == 2)))
    starts = np.flatnonzero(starts_run)
    ends = np.append(starts[1:], scores.size) - 1
    named = starts if higher_is_riskier else ends
    return (scores[named], np.add.reduceat(defaults, starts), np.add.reduceat(non_defaults, starts))
