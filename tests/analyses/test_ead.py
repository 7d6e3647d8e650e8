"""EAD/CCF analysis checked against SciPy, scikit-learn and hand formulas."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from sklearn import metrics as skm

from mmt.analyses.ead import EADOptions, analyze_ead, derive_ead_columns, ead_filter_options
from mmt.errors import ValidationError

DATA = Path(__file__).parents[2] / "data"
RTOL = 1e-9
ECB_EDGES = [-np.inf, 0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 1.00, np.inf]


def synthetic_ead_frame() -> pd.DataFrame:
    """ead_synthetic.csv with the role names ingest gives, the default date as period."""
    raw = pd.read_csv(DATA / "ead_synthetic.csv")
    return pd.DataFrame(
        {
            "facility_id": raw["facility_id"],
            "segment": raw["segment"],
            "limit": raw["limit_amount"],
            "drawn": raw["drawn_amount_ref"],
            "ead_realised": raw["ead_at_default"],
            "ccf_realised": raw["realised_ccf"],
            "ccf_predicted": raw["predicted_ccf"],
            "ead_predicted": raw["predicted_ead"],
            "period": pd.to_datetime(raw["default_date"]).dt.date,
            "cohort": raw["period"],
        }
    )


def original_ead_frame() -> pd.DataFrame:
    """EAD_Mock_Data.xlsx of the original MMT with role names (OutstandingBal is the drawn amount)."""
    raw = pd.read_excel(DATA / "mmt_original" / "EAD_Mock_Data.xlsx", engine="calamine")
    quarters = pd.PeriodIndex(raw["Quarter"], freq="Q")
    return pd.DataFrame(
        {
            "facility_id": raw["InstrumentID"],
            "drawn": raw["OutstandingBal"],
            "ead_realised": raw["Exposure"],
            "ead_predicted": raw["predicted_exposure"],
            "period": quarters.end_time.date,
            "period_label": raw["Quarter"],
            "segment": raw["Portfolio"],
            "model_name": raw["ModelName"],
        }
    )


def strict_json(results: dict) -> dict:
    return json.loads(json.dumps(results, allow_nan=False))


def segment_table(predicted, realised) -> np.ndarray:
    rows = pd.cut(predicted, ECB_EDGES, right=False, labels=False)
    columns = pd.cut(realised, ECB_EDGES, right=False, labels=False)
    return pd.crosstab(rows, columns).reindex(index=range(12), columns=range(12), fill_value=0).to_numpy()


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
    return synthetic_ead_frame()


@pytest.fixture(scope="module")
def original() -> pd.DataFrame:
    return original_ead_frame()


@pytest.fixture(scope="module")
def synthetic_results(synthetic) -> dict:
    return analyze_ead(synthetic, EADOptions(), {})


def with_undrawn(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["limit"] - frame["drawn"] > 0]


# --------------------------------------------------------------------------- EAD figures


def test_ead_errors_match_sklearn(synthetic, synthetic_results):
    realised = synthetic["ead_realised"].to_numpy()
    predicted = synthetic["ead_predicted"].to_numpy()
    non_zero = realised != 0
    metrics = synthetic_results["metrics"]
    assert metrics["facilities"] == 4000
    assert metrics["MAPE"] == pytest.approx(100 * skm.mean_absolute_percentage_error(realised[non_zero], predicted[non_zero]), rel=RTOL)
    assert metrics["R-squared"] == pytest.approx(skm.r2_score(realised, predicted), rel=RTOL)
    assert metrics["MAE"] == pytest.approx(skm.mean_absolute_error(realised, predicted), rel=RTOL)
    assert metrics["RMSE"] == pytest.approx(skm.root_mean_squared_error(realised, predicted), rel=RTOL)
    assert synthetic_results["counts"]["zero_realised_ead"] == int((~non_zero).sum())


def test_ead_ratio_and_exceedance(synthetic, synthetic_results):
    realised = synthetic["ead_realised"].to_numpy()
    predicted = synthetic["ead_predicted"].to_numpy()
    metrics = synthetic_results["metrics"]
    assert metrics["ead_ratio"] == pytest.approx(realised.sum() / predicted.sum(), rel=RTOL)
    assert metrics["realised_exceeds_predicted_share"] == pytest.approx(np.mean(realised > predicted), rel=RTOL)
    assert synthetic_results["tests"]["ead"]["realised_exceeds_predicted"]["count"] == int((realised > predicted).sum())
    # Default thresholds: above 1.00 amber, above 1.10 red.
    assert synthetic_results["tests"]["ead"]["ead_ratio"]["status"] == "amber"


def test_ead_t_test_on_fully_drawn(synthetic, synthetic_results):
    fully_drawn = synthetic[synthetic["limit"] == synthetic["drawn"]]
    reference = sps.ttest_rel(fully_drawn["ead_realised"], fully_drawn["ead_predicted"], alternative="greater")
    metrics = synthetic_results["metrics"]
    assert metrics["fully_drawn_facilities"] == len(fully_drawn) == 341
    assert metrics["t_statistic"] == pytest.approx(reference.statistic, rel=RTOL)
    assert metrics["t_pvalue"] == pytest.approx(reference.pvalue, rel=RTOL)


# --------------------------------------------------------------------------- CCF figures


def test_ccf_figures_match_references(synthetic, synthetic_results):
    sample = with_undrawn(synthetic)
    predicted = sample["ccf_predicted"].to_numpy()
    realised = sample["ccf_realised"].to_numpy()
    undrawn = (sample["limit"] - sample["drawn"]).to_numpy()
    table = segment_table(predicted, realised)
    reference = sps.ttest_rel(realised, predicted, alternative="greater")
    metrics = synthetic_results["metrics"]
    assert metrics["ccf_facilities"] == len(sample) == 3659
    assert metrics["ccf_t_statistic"] == pytest.approx(reference.statistic, rel=RTOL)
    assert metrics["ccf_t_pvalue"] == pytest.approx(reference.pvalue, rel=RTOL)
    assert metrics["ccf_gAUC"] == pytest.approx((sps.somersd(table).statistic + 1) / 2, rel=RTOL)
    assert metrics["ccf_gAUC_standard_error"] == pytest.approx(gauc_standard_error(table), rel=RTOL)
    assert metrics["ccf_spearman"] == pytest.approx(sps.spearmanr(predicted, realised).statistic, rel=RTOL)
    assert metrics["ccf_kendall"] == pytest.approx(sps.kendalltau(predicted, realised).statistic, rel=RTOL)
    assert metrics["ccf_weighted_mean_realised"] == pytest.approx(np.average(realised, weights=undrawn), rel=RTOL)
    assert metrics["ccf_mean_predicted"] == pytest.approx(predicted.mean(), rel=RTOL)
    assert metrics["ccf_MAE"] == pytest.approx(skm.mean_absolute_error(realised, predicted), rel=RTOL)
    assert "ccf_loss_shortfall" not in metrics


def test_ccf_quantiles_and_out_of_range(synthetic, synthetic_results):
    realised = with_undrawn(synthetic)["ccf_realised"].to_numpy()
    quantiles = synthetic_results["ccf_realised_quantiles"]
    assert quantiles["0%"] == realised.min()
    assert quantiles["50%"] == pytest.approx(np.median(realised), rel=RTOL)
    assert quantiles["95%"] == pytest.approx(np.quantile(realised, 0.95), rel=RTOL)
    counts = synthetic_results["counts"]
    assert counts["ccf_realised_below_zero"] == int((realised < 0).sum())
    assert counts["ccf_realised_above_one"] == int((realised > 1).sum())


def test_fully_drawn_counted_and_excluded(synthetic_results):
    counts = synthetic_results["counts"]
    assert counts["fully_drawn_excluded"] == 341
    assert counts["ccf_facilities"] + counts["fully_drawn_excluded"] == 4000
    assert any("341 fully drawn" in warning for warning in synthetic_results["warnings"])


def test_realised_ccf_derived_without_division_by_zero(synthetic):
    frame = synthetic.drop(columns=["ccf_realised"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = analyze_ead(frame, EADOptions(), None)
    sample = with_undrawn(synthetic)
    derived = (sample["ead_realised"] - sample["drawn"]) / (sample["limit"] - sample["drawn"])
    assert results["counts"]["ccf_realised_derived"] == len(sample)
    assert results["counts"]["fully_drawn_excluded"] == 341
    assert results["metrics"]["ccf_mean_realised"] == pytest.approx(derived.mean(), rel=RTOL)
    reference = sps.ttest_rel(derived, sample["ccf_predicted"], alternative="greater")
    assert results["metrics"]["ccf_t_pvalue"] == pytest.approx(reference.pvalue, rel=RTOL)


def test_predicted_ead_derived_from_ccf(synthetic):
    frame = synthetic.drop(columns=["ead_predicted"])
    results = analyze_ead(frame, EADOptions(), None)
    undrawn = (synthetic["limit"] - synthetic["drawn"]).clip(lower=0)
    predicted = synthetic["drawn"] + synthetic["ccf_predicted"] * undrawn
    realised = synthetic["ead_realised"]
    assert results["metrics"]["R-squared"] == pytest.approx(skm.r2_score(realised, predicted), rel=RTOL)
    assert results["metrics"]["ead_ratio"] == pytest.approx(realised.sum() / predicted.sum(), rel=RTOL)


def test_predicted_ccf_derived_from_ead(synthetic):
    frame = synthetic.drop(columns=["ccf_predicted"])
    results = analyze_ead(frame, EADOptions(), None)
    sample = with_undrawn(synthetic)
    predicted = (sample["ead_predicted"] - sample["drawn"]) / (sample["limit"] - sample["drawn"])
    assert results["metrics"]["ccf_mean_predicted"] == pytest.approx(predicted.mean(), rel=RTOL)


def test_derive_columns_on_over_limit_line():
    frame = pd.DataFrame({"limit": [100.0, 100.0], "drawn": [120.0, 40.0], "ead_realised": [125.0, 70.0], "ccf_predicted": [0.5, 0.5]})
    derived = derive_ead_columns(frame)
    assert derived["fully_drawn"].tolist() == [True, False]
    assert np.isnan(derived.loc[0, "ccf_realised"])
    assert derived.loc[1, "ccf_realised"] == pytest.approx(0.5, rel=RTOL)
    assert derived["ead_predicted"].tolist() == [120.0, 70.0]


# --------------------------------------------------------------------------- segments


def test_segment_figures(synthetic, synthetic_results):
    segments = {entry["segment"]: entry for entry in synthetic_results["segments"]}
    assert sorted(segments) == ["Corporate Revolver", "Credit Card", "Overdraft"]
    for name, part in synthetic.groupby("segment"):
        figures = segments[name]
        metrics = figures["metrics"]
        sample = with_undrawn(part)
        reference = sps.ttest_rel(sample["ccf_realised"], sample["ccf_predicted"], alternative="greater")
        assert metrics["ead_ratio"] == pytest.approx(part["ead_realised"].sum() / part["ead_predicted"].sum(), rel=RTOL)
        assert metrics["ccf_t_pvalue"] == pytest.approx(reference.pvalue, rel=RTOL)
        assert metrics["R-squared"] == pytest.approx(skm.r2_score(part["ead_realised"], part["ead_predicted"]), rel=RTOL)
        assert figures["counts"]["fully_drawn_excluded"] == int((part["limit"] == part["drawn"]).sum())
        assert figures["tests"]["ccf"]["gauc_test"]["status"] == "not_requested"


def test_ccf_gauc_test_against_reference_frame(synthetic):
    reference = synthetic[synthetic["cohort"] == "reference"]
    current = synthetic[synthetic["cohort"] == "current"]
    results = analyze_ead(current, EADOptions(), None, reference_frame=reference)
    reference_sample = with_undrawn(reference)
    gauc_initial = (sps.somersd(segment_table(reference_sample["ccf_predicted"], reference_sample["ccf_realised"])).statistic + 1) / 2
    current_sample = with_undrawn(current)
    table = segment_table(current_sample["ccf_predicted"], current_sample["ccf_realised"])
    statistic = (gauc_initial - (sps.somersd(table).statistic + 1) / 2) / gauc_standard_error(table)
    entry = results["tests"]["ccf"]["gauc_test"]
    assert entry["gauc_initial"] == pytest.approx(gauc_initial, rel=RTOL)
    assert entry["statistic"] == pytest.approx(statistic, rel=RTOL)
    assert results["metrics"]["ccf_gAUC_test_pvalue"] == pytest.approx(sps.norm.sf(statistic), rel=RTOL)


def test_reference_gauc_option(synthetic):
    results = analyze_ead(synthetic, EADOptions(reference_gauc=0.5), None)
    assert results["parameters"]["gauc_initial_source"] == "option"
    assert results["tests"]["ccf"]["gauc_test"]["status"] == "green"


def test_reference_frame_problems(original, synthetic):
    missing = analyze_ead(synthetic, EADOptions(portfolio="Overdraft"), None, reference_frame=synthetic.assign(segment="x"))
    assert any("reference dataset has no rows" in warning for warning in missing["warnings"])
    undefined = analyze_ead(synthetic, EADOptions(), None, reference_frame=original)
    assert undefined["parameters"]["gauc_initial"] is None
    assert any("not computable" in warning for warning in undefined["warnings"])


# --------------------------------------------------------------------------- original front end


def test_front_end_fields_on_original_file(original):
    results = analyze_ead(original, EADOptions(), None)
    actual = original["ead_realised"].to_numpy()
    predicted = original["ead_predicted"].to_numpy()
    metrics = results["metrics"]
    assert metrics["MAPE"] == pytest.approx(np.mean(np.abs((actual - predicted) / actual)) * 100, rel=RTOL)
    assert metrics["R-squared"] == pytest.approx(skm.r2_score(actual, predicted), rel=RTOL)
    assert results["plot_data"]["actual_ead"] == actual.tolist()
    assert results["plot_data"]["predicted_ead"] == predicted.tolist()
    assert results["decile_data"]["total_count"] == 100
    assert "ccf_decile_data" not in results
    assert metrics["ccf_facilities"] == 0
    assert results["tests"]["ccf"]["gauc"]["value"] is None
    assert results["tests"]["ccf"]["gauc"]["status"] == "insufficient_data"
    assert metrics["ccf_gAUC"] is None
    assert metrics["ccf_t_pvalue"] is None
    assert results["warnings"] == ["The dataset has no CCF and no limit and drawn amount, so only EAD figures are computed."]
    assert len(results["additional_data"]) == 8


def test_filter_options_of_original_file(original):
    assert ead_filter_options(original) == {
        "portfolios": ["corporate", "retail"],
        "quarters": ["2023Q4", "2024Q1"],
        "modelNames": ["model1", "model2"],
    }


def test_every_filter_combination_original(original):
    options = ead_filter_options(original)
    choices = itertools.product([None, *options["quarters"]], [None, *options["portfolios"]], [None, *options["modelNames"]])
    for quarter, portfolio, model in choices:
        mask = pd.Series(True, index=original.index)
        if quarter:
            mask &= original["period_label"] == quarter
        if portfolio:
            mask &= original["segment"] == portfolio
        if model:
            mask &= original["model_name"] == model
        part = original[mask]
        results = strict_json(analyze_ead(original, EADOptions(quarter=quarter, portfolio=portfolio, modelName=model), None))
        assert results["metrics"]["facilities"] == len(part)
        assert results["metrics"]["R-squared"] == pytest.approx(skm.r2_score(part["ead_realised"], part["ead_predicted"]), rel=RTOL)
        assert results["metrics"]["ead_ratio"] == pytest.approx(part["ead_realised"].sum() / part["ead_predicted"].sum(), rel=RTOL)
        assert len(results["additional_data"]) == 8
        if len(part) < 10:
            assert "decile_data" not in results
            continue
        grid = np.array([row["values"] for row in results["decile_data"]["data"]])
        assert grid.shape == (10, 10)
        assert grid.sum() == pytest.approx(100.0, rel=1e-12)


def test_every_filter_combination_synthetic(synthetic):
    options = ead_filter_options(synthetic)
    assert len(options["quarters"]) == 20
    for quarter, portfolio in itertools.product([None, *options["quarters"]], [None, *options["portfolios"]]):
        results = strict_json(analyze_ead(synthetic, EADOptions(quarter=quarter, portfolio=portfolio), None))
        mask = pd.Series(True, index=synthetic.index)
        if quarter:
            mask &= pd.to_datetime(synthetic["period"]).dt.to_period("Q").astype(str) == quarter
        if portfolio:
            mask &= synthetic["segment"] == portfolio
        part = synthetic[mask]
        sample = with_undrawn(part)
        assert results["counts"]["fully_drawn_excluded"] == len(part) - len(sample)
        assert results["metrics"]["ccf_facilities"] == len(sample)
        if len(sample) >= 2:
            reference = sps.ttest_rel(sample["ccf_realised"], sample["ccf_predicted"], alternative="greater")
            assert results["metrics"]["ccf_t_pvalue"] == pytest.approx(reference.pvalue, rel=RTOL)


def test_portfolio_filter_ignores_case(original):
    results = analyze_ead(original, EADOptions(portfolio="Retail", quarter="2024Q1", modelName="model1,model2"), None)
    expected = ((original["segment"] == "retail") & (original["period_label"] == "2024Q1")).sum()
    assert results["metrics"]["facilities"] == expected


def test_empty_selection(original):
    with pytest.raises(ValidationError) as error:
        analyze_ead(original, EADOptions(quarter="2022Q1", modelName="model3"), None)
    assert error.value.status == 422
    assert error.value.code == "empty_selection"
    assert error.value.details["filters"] == {"quarter": ["2022Q1"], "modelName": ["model3"]}


def test_small_slice_leaves_out_deciles(original):
    part = original.head(5)
    results = analyze_ead(part, EADOptions(), None)
    assert "decile_data" not in results
    assert results["metrics"]["facilities"] == 5


# --------------------------------------------------------------------------- inputs


def test_missing_realised_ead_column(original):
    with pytest.raises(ValidationError) as error:
        analyze_ead(original.drop(columns=["ead_realised"]), EADOptions(), None)
    assert error.value.code == "missing_column"


def test_no_usable_rows_is_empty_sample(original):
    with pytest.raises(ValidationError) as error:
        analyze_ead(original.assign(ead_predicted=np.nan), EADOptions(), None)
    assert error.value.code == "empty_sample"


def test_unknown_segment_column(original):
    with pytest.raises(ValidationError) as error:
        analyze_ead(original, EADOptions(segment_column="region"), None)
    assert error.value.code == "unknown_column"


def test_ccf_only_dataset(synthetic):
    frame = with_undrawn(synthetic)[["segment", "ccf_realised", "ccf_predicted", "period"]]
    results = analyze_ead(frame, EADOptions(), None)
    assert results["metrics"]["facilities"] == 0
    assert results["metrics"]["MAPE"] is None
    assert results["tests"]["ead"]["ead_ratio"]["status"] == "insufficient_data"
    assert results["metrics"]["ccf_facilities"] == len(frame)
    assert results["metrics"]["ccf_weighted_mean_realised"] is None
    assert "ccf_decile_data" in results
    assert "decile_data" not in results
    strict_json(results)


def test_missing_ccf_values_counted(synthetic):
    frame = synthetic.copy()
    frame.loc[with_undrawn(frame).index[:5], "ccf_predicted"] = np.nan
    frame.loc[with_undrawn(frame).index[:5], "ead_predicted"] = np.nan
    results = analyze_ead(frame, EADOptions(), None)
    assert results["counts"]["ccf_missing_excluded"] == 5
    assert results["counts"]["ead_missing_excluded"] == 5
    assert results["metrics"]["facilities"] == 3995
