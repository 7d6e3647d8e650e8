"""Jeffreys intervals of the calibration chart against statsmodels and SciPy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from mmt.reports.intervals import jeffreys_interval, jeffreys_intervals
from mmt.stats import NotComputable


def test_interval_matches_statsmodels_per_grade(german_frame):
    current = german_frame[german_frame["snapshot_date"].astype(str) == "2024-12-31"]
    counts = current.groupby("rating")["default_flag"].agg(["sum", "count"])
    assert len(counts) >= 5
    for defaults, obligors in zip(counts["sum"], counts["count"]):
        expected = proportion_confint(int(defaults), int(obligors), alpha=0.05, method="jeffreys")
        interval = jeffreys_interval(int(defaults), int(obligors), 0.95)
        assert interval.lower == pytest.approx(expected[0], rel=1e-12, abs=1e-15)
        assert interval.upper == pytest.approx(expected[1], rel=1e-12)


def test_interval_is_beta_posterior_quantiles():
    interval = jeffreys_interval(3, 200, 0.90)
    # Hand computation: Beta(3 + 1/2, 200 - 3 + 1/2) at 5 % and 95 %.
    assert interval.lower == pytest.approx(stats.beta.ppf(0.05, 3.5, 197.5), rel=1e-12)
    assert interval.upper == pytest.approx(stats.beta.ppf(0.95, 3.5, 197.5), rel=1e-12)
    assert interval.confidence == 0.90


def test_interval_edges_zero_and_all_defaults():
    none = jeffreys_interval(0, 200)
    assert 0.0 < none.lower < 1e-4
    assert none.upper == pytest.approx(stats.beta.ppf(0.975, 0.5, 200.5), rel=1e-12)
    every = jeffreys_interval(200, 200)
    assert every.upper < 1.0
    assert every.lower == pytest.approx(stats.beta.ppf(0.025, 200.5, 0.5), rel=1e-12)


def test_interval_empty_grade_not_computable():
    with pytest.raises(NotComputable) as raised:
        jeffreys_interval(0, 0)
    assert raised.value.status == "empty_grade"
    assert jeffreys_intervals([0, 1], [0, 10])[0] is None


@pytest.mark.parametrize(("defaults", "obligors", "confidence"), [(-1, 10, 0.95), (11, 10, 0.95), (1, 10, 1.0), (1, 10, 0.0)])
def test_interval_rejects_invalid_input(defaults, obligors, confidence):
    with pytest.raises(ValueError):
        jeffreys_interval(defaults, obligors, confidence)


@given(st.integers(min_value=1, max_value=100_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))))
def test_interval_bounds_property(pair):
    defaults, obligors = pair
    narrow = jeffreys_interval(defaults, obligors, 0.90)
    wide = jeffreys_interval(defaults, obligors, 0.99)
    median = stats.beta.median(defaults + 0.5, obligors - defaults + 0.5)
    assert 0.0 <= wide.lower <= narrow.lower <= median <= narrow.upper <= wide.upper <= 1.0
