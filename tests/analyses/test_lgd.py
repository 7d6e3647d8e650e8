"""LGD analysis and the shared filters, checked against SciPy, scikit-learn and hand formulas."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
import pytest
from scipy import stats as sps
from sklearn import metrics as skm

from mmt.analyses import filters
from mmt.analyses.lgd import LGDOptions, analyze_lgd, lgd_filter_options
from mmt.errors import ValidationError

DATA = Path(__file__).parents[2] / "data"
RTOL = 1e-9
ECB_EDGES = [-np.inf, 0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 1.00, np.inf]


def synthetic_lgd_frame() -> pd.DataFrame:
    """lgd_synthetic.csv with the role names ingest gives, the default date as period."""
    raw = pd.read_csv(DATA / "lgd_synthetic.csv")
    frame = pd.DataFrame(
        {
            "facility_id": raw["facility_id"],
            "segment": raw["segment"],
            "collateral": raw["collateral_type"],
            "ead": raw["ead_at_default"],
            "workout_status": raw["workout_status"],
            "lgd_realised": raw["realised_lgd"],
            "lgd_predicted": raw["predicted_lgd"],
            "period": pd.to_datetime(raw["default_date"]).dt.date,
        }
    )
    return frame


def original_lgd_frame() -> pd.DataFrame:
    """lgd_mock_data.csv of the original MMT: empty trailing column dropped, quarters as labels."""
    raw = pd.read_csv(DATA / "mmt_original" / "lgd_mock_data.csv")
    raw = raw.loc[:, raw.notna().any()]
    quarters = pd.PeriodIndex(raw["Quarter"], freq="Q")
    return pd.DataFrame(
        {
            "period": quarters.end_time.date,
            "period_label": raw["Quarter"],
            "segment": raw["Portfolio"],
            "model_name": raw["ModelName"],
            "lgd_realised": raw["actual_lgd"],
            "lgd_predicted": raw["predicted_lgd"],
        }
    )


def strict_json(results: dict) -> dict:
    return json.loads(json.dumps(results, allow_nan=False))


def segment_table(predicted, realised) -> np.ndarray:
    rows = pd.cut(predicted, ECB_EDGES, right=False, labels=False)
    columns = pd.cut(realised, ECB_EDGES, right=False, labels=False)
    return pd.crosstab(rows, columns).reindex(index=range(12), columns=range(12), fill_value=0).to_numpy()


def grade_table(predicted, realised) -> np.ndarray:
    grades = np.unique(predicted)
    table = np.zeros((grades.size, grades.size + 1))
    for estimate, outcome in zip(predicted, realised):
        row = int(np.flatnonzero(grades == estimate)[0])
        column = next((k for k, grade in enumerate(grades) if outcome <= grade), grades.size)
        table[row, column] += 1
    return table


def gauc_standard_error(table) -> float:
    """Standard deviation of the ECB gAUC, cell by cell."""
    a = np.asarray(table, dtype=float)
    total = a.sum()
    rows = a.sum(axis=1)
    concordant = np.zeros_like(a)
    discordant = np.zeros_like(a)
    for i, j in itertools.product(range(a.shape[0]), range(a.shape[1])):
        concordant[i, j] = a[:i, :j].sum() + a[i + 1 :, j + 1 :].sum()
        discordant[i, j] = a[i + 1 :, :j].sum() + a[:i, j + 1 :].sum()
    p = (a * concordant).sum()
    q = (a * discordant).sum()
    w_r = total**2 - (rows**2).sum()
    residual = w_r * (concordant - discordant) - (p - q) * (total - rows)[:, None]
    return float(np.sqrt((a * residual**2).sum()) / w_r**2)


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    return synthetic_lgd_frame()


@pytest.fixture(scope="module")
def original() -> pd.DataFrame:
    return original_lgd_frame()


@pytest.fixture(scope="module")
def synthetic_results(synthetic) -> dict:
    return analyze_lgd(synthetic, LGDOptions(), {})


def closed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["workout_status"] == "closed"]


# --------------------------------------------------------------------------- overall figures


def test_overall_calibration_matches_scipy(synthetic, synthetic_results):
    sample = closed(synthetic)
    reference = sps.ttest_rel(sample["lgd_realised"], sample["lgd_predicted"], alternative="greater")
    metrics = synthetic_results["metrics"]
    assert metrics["t_statistic"] == pytest.approx(reference.statistic, rel=RTOL)
    assert metrics["t_pvalue"] == pytest.approx(reference.pvalue, rel=RTOL)
    assert synthetic_results["tests"]["t_test"]["status"] == "green"


def test_overall_means_plain_and_weighted(synthetic, synthetic_results):
    sample = closed(synthetic)
    metrics = synthetic_results["metrics"]
    assert metrics["facilities"] == len(sample) == 2427
    assert metrics["mean_realised"] == pytest.approx(sample["lgd_realised"].mean(), rel=RTOL)
    assert metrics["mean_predicted"] == pytest.approx(sample["lgd_predicted"].mean(), rel=RTOL)
    assert metrics["weighted_mean_realised"] == pytest.approx(np.average(sample["lgd_realised"], weights=sample["ead"]), rel=RTOL)
    assert metrics["weighted_mean_predicted"] == pytest.approx(np.average(sample["lgd_predicted"], weights=sample["ead"]), rel=RTOL)


def test_overall_rank_ordering_matches_references(synthetic, synthetic_results):
    sample = closed(synthetic)
    predicted = sample["lgd_predicted"].to_numpy()
    realised = sample["lgd_realised"].to_numpy()
    table = segment_table(predicted, realised)
    metrics = synthetic_results["metrics"]
    assert metrics["gAUC"] == pytest.approx((sps.somersd(table).statistic + 1) / 2, rel=RTOL)
    assert metrics["gAUC_standard_error"] == pytest.approx(gauc_standard_error(table), rel=RTOL)
    assert metrics["spearman"] == pytest.approx(sps.spearmanr(predicted, realised).statistic, rel=RTOL)
    assert metrics["kendall"] == pytest.approx(sps.kendalltau(predicted, realised).statistic, rel=RTOL)
    assert metrics["kendall_pvalue"] == pytest.approx(sps.kendalltau(predicted, realised).pvalue, rel=RTOL)
    assert synthetic_results["tests"]["gauc"]["table"] == table.tolist()


def test_overall_errors_match_sklearn(synthetic, synthetic_results):
    sample = closed(synthetic)
    predicted = sample["lgd_predicted"].to_numpy()
    realised = sample["lgd_realised"].to_numpy()
    exposure = sample["ead"].to_numpy()
    non_zero = realised != 0
    metrics = synthetic_results["metrics"]
    assert metrics["MAE"] == pytest.approx(skm.mean_absolute_error(realised, predicted), rel=RTOL)
    assert metrics["RMSE"] == pytest.approx(skm.root_mean_squared_error(realised, predicted), rel=RTOL)
    assert metrics["R-squared"] == pytest.approx(skm.r2_score(realised, predicted), rel=RTOL)
    ratios = np.abs((realised[non_zero] - predicted[non_zero]) / realised[non_zero])
    assert metrics["MAPE"] == pytest.approx(np.mean(ratios) * 100, rel=RTOL)
    assert metrics["mape_excluded_zero_realised"] == int((~non_zero).sum())
    assert metrics["loss_shortfall"] == pytest.approx(1 - (predicted * exposure).sum() / (realised * exposure).sum(), rel=RTOL)
    assert metrics["Bias"] == pytest.approx((realised - predicted).mean(), rel=RTOL)


def test_open_workouts_excluded_and_counted(synthetic_results):
    counts = synthetic_results["counts"]
    assert counts["open_workouts_excluded"] == 573
    assert counts["rows_selected"] == counts["rows_total"] == 3000
    assert any("573 open workouts" in warning for warning in synthetic_results["warnings"])


def test_realised_out_of_range_kept_and_counted(synthetic, synthetic_results):
    sample = closed(synthetic)
    counts = synthetic_results["counts"]
    assert counts["realised_below_zero"] == 29
    assert counts["realised_above_one"] == 36
    assert counts["realised_out_of_range"] == 65
    assert len(counts["out_of_range_facilities"]) == 50
    unclipped = sample["lgd_realised"].mean()
    clipped = sample["lgd_realised"].clip(0, 1).mean()
    assert synthetic_results["metrics"]["mean_realised"] == pytest.approx(unclipped, rel=RTOL)
    assert synthetic_results["metrics"]["mean_realised"] != pytest.approx(clipped, rel=1e-6)


def test_results_are_strict_json(synthetic_results):
    decoded = strict_json(synthetic_results)
    assert decoded["model_type"] == "lgd"
    assert {"metrics", "segments", "plot_data", "decile_data", "additional_data", "tests", "parameters", "warnings", "summary_statuses", "counts"} <= set(decoded)


def test_summary_statuses(synthetic_results):
    statuses = {entry["metric"]: entry for entry in synthetic_results["summary_statuses"]}
    assert statuses["MAPE"]["status"] == "amber"
    assert statuses["R-squared"]["status"] == "amber"
    assert statuses["gAUC"]["status"] == "green"
    assert statuses["LGD t-test p-value"]["value"] == synthetic_results["metrics"]["t_pvalue"]
    assert statuses["gAUC test p-value"]["status"] == "not_requested"


def test_thresholds_change_status(synthetic):
    results = analyze_lgd(synthetic, LGDOptions(), {"lgd_r2_threshold": 0.4, "lgd_gauc_threshold": 0.9, "lgd_gauc_red_threshold": 0.85})
    statuses = {entry["metric"]: entry["status"] for entry in results["summary_statuses"]}
    assert statuses["R-squared"] == "green"
    assert statuses["gAUC"] == "red"
    assert results["parameters"]["thresholds"]["lgd_r2_threshold"] == 0.4


# --------------------------------------------------------------------------- segments


def test_segment_figures_match_references(synthetic, synthetic_results):
    sample = closed(synthetic)
    segments = {entry["segment"]: entry for entry in synthetic_results["segments"]}
    assert sorted(segments) == sorted(sample["segment"].unique())
    for name, part in sample.groupby("segment"):
        figures = segments[name]
        predicted = part["lgd_predicted"].to_numpy()
        realised = part["lgd_realised"].to_numpy()
        reference = sps.ttest_rel(realised, predicted, alternative="greater")
        assert figures["metrics"]["facilities"] == len(part)
        assert figures["metrics"]["t_pvalue"] == pytest.approx(reference.pvalue, rel=RTOL)
        assert figures["metrics"]["MAE"] == pytest.approx(skm.mean_absolute_error(realised, predicted), rel=RTOL)
        assert figures["metrics"]["weighted_mean_realised"] == pytest.approx(np.average(realised, weights=part["ead"]), rel=RTOL)
        assert figures["counts"]["realised_below_zero"] == int((realised < 0).sum())
        assert figures["counts"]["open_workouts_excluded"] == int(
            ((synthetic["segment"] == name) & (synthetic["workout_status"] == "open")).sum()
        )
        assert figures["tests"]["gauc_test"]["status"] == "not_requested"
        if np.unique(predicted).size == 1:
            assert figures["metrics"]["gAUC"] is None
            assert figures["tests"]["gauc"]["status"] == "single_class"
        else:
            table = grade_table(predicted, realised) if np.unique(predicted).size <= 20 else segment_table(predicted, realised)
            assert figures["metrics"]["gAUC"] == pytest.approx((sps.somersd(table).statistic + 1) / 2, rel=RTOL)
            assert figures["metrics"]["gAUC_standard_error"] == pytest.approx(gauc_standard_error(table), rel=RTOL)


def test_segments_by_other_column(synthetic):
    results = analyze_lgd(synthetic, LGDOptions(segment_column="collateral"), None)
    labels = [entry["segment"] for entry in results["segments"]]
    # pandas reads the collateral type "None" as missing.
    assert labels == sorted(closed(synthetic)["collateral"].fillna("(missing)").unique())
    assert results["parameters"]["segment_column"] == "collateral"


def test_unknown_segment_column(synthetic):
    with pytest.raises(ValidationError) as error:
        analyze_lgd(synthetic, LGDOptions(segment_column="region"), None)
    assert error.value.code == "unknown_column"
    assert error.value.status == 422


def test_constant_realised_segment_not_computable():
    frame = pd.DataFrame(
        {
            "segment": ["Cured"] * 10 + ["Mixed"] * 10,
            "lgd_predicted": [0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55] * 2,
            "lgd_realised": [0.0] * 10 + [0.00, 0.05, 0.00, 0.30, 0.10, 0.45, 0.35, 0.60, 0.40, 0.80],
        }
    )
    results = analyze_lgd(frame, LGDOptions(), None)
    segments = {entry["segment"]: entry for entry in results["segments"]}
    cured = segments["Cured"]
    assert cured["metrics"]["spearman"] is None
    assert cured["tests"]["spearman"]["status"] == "constant_realised"
    assert "constant realised LGD" in cured["tests"]["spearman"]["reason"]
    assert "all cured" in cured["tests"]["spearman"]["reason"]
    assert cured["metrics"]["mean_realised"] == 0.0
    assert cured["metrics"]["mean_predicted"] == pytest.approx(0.325, rel=RTOL)
    mixed = segments["Mixed"]["metrics"]
    reference = sps.spearmanr(frame["lgd_predicted"][10:], frame["lgd_realised"][10:])
    assert mixed["spearman"] == pytest.approx(0.905779, abs=5e-7)
    assert mixed["spearman"] == pytest.approx(reference.statistic, rel=RTOL)
    assert mixed["spearman_pvalue"] == pytest.approx(reference.pvalue, rel=RTOL)
    overall = sps.spearmanr(frame["lgd_predicted"], frame["lgd_realised"])
    assert results["metrics"]["spearman"] == pytest.approx(overall.statistic, rel=RTOL)
    strict_json(results)


# --------------------------------------------------------------------------- front-end contract


def test_front_end_fields_on_original_file(original):
    results = analyze_lgd(original, LGDOptions(), None)
    actual = original["lgd_realised"].to_numpy()
    predicted = original["lgd_predicted"].to_numpy()
    assert results["metrics"]["MAPE"] == pytest.approx(np.mean(np.abs((actual - predicted) / actual)) * 100, rel=RTOL)
    assert results["metrics"]["R-squared"] == pytest.approx(skm.r2_score(actual, predicted), rel=RTOL)
    assert results["plot_data"]["actual_lgd"] == actual.tolist()
    assert results["plot_data"]["predicted_lgd"] == predicted.tolist()
    decile = results["decile_data"]
    assert decile["total_count"] == 200
    assert [row["actual_decile"] for row in decile["data"]] == [f"D{k}" for k in range(1, 11)]
    grid = np.array([row["values"] for row in decile["data"]])
    expected = pd.crosstab(pd.qcut(actual, 10, labels=False), pd.qcut(predicted, 10, labels=False), normalize="all") * 100
    np.testing.assert_allclose(grid, expected.reindex(index=range(10), columns=range(10), fill_value=0).to_numpy(), rtol=RTOL)
    combinations = {(row["Quarter"], row["Portfolio"], row["ModelName"]) for row in results["additional_data"]}
    assert combinations == set(zip(original["period_label"], original["segment"], original["model_name"]))


def test_additional_data_lists_whole_dataset(original):
    results = analyze_lgd(original, LGDOptions(quarter="2020Q1", portfolio="SME"), None)
    assert len(results["additional_data"]) == 40
    assert {row["Quarter"] for row in results["additional_data"]} == {"2020Q1", "2020Q2"}


def test_filter_options_of_original_file(original):
    options = lgd_filter_options(original)
    assert options["quarters"] == ["2020Q1", "2020Q2"]
    assert options["portfolios"] == ["Commercial Real Estate", "Consumer", "Corporate", "Retail", "SME"]
    assert options["modelNames"] == ["Advanced_LGD", "Basic_LGD", "LGD_v1", "LGD_v2"]


def test_filter_options_of_synthetic_file(synthetic):
    options = lgd_filter_options(synthetic)
    assert options["quarters"][0] == "2018Q1"
    assert options["quarters"][-1] == "2023Q4"
    assert len(options["quarters"]) == 24
    assert options["modelNames"] == []


def filter_choices(options: dict) -> list[tuple]:
    return list(itertools.product([None, *options["quarters"]], [None, *options["portfolios"]], [None, *options["modelNames"]]))


def check_slice(results: dict, part: pd.DataFrame) -> None:
    decoded = strict_json(results)
    predicted = part["lgd_predicted"].to_numpy()
    realised = part["lgd_realised"].to_numpy()
    assert decoded["metrics"]["facilities"] == len(part)
    assert decoded["metrics"]["mean_realised"] == pytest.approx(realised.mean(), rel=RTOL)
    if len(part) >= 2 and np.ptp(realised - predicted) > 0:
        reference = sps.ttest_rel(realised, predicted, alternative="greater")
        assert decoded["metrics"]["t_pvalue"] == pytest.approx(reference.pvalue, rel=RTOL)
    else:
        assert decoded["metrics"]["t_pvalue"] is None
    if len(part) >= 10:
        grid = np.array([row["values"] for row in decoded["decile_data"]["data"]])
        assert grid.shape == (10, 10)
        assert grid.sum() == pytest.approx(100.0, rel=1e-12)
    else:
        assert "decile_data" not in decoded
    assert len(decoded["plot_data"]["actual_lgd"]) == min(len(part), 2000)
    assert {"Quarter", "Portfolio", "ModelName"} <= set(decoded["additional_data"][0])


def test_every_filter_combination_original(original):
    options = lgd_filter_options(original)
    answered = 0
    for quarter, portfolio, model in filter_choices(options):
        request = LGDOptions(quarter=quarter, portfolio=portfolio, modelName=model)
        mask = pd.Series(True, index=original.index)
        if quarter:
            mask &= original["period_label"] == quarter
        if portfolio:
            mask &= original["segment"] == portfolio
        if model:
            mask &= original["model_name"] == model
        if not mask.any():
            with pytest.raises(ValidationError) as error:
                analyze_lgd(original, request, None)
            assert error.value.code == "empty_selection"
            continue
        check_slice(analyze_lgd(original, request, None), original[mask])
        answered += 1
    assert answered == len(filter_choices(options))


def test_every_filter_combination_synthetic(synthetic):
    options = lgd_filter_options(synthetic)
    labels = filters.quarter_labels(synthetic)
    for quarter, portfolio, _ in filter_choices(options):
        request = LGDOptions(quarter=quarter, portfolio=portfolio)
        mask = pd.Series(True, index=synthetic.index)
        if quarter:
            mask &= labels == quarter
        if portfolio:
            mask &= synthetic["segment"] == portfolio
        part = synthetic[mask]
        results = analyze_lgd(synthetic, request, None)
        assert results["counts"]["rows_selected"] == len(part)
        assert results["counts"]["open_workouts_excluded"] == int((part["workout_status"] == "open").sum())
        check_slice(results, closed(part))


def test_model_names_comma_separated_as_front_end_sends(original):
    joined = analyze_lgd(original, LGDOptions(modelName="LGD_v1,LGD_v2"), None)
    listed = analyze_lgd(original, LGDOptions(modelName=["LGD_v1", " LGD_v2 "]), None)
    expected = original["model_name"].isin(["LGD_v1", "LGD_v2"]).sum()
    assert joined["metrics"]["facilities"] == expected
    assert listed["metrics"] == joined["metrics"]
    assert joined["parameters"]["filters"] == {"modelName": ["LGD_v1", "LGD_v2"]}


def test_all_model_names_equal_no_filter(original):
    everything = analyze_lgd(original, LGDOptions(modelName=",".join(lgd_filter_options(original)["modelNames"])), None)
    unfiltered = analyze_lgd(original, LGDOptions(), None)
    assert everything["metrics"] == unfiltered["metrics"]


def test_filters_ignore_case_and_quarter_spelling(original):
    results = analyze_lgd(original, LGDOptions(quarter="2020-q1", portfolio="sme"), None)
    expected = ((original["period_label"] == "2020Q1") & (original["segment"] == "SME")).sum()
    assert results["metrics"]["facilities"] == expected


def test_empty_selection_names_filter_values(original):
    with pytest.raises(ValidationError) as error:
        analyze_lgd(original, LGDOptions(quarter="2030Q1", portfolio="SME"), None)
    assert error.value.status == 422
    assert error.value.code == "empty_selection"
    assert error.value.details["filters"] == {"quarter": ["2030Q1"], "portfolio": ["SME"]}
    assert "2030Q1" in error.value.message
    assert error.value.details["available"]["quarters"] == ["2020Q1", "2020Q2"]


def test_model_filter_without_model_column(synthetic):
    with pytest.raises(ValidationError) as error:
        analyze_lgd(synthetic, LGDOptions(modelName="LGD_v1"), None)
    assert error.value.code == "empty_selection"
    assert error.value.details["missing_columns"] == ["modelName"]


def test_empty_strings_mean_no_filter(original):
    results = analyze_lgd(original, LGDOptions(quarter="", portfolio=[], modelName=" , "), None)
    assert results["metrics"]["facilities"] == 200


def test_extra_request_keys_ignored(original):
    options = LGDOptions.model_validate({"quarter": "2020Q2", "request_id": "abc", "dataset_id": 3})
    assert analyze_lgd(original, options, None)["metrics"]["facilities"] == 100


# --------------------------------------------------------------------------- gAUC against initial validation


def test_gauc_test_against_reference_frame(synthetic):
    default_dates = pd.to_datetime(synthetic["period"])
    reference = synthetic[default_dates <= "2021-12-31"]
    current = synthetic[default_dates > "2021-12-31"]
    results = analyze_lgd(current, LGDOptions(), None, reference_frame=reference)

    reference_sample = closed(reference)
    reference_table = segment_table(reference_sample["lgd_predicted"], reference_sample["lgd_realised"])
    gauc_initial = (sps.somersd(reference_table).statistic + 1) / 2
    current_sample = closed(current)
    current_table = segment_table(current_sample["lgd_predicted"], current_sample["lgd_realised"])
    gauc = (sps.somersd(current_table).statistic + 1) / 2
    statistic = (gauc_initial - gauc) / gauc_standard_error(current_table)

    entry = results["tests"]["gauc_test"]
    assert entry["gauc_initial"] == pytest.approx(gauc_initial, rel=RTOL)
    assert entry["statistic"] == pytest.approx(statistic, rel=RTOL)
    assert entry["pvalue"] == pytest.approx(sps.norm.sf(statistic), rel=RTOL)
    assert results["metrics"]["gAUC_test_pvalue"] == pytest.approx(sps.norm.sf(statistic), rel=RTOL)
    assert results["parameters"]["gauc_initial_source"] == "reference_frame"


def test_reference_gauc_option_overrides_frame(synthetic):
    results = analyze_lgd(synthetic, LGDOptions(reference_gauc=0.85), None, reference_frame=synthetic)
    metrics = results["metrics"]
    statistic = (0.85 - metrics["gAUC"]) / metrics["gAUC_standard_error"]
    assert results["tests"]["gauc_test"]["statistic"] == pytest.approx(statistic, rel=RTOL)
    assert results["tests"]["gauc_test"]["status"] == "red"
    assert results["parameters"]["gauc_initial_source"] == "option"


def test_reference_frame_without_matching_rows(original, synthetic):
    results = analyze_lgd(original, LGDOptions(portfolio="SME"), None, reference_frame=synthetic.assign(segment="Other"))
    assert results["tests"]["gauc_test"]["status"] == "not_requested"
    assert any("reference dataset has no rows" in warning for warning in results["warnings"])


def test_reference_frame_with_undefined_gauc(original):
    reference = original.assign(lgd_predicted=0.3)
    results = analyze_lgd(original, LGDOptions(), None, reference_frame=reference)
    assert results["parameters"]["gauc_initial"] is None
    assert any("not computable" in warning for warning in results["warnings"])


def test_gauc_test_skipped_when_current_gauc_undefined(original):
    results = analyze_lgd(original.assign(lgd_predicted=0.3), LGDOptions(reference_gauc=0.7), None)
    assert results["tests"]["gauc_test"]["status"] == "single_class"
    assert results["tests"]["gauc_test"]["gauc_initial"] == 0.7


def test_gauc_class_bounds_option(original):
    results = analyze_lgd(original, LGDOptions(gauc_classes=[0.2, 0.4, 0.6]), None)
    edges = [-np.inf, 0.2, 0.4, 0.6, np.inf]
    rows = pd.cut(original["lgd_predicted"], edges, right=False, labels=False)
    columns = pd.cut(original["lgd_realised"], edges, right=False, labels=False)
    table = pd.crosstab(rows, columns).reindex(index=range(4), columns=range(4), fill_value=0).to_numpy()
    assert results["tests"]["gauc"]["scheme"] == "bounds"
    assert results["metrics"]["gAUC"] == pytest.approx((sps.somersd(table).statistic + 1) / 2, rel=RTOL)
    assert results["metrics"]["gAUC_standard_error"] == pytest.approx(gauc_standard_error(table), rel=RTOL)


@pytest.mark.parametrize("classes", [[0.5, 0.2], [], [0.1, float("inf")], "deciles"])
def test_invalid_gauc_classes_rejected(classes):
    with pytest.raises(pydantic.ValidationError):
        LGDOptions(gauc_classes=classes)


def test_reference_gauc_out_of_range_rejected():
    with pytest.raises(ValueError):
        LGDOptions(reference_gauc=1.5)


# --------------------------------------------------------------------------- inputs


def test_missing_lgd_column(original):
    with pytest.raises(ValidationError) as error:
        analyze_lgd(original.drop(columns=["lgd_realised"]), LGDOptions(), None)
    assert error.value.code == "missing_column"


def test_only_open_workouts_is_empty_sample(synthetic):
    with pytest.raises(ValidationError) as error:
        analyze_lgd(synthetic[synthetic["workout_status"] == "open"], LGDOptions(), None)
    assert error.value.code == "empty_sample"
    assert error.value.details["counts"]["open_workouts_excluded"] == 573


def test_missing_values_counted(original):
    frame = original.copy()
    frame.loc[[0, 1], "lgd_realised"] = np.nan
    frame.loc[2, "lgd_predicted"] = np.nan
    frame["ead"] = 1000.0
    frame.loc[3, "ead"] = np.nan
    frame.loc[4, "lgd_predicted"] = 1.2
    results = analyze_lgd(frame, LGDOptions(), None)
    counts = results["counts"]
    assert counts["missing_realised_excluded"] == 2
    assert counts["missing_predicted_excluded"] == 1
    assert counts["exposure_missing"] == 1
    assert counts["predicted_out_of_range"] == 1
    sample = frame.drop(index=[0, 1, 2])
    weighted = sample.drop(index=[3])
    assert results["metrics"]["weighted_mean_realised"] == pytest.approx(weighted["lgd_realised"].mean(), rel=RTOL)
    assert results["metrics"]["mean_realised"] == pytest.approx(sample["lgd_realised"].mean(), rel=RTOL)
    assert len(results["warnings"]) >= 4


def test_small_slice_leaves_out_deciles(original):
    results = analyze_lgd(original, LGDOptions(quarter="2020Q1", portfolio="SME", modelName="LGD_v1"), None)
    assert "decile_data" not in results
    assert any("decile table is left out" in warning for warning in results["warnings"])


def test_scatter_sampled_deterministically(synthetic):
    first = analyze_lgd(synthetic, LGDOptions(max_scatter_points=500), None)
    second = analyze_lgd(synthetic, LGDOptions(max_scatter_points=500), None)
    assert len(first["plot_data"]["actual_lgd"]) == 500
    assert first["plot_data"]["sampled"] is True
    assert first["plot_data"]["total_points"] == 2427
    assert first["plot_data"] == second["plot_data"]


def test_default_scatter_limit(synthetic_results):
    assert len(synthetic_results["plot_data"]["predicted_lgd"]) == 2000


def test_arrow_dates_and_text_periods(synthetic):
    import pyarrow as pa

    frame = synthetic.copy()
    frame["period"] = frame["period"].astype(pd.ArrowDtype(pa.date32()))
    results = analyze_lgd(frame, LGDOptions(quarter="2020Q3"), None)
    expected = closed(synthetic[pd.to_datetime(synthetic["period"]).dt.to_period("Q").astype(str) == "2020Q3"])
    assert results["metrics"]["facilities"] == len(expected)

    labelled = synthetic.assign(period=np.where(pd.to_datetime(synthetic["period"]) <= "2021-12-31", "reference", "current"))
    assert lgd_filter_options(labelled)["quarters"] == ["current", "reference"]
    results = analyze_lgd(labelled, LGDOptions(quarter="Reference"), None)
    assert results["metrics"]["facilities"] == len(closed(labelled[labelled["period"] == "reference"]))


# --------------------------------------------------------------------------- filter helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ("", []), ("a", ["a"]), ("a, b,a", ["a", "b"]), (["a,b", "c", ""], ["a", "b", "c"])],
)
def test_normalise_filter_values(value, expected):
    assert filters.normalise_filter_values(value) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [("2020Q1", "2020Q1"), ("2020-q2", "2020Q2"), ("Q3 2021", "2021Q3"), (" 2019 Q4 ", "2019Q4"), ("reference", "reference")],
)
def test_normalise_quarter(label, expected):
    assert filters.normalise_quarter(label) == expected


def test_quarter_labels_mixed_inputs():
    frame = pd.DataFrame(
        {
            "period": ["2020-03-31", "reference", None, "2021Q2", "2021-11-30"],
            "period_label": [None, None, None, None, "2021q4"],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels = filters.quarter_labels(frame)
    assert labels.tolist() == ["2020Q1", "reference", None, "2021Q2", "2021Q4"]


def test_quarter_labels_numeric_and_missing_period():
    assert filters.quarter_labels(pd.DataFrame({"period": [202003, 202006]})).tolist() == ["202003", "202006"]
    assert filters.quarter_labels(pd.DataFrame({"other": [1]})).tolist() == [None]
    assert filters.filter_options(pd.DataFrame({"other": [1]})) == {"portfolios": [], "quarters": [], "modelNames": []}


def test_additional_data_without_columns():
    rows = filters.additional_data(pd.DataFrame({"segment": ["B", "A", "B", None]}))
    assert rows == [
        {"Quarter": None, "Portfolio": None, "ModelName": None},
        {"Quarter": None, "Portfolio": "A", "ModelName": None},
        {"Quarter": None, "Portfolio": "B", "ModelName": None},
    ]


def test_mape_driven_by_near_zero_realised_is_marked_unreliable():
    from mmt.analyses.lgd import LGDOptions, analyze_lgd
    from mmt.thresholds import DEFAULTS

    frame = pd.DataFrame({
        "lgd_predicted": [0.30, 0.40, 0.50, 0.20, 0.35, 0.45],
        "lgd_realised": [0.001, 0.40, 0.55, 0.25, 0.30, 0.50],
    })
    results = analyze_lgd(frame, LGDOptions(), DEFAULTS)
    errors = np.abs(frame.lgd_realised - frame.lgd_predicted) / frame.lgd_realised
    assert results["metrics"]["MAPE"] == pytest.approx(100 * errors.mean(), rel=1e-12)
    assert "1 facilities have a realised LGD closer to 0" in results["metrics"]["MAPE_note"]
    status = next(item for item in results["summary_statuses"] if item["metric"] == "MAPE")
    assert status["note"] == results["metrics"]["MAPE_note"]
    calm = analyze_lgd(frame.assign(lgd_realised=[0.25, 0.40, 0.55, 0.25, 0.30, 0.50]), LGDOptions(), DEFAULTS)
    assert "MAPE_note" not in calm["metrics"]
