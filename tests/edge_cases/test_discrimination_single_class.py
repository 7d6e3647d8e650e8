"""AUC, Gini and KS on a sample, segment or period with only one class.

The fault: with no defaults (or no non-defaults) the ROC curve does not
exist. Depending on the version scikit-learn raises or returns NaN, and tools
then answer HTTP 500, write ``NaN`` into JSON, or substitute 0.5 or 1. MMT
counts the classes itself, reports ``value: null`` with status
``insufficient_classes`` and the reason, keeps HTTP 200 and still computes
calibration and stability.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import roc_auc_score

from mmt.stats import NotComputable
from mmt.stats.discrimination import (
    binning_error_bounds,
    calculate_discrimination,
    discrimination_from_arrays,
    discrimination_from_grade_table,
)
from tests.edge_cases.product import analyze, csv_bytes, raw_non_finite, upload_bytes

REL = 1e-9
PDS = [0.01, 0.02, 0.05, 0.10, 0.20]
METRICS = ("auc", "gini", "ks", "accuracy_ratio")


@pytest.mark.parametrize(("flag", "reason"), [(0, "0 defaults out of 5 observations"),
                                              (1, "5 defaults out of 5 observations")])
def test_discrimination_is_null_with_one_class_while_calibration_is_computed(client, flag, reason):
    rows = [[f"A{index}", pd_value, flag] for index, pd_value in enumerate(PDS)]
    upload = upload_bytes(client, "pd", "one_class.csv", csv_bytes(["obligor_id", "pd", "default_flag"], rows))
    assert upload["warnings"][0]["code"] == "single_class"

    body = analyze(client, "pd", dataset_id=upload["dataset_id"])

    results = body["results"]
    for name in METRICS:
        assert results["discrimination"][name] == {"value": None, "status": "insufficient_classes", "reason": reason}
    statuses = {entry["metric"]: entry for entry in results["summary_statuses"]}
    assert statuses["discrimination.auc"]["status"] is None
    assert statuses["discrimination.auc"]["reason"] == reason
    portfolio = results["calibration"]["portfolio"]
    defaults, obligors, mean_pd = 5 * flag, 5, sum(PDS) / 5
    assert portfolio["mean_pd"] == pytest.approx(mean_pd, rel=REL)
    assert portfolio["jeffreys"]["pvalue"] == pytest.approx(
        stats.beta.cdf(mean_pd, defaults + 0.5, obligors - defaults + 0.5), rel=REL)
    assert portfolio["binomial"]["pvalue"] == pytest.approx(
        stats.binomtest(defaults, obligors, mean_pd, alternative="greater").pvalue, rel=REL)
    assert any(warning["code"] == "insufficient_classes" for warning in results["warnings"])


def test_segment_without_defaults_is_null_and_other_segment_is_exact(client):
    rows = [[f"A{index}", pd_value, index % 2, "mixed"] for index, pd_value in enumerate(PDS * 2)]
    rows += [[f"B{index}", pd_value, 0, "no_defaults"] for index, pd_value in enumerate(PDS)]
    dataset_id = upload_bytes(client, "pd", "segments.csv",
                              csv_bytes(["obligor_id", "pd", "default_flag", "segment"], rows))["dataset_id"]

    empty = analyze(client, "pd", dataset_id=dataset_id, segment="no_defaults")["results"]["discrimination"]
    mixed = analyze(client, "pd", dataset_id=dataset_id, segment="mixed")["results"]["discrimination"]

    assert empty["auc"]["value"] is None
    assert empty["auc"]["status"] == "insufficient_classes"
    flags = [row[2] for row in rows[:10]]
    scores = [row[1] for row in rows[:10]]
    assert mixed["auc"]["value"] == pytest.approx(roc_auc_score(flags, scores), rel=REL)


def test_period_without_defaults_is_null_in_the_trend(client):
    rows = [[f"A{index}", pd_value, index % 2, "2024-01-31"] for index, pd_value in enumerate(PDS * 2)]
    rows += [[f"B{index}", pd_value, 0, "2024-02-29"] for index, pd_value in enumerate(PDS)]
    dataset_id = upload_bytes(client, "pd", "periods.csv",
                              csv_bytes(["obligor_id", "pd", "default_flag", "snapshot_date"], rows))["dataset_id"]

    body = analyze(client, "pd", dataset_id=dataset_id)

    discrimination = body["results"]["discrimination"]
    assert discrimination["auc"]["value"] is None
    trend = {entry["snapshot"][:10]: entry for entry in discrimination["trend"]}
    assert trend["2024-02-29"]["auc"] is None
    assert trend["2024-02-29"]["status"] == "insufficient_classes"
    flags = [row[2] for row in rows[:10]]
    scores = [row[1] for row in rows[:10]]
    assert trend["2024-01-31"]["auc"] == pytest.approx(roc_auc_score(flags, scores), rel=REL)
    assert discrimination["reference"]["auc"] == pytest.approx(roc_auc_score(flags, scores), rel=REL)
    assert body["results"]["stability"]["psi"]["statistic"] is not None


# --- the whole kind: one class anywhere a ranking statistic is computed ---

score_lists = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(score_lists, st.integers(0, 1))
def test_ranking_statistics_refuse_a_single_class(scores, flag):
    flags = [flag] * len(scores)
    counts = [1.0] * len(scores)
    zeros = [0.0] * len(scores)
    defaults, non_defaults = (counts, zeros) if flag else (zeros, counts)

    for compute in (
        lambda: discrimination_from_arrays(scores, flags),
        lambda: calculate_discrimination(list(range(len(scores))), defaults, non_defaults),
        lambda: discrimination_from_grade_table(defaults, non_defaults),
        lambda: binning_error_bounds(defaults, non_defaults),
    ):
        with pytest.raises(NotComputable) as raised:
            compute()
        assert raised.value.status == "insufficient_classes"
        assert f"{len(scores) * flag} defaults out of {len(scores)} observations" in raised.value.reason


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1, allow_nan=False), st.integers(0, 1)), min_size=2, max_size=30))
def test_ranking_statistics_with_both_classes_are_finite(pairs):
    scores = [score for score, _ in pairs]
    flags = [flag for _, flag in pairs]
    if len(set(flags)) < 2:
        return

    result = discrimination_from_arrays(scores, flags)

    assert result.auc == pytest.approx(roc_auc_score(flags, scores), rel=REL)
    assert not raw_non_finite(result)
    assert 0.0 <= result.ks_statistic <= 1.0
