"""Merging pure score runs keeps AUC, DeLong variance, KS and accuracy ratio."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import roc_auc_score

from mmt.engine.ranks import merge_pure_runs
from mmt.stats.discrimination import calculate_discrimination


def counts(scores: np.ndarray, flags: np.ndarray):
    distinct, inverse = np.unique(scores, return_inverse=True)
    defaults = np.bincount(inverse, weights=flags, minlength=distinct.size).astype(np.int64)
    totals = np.bincount(inverse, minlength=distinct.size).astype(np.int64)
    return distinct, defaults, totals - defaults


def delong_variance(scores: np.ndarray, flags: np.ndarray) -> float:
    """DeLong variance written out over obligors (placement values by direct comparison)."""
    positive, negative = scores[flags == 1], scores[flags == 0]
    v10 = np.array([(np.sum(x > negative) + 0.5 * np.sum(x == negative)) / negative.size for x in positive])
    v01 = np.array([(np.sum(positive > y) + 0.5 * np.sum(positive == y)) / positive.size for y in negative])
    return float(np.var(v10, ddof=1) / positive.size + np.var(v01, ddof=1) / negative.size)


@pytest.mark.parametrize("higher_is_riskier", [True, False])
def test_merged_counts_give_the_obligor_level_figures(higher_is_riskier):
    rng = np.random.default_rng(7)
    scores = np.round(rng.random(3000), 3)
    flags = (rng.random(3000) < np.where(higher_is_riskier, scores, 1 - scores) * 0.3).astype(int)
    distinct, defaults, non_defaults = counts(scores, flags)
    merged = merge_pure_runs(distinct, defaults, non_defaults, higher_is_riskier=higher_is_riskier)
    assert merged[0].size < distinct.size
    result = calculate_discrimination(*merged, higher_is_riskier=higher_is_riskier)
    risk = scores if higher_is_riskier else -scores
    assert result.auc == pytest.approx(roc_auc_score(flags, risk), rel=1e-12)
    assert result.auc_variance == pytest.approx(delong_variance(risk, flags), rel=1e-9)
    ks = stats.ks_2samp(scores[flags == 1], scores[flags == 0]).statistic
    assert result.ks_statistic == pytest.approx(ks, rel=1e-12)
    unmerged = calculate_discrimination(distinct, defaults, non_defaults, higher_is_riskier=higher_is_riskier)
    assert result.ks_score == unmerged.ks_score
    assert result.accuracy_ratio == pytest.approx(unmerged.accuracy_ratio, rel=1e-12)
    assert merged[1].sum() == defaults.sum() and merged[2].sum() == non_defaults.sum()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1)), min_size=2, max_size=200), st.booleans())
def test_merge_changes_no_figure(rows, higher_is_riskier):
    scores = np.array([row[0] for row in rows], dtype=float)
    flags = np.array([row[1] for row in rows])
    if flags.min() == flags.max():
        return
    distinct, defaults, non_defaults = counts(scores, flags)
    merged = merge_pure_runs(distinct, defaults, non_defaults, higher_is_riskier=higher_is_riskier)
    before = calculate_discrimination(distinct, defaults, non_defaults, higher_is_riskier=higher_is_riskier)
    after = calculate_discrimination(*merged, higher_is_riskier=higher_is_riskier)
    assert after.auc == pytest.approx(before.auc, rel=1e-12, abs=1e-15)
    assert after.ks_statistic == pytest.approx(before.ks_statistic, rel=1e-12, abs=1e-15)
    assert after.ks_score == before.ks_score
    assert after.accuracy_ratio == pytest.approx(before.accuracy_ratio, rel=1e-9, abs=1e-12)
    if before.auc_variance is not None:
        assert after.auc_variance == pytest.approx(before.auc_variance, rel=1e-9, abs=1e-15)
    # No two neighbouring merged groups are pure of the same kind.
    kind = np.where(merged[1] == 0, 0, np.where(merged[2] == 0, 1, 2))
    assert not np.any((kind[1:] == kind[:-1]) & (kind[1:] < 2))
