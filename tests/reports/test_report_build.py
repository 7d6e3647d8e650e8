"""Report charts and tables on the sample data, checked against figures computed here from the files."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_curve
from statsmodels.tsa.stattools import acf

from mmt.reports import build_report
from mmt.reports.figures import figure_payload
from tests.reports.conftest import report_input


def chart_data(report, key):
    charts = {chart.key: chart for chart in report.charts()}
    assert key in charts, f"chart {key} missing; charts: {sorted(charts)}"
    return figure_payload(charts[key].figure)["data"]


def table(report, sheet):
    tables = {table.sheet: table for table in report.tables()}
    assert sheet in tables, f"table {sheet} missing; tables: {sorted(tables)}"
    return tables[sheet]


def column(table_, title):
    index = [column.title for column in table_.columns].index(title)
    return [row[index] for row in table_.rows]


@pytest.fixture(scope="module")
def pd_report(pd_results):
    return build_report(report_input("pd", pd_results, name="pd_germancredit.csv"))


@pytest.fixture(scope="module")
def german_current(german_frame):
    return german_frame[german_frame["snapshot_date"].astype(str) == "2024-12-31"]


def test_pd_report_has_every_chart_kind(pd_report):
    keys = {chart.key for chart in pd_report.charts()}
    assert {"roc", "cap", "calibration", "psi_distribution", "grade_distribution", "psi_csi", "iv"} <= keys
    assert any(key.startswith("woe_") for key in keys)
    assert pd_report.problems == ()


def test_roc_points_lie_on_sklearn_curve(pd_report, german_current):
    fpr, tpr, _ = roc_curve(german_current["default_flag"], german_current["pd"], drop_intermediate=False)
    curve = {(round(x, 12), round(y, 12)) for x, y in zip(fpr, tpr)}
    trace = [trace for trace in chart_data(pd_report, "roc") if trace["name"].startswith("Current")][0]
    assert len(trace["x"]) >= 50
    for x, y in zip(trace["x"], trace["y"]):
        assert (round(x, 12), round(y, 12)) in curve


def test_calibration_chart_matches_pandas_grades(pd_report, german_current):
    grouped = german_current.groupby(german_current["rating"].astype(str)).agg(
        defaults=("default_flag", "sum"), obligors=("default_flag", "count"), mean_pd=("pd", "mean"))
    traces = {trace["name"]: trace for trace in chart_data(pd_report, "calibration")}
    rates = [trace for name, trace in traces.items() if name.startswith("Default rate")][0]
    mean_pd = traces["Mean PD"]
    assert sorted(rates["x"], key=int) == rates["x"]
    for index, grade in enumerate(rates["x"]):
        defaults = int(grouped.loc[grade, "defaults"])
        obligors = int(grouped.loc[grade, "obligors"])
        assert rates["y"][index] == pytest.approx(defaults / obligors, rel=1e-12)
        assert mean_pd["y"][index] == pytest.approx(grouped.loc[grade, "mean_pd"], rel=1e-9)
        lower, upper = stats.beta.ppf([0.025, 0.975], defaults + 0.5, obligors - defaults + 0.5)
        error = rates["error_y"]
        assert rates["y"][index] + error["array"][index] == pytest.approx(upper, rel=1e-12)
        assert rates["y"][index] - error["arrayminus"][index] == pytest.approx(lower, rel=1e-9, abs=1e-15)


def test_calibration_table_numbers_and_intervals(pd_report, german_current):
    calibration = table(pd_report, "Calibration by grade")
    grades = column(calibration, "Grade")
    lowers = column(calibration, "Jeffreys 95% lower")
    obligors = column(calibration, "Obligors")
    for grade, lower, count in zip(grades, lowers, obligors):
        rows = german_current[german_current["rating"].astype(str) == grade]
        assert count == len(rows)
        expected = stats.beta.ppf(0.025, rows["default_flag"].sum() + 0.5, len(rows) - rows["default_flag"].sum() + 0.5)
        assert lower == pytest.approx(expected, rel=1e-9)
    assert set(column(calibration, "Status")) <= {"green", "amber", "red", None}


def test_grade_distribution_matches_value_counts(pd_report, german_frame):
    reference = german_frame[german_frame["snapshot_date"].astype(str) == "2023-12-31"]
    shares = reference["rating"].astype(str).value_counts(normalize=True)
    bars = {trace["name"]: trace for trace in chart_data(pd_report, "grade_distribution")}["Reference"]
    for grade, share in zip(bars["x"], bars["y"]):
        assert share == pytest.approx(shares.get(grade, 0.0), rel=1e-12)


def test_woe_bars_match_hand_computation(pd_report, german_current):
    feature = "status_of_existing_checking_account"
    woe_chart = [chart for chart in pd_report.charts() if chart.title.startswith(f"WOE of {feature} ")][0]
    bars = figure_payload(woe_chart.figure)["data"][0]
    events = german_current.groupby(feature)["default_flag"].sum()
    non_events = german_current.groupby(feature)["default_flag"].count() - events
    assert set(events.index) <= set(bars["x"])
    for label, woe in zip(bars["x"], bars["y"]):
        if label not in events.index:
            continue
        expected = math.log((events[label] / events.sum()) / (non_events[label] / non_events.sum()))
        assert woe == pytest.approx(expected, rel=1e-9)


def test_psi_csi_bars_coloured_by_status(pd_report, pd_results):
    bars = [trace for trace in chart_data(pd_report, "psi_csi") if trace["type"] == "bar"][0]
    assert bars["y"][0] == "PSI pd"
    assert bars["x"][0] == pytest.approx(pd_results["stability"]["psi"]["statistic"], rel=1e-12)
    csi = pd_results["stability"]["csi"]
    assert len(bars["y"]) == 2 + len(csi)
    assert set(bars["marker"]["color"]) <= {"#1e7b34", "#b8860b", "#c0392b", "#6b6b6b"}


def test_summary_table_keeps_every_status(pd_report, pd_results):
    summary = pd_report.summary
    assert len(summary.rows) == len(pd_results["summary_statuses"])
    for row, entry in zip(summary.rows, pd_results["summary_statuses"]):
        assert row[0] == entry["metric"]
        assert row[1] == entry["value"]
        assert row[2] == entry["status"]
    counts = pd_report.status_counts
    assert counts["green"] + counts["amber"] + counts["red"] + counts["none"] == len(summary.rows)


def test_header_names_period_and_thresholds(pd_report):
    header = dict(pd_report.header)
    assert header["Model type"].startswith("PD")
    assert "pd_germancredit.csv" in header["Dataset"]
    assert header["Period"] == "current 2024-12-31; reference 2023-12-31"
    assert header["Software version"] == "MMT 0.1.0"
    keys = {key for key, _, _ in pd_report.thresholds_used}
    assert {"auc_threshold", "psi_threshold", "pvalue_amber"} <= keys
    assert "lgd_mape_threshold" not in keys


def test_lgd_segment_means_match_pandas(lgd_frame, lgd_results):
    report = build_report(report_input("lgd", lgd_results))
    closed = lgd_frame[lgd_frame["workout_status"].str.lower() == "closed"]
    traces = {trace["name"]: trace for trace in chart_data(report, "lgd_segments")}
    for segment, value in zip(traces["Realised LGD"]["x"], traces["Realised LGD"]["y"]):
        assert value == pytest.approx(closed.loc[closed["segment"] == segment, "lgd_realised"].mean(), rel=1e-9)
    scatter = chart_data(report, "lgd_scatter")[0]
    assert scatter["x"] == lgd_results["plot_data"]["predicted_lgd"]
    assert scatter["y"] == lgd_results["plot_data"]["actual_lgd"]
    heatmap = chart_data(report, "lgd_deciles")[0]
    assert np.allclose(np.sum(heatmap["z"]), 100.0)


def test_ead_report_scatters_and_deciles(ead_results):
    report = build_report(report_input("ead", ead_results))
    keys = {chart.key for chart in report.charts()}
    assert {"ead_scatter", "ccf_scatter", "ead_deciles", "ccf_deciles", "ccf_segments"} <= keys
    layout = figure_payload({chart.key: chart for chart in report.charts()}["ead_scatter"].figure)["layout"]
    # The sample has facilities with a realised EAD of 0, which a logarithmic axis would drop.
    assert min(ead_results["plot_data"]["actual_ead"]) <= 0
    assert layout["xaxis"].get("type") != "log"
    positive = dict(ead_results, plot_data={**ead_results["plot_data"], "actual_ead": [1.0, 10.0], "predicted_ead": [2.0, 20.0]})
    positive_report = build_report(report_input("ead", positive))
    layout = figure_payload({chart.key: chart for chart in positive_report.charts()}["ead_scatter"].figure)["layout"]
    assert layout["xaxis"]["type"] == "log"
    assert report.problems == ()
    ead_tests = table(report, "EAD tests")
    assert "red" in column(ead_tests, "Status")


def test_transition_heatmap_counts_match_pandas(transition_frame, transition_results):
    report = build_report(report_input("rating_transition", transition_results))
    heatmap = chart_data(report, "transition_heatmap")[0]
    frame = transition_frame.assign(rating=transition_frame["rating"].astype(str))
    dates = sorted(frame["snapshot_date"].unique())
    pairs = []
    for start, end in zip(dates, dates[1:]):
        begin = frame[(frame["snapshot_date"] == start) & (frame["rating"] != "D")]
        finish = frame[frame["snapshot_date"] == end]
        pairs.append(begin.merge(finish, on="obligor_id", suffixes=("_from", "_to")))
    moves = pd.concat(pairs).groupby(["rating_from", "rating_to"]).size()
    starts = pd.concat([frame[(frame["snapshot_date"] == start) & (frame["rating"] != "D")] for start in dates[:-1]])
    totals = starts["rating"].value_counts()
    for row_index, grade_from in enumerate(heatmap["y"]):
        if grade_from == "D":
            # Absorbing by definition: 1 on D itself.
            assert heatmap["z"][row_index] == [1.0 if grade_to == "D" else 0.0 for grade_to in heatmap["x"]]
            continue
        for column_index, grade_to in enumerate(heatmap["x"]):
            if grade_to == "Exit":
                continue
            expected = moves.get((grade_from, grade_to), 0) / totals[grade_from]
            assert heatmap["z"][row_index][column_index] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert {"Migration counts", "Migration rates", "Rates by period"} <= {table.sheet for table in report.tables()}


def test_macro_fit_matches_file(macro_frame, macro_results):
    report = build_report(report_input("macro", macro_results))
    traces = {trace["name"]: trace for trace in chart_data(report, "actual_fitted")}
    assert traces["Actual default_rate"]["y"] == pytest.approx(macro_frame["default_rate"].tolist(), rel=1e-12)
    supplied = traces["Supplied fitted (fitted_default_rate)"]["y"]
    assert supplied == pytest.approx(macro_frame["fitted_default_rate"].tolist(), rel=1e-12)


def test_macro_fitted_error_acf_matches_statsmodels(macro_frame, macro_results):
    report = build_report(report_input("macro", macro_results))
    bars = [trace for trace in chart_data(report, "fitted_error_acf") if trace["type"] == "bar"][0]
    errors = (macro_frame["fitted_default_rate"] - macro_frame["default_rate"]).to_numpy()
    expected = acf(errors, nlags=20, fft=False)
    assert bars["x"] == list(range(1, 21))
    assert bars["y"] == pytest.approx(expected[1:].tolist(), rel=1e-9)


def test_macro_residual_acf_shown_from_lag_one(macro_results):
    report = build_report(report_input("macro", macro_results))
    bars = [trace for trace in chart_data(report, "residual_acf") if trace["type"] == "bar"][0]
    stored = macro_results["time_series_data"]["residual_acf"]
    assert bars["y"] == stored["values"][1:]
    assert {"Stationarity", "Regression", "Performance", "Diagnostics", "Time series"} <= {t.sheet for t in report.tables()}


def test_unknown_type_gets_generic_figures():
    report = build_report(report_input("backtest_x", {"auc": 0.7, "nested": {"gini": 0.4}, "label": "x"}))
    figures = table(report, "Figures")
    assert figures.rows == (("auc", 0.7), ("nested.gini", 0.4))


def test_broken_section_is_reported_not_raised(pd_results):
    broken = dict(pd_results, calibration={"grades": [{"grade": "1", "obligors": "many", "defaults": 1}]})
    report = build_report(report_input("pd", broken))
    assert any("calibration_section" in problem for problem in report.problems)
    assert "discrimination" in {section.key for section in report.sections}


def test_header_names_segment_filter(pd_results):
    parameters = {**(pd_results.get("parameters") or {}), "segment": ["KW", "NL"], "segment_column": "region"}
    report = build_report(report_input("pd", {**pd_results, "parameters": parameters}))
    assert dict(report.header)["Period"] == "current 2024-12-31; reference 2023-12-31; region KW, NL only"
