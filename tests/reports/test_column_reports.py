"""Stability and WOE reports: per-column tables checked against pandas counts and a hand IV."""

from __future__ import annotations

import io
import re

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mmt.analyses.stability import analyze_stability
from mmt.analyses.woe import analyze_woe
from mmt.reports import build_report, render_html, render_xlsx
from tests.reports.conftest import report_input

PERIODS = ("2023-12-31", "2024-06-30", "2024-12-31")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    rows = 3_000
    period = np.array(PERIODS)[np.arange(rows) % 3]
    income = np.round(rng.lognormal(10, 0.5, rows) * np.where(period == PERIODS[2], 1.2, 1.0), 2)
    region = rng.choice(["north", "south", "east"], rows)
    flag = (rng.random(rows) < 1 / (1 + np.exp((np.log(income) - 9.2) * 2))).astype(np.int8)
    return pd.DataFrame({"snapshot_date": pd.to_datetime(period), "income": income, "region": region,
                         "default_flag": flag})


@pytest.fixture(scope="module")
def path(frame, tmp_path_factory):
    target = tmp_path_factory.mktemp("columns") / "rows.parquet"
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.set_column(0, "snapshot_date", table.column(0).cast(pa.date32())), target)
    return target


def _table(report, sheet):
    return next(table for table in report.tables() if table.sheet == sheet)


def test_stability_bins_equal_pandas_counts(frame, path):
    results = analyze_stability(path, {"columns": ["income", "region"]}, None)
    report = build_report(report_input("stability", results))
    assert not report.problems
    edges = results["columns"]["income"]["binning"]["edges"]
    reference = frame[frame["snapshot_date"] == PERIODS[0]]["income"]
    current = frame[frame["snapshot_date"] == PERIODS[2]]["income"]
    expected_reference = pd.cut(reference, [-np.inf, *edges, np.inf]).value_counts(sort=False).tolist()
    expected_current = pd.cut(current, [-np.inf, *edges, np.inf]).value_counts(sort=False).tolist()
    rows = [row for row in _table(report, "Stability bins").rows if row[0] == "income" and row[1] != "Missing"]
    assert [row[2] for row in rows] == expected_reference
    assert [row[4] for row in rows] == expected_current
    summary = {row[0]: row for row in _table(report, "Stability").rows}
    assert summary["income"][3] == results["columns"]["income"]["statistic"]
    assert summary["income"][5] == results["columns"]["income"]["status"]
    assert dict(report.header)["Period"] == "current 2024-12-31; reference 2023-12-31"
    trend = [row for row in _table(report, "Stability trend").rows if row[0] == "income"]
    assert [row[1] for row in trend] == [PERIODS[1], PERIODS[2]]


def test_woe_iv_equals_hand_computation(frame, path):
    results = analyze_woe(path, {"columns": ["income", "region"], "n_bins": 5})
    report = build_report(report_input("woe", results))
    assert not report.problems
    edges = np.unique(np.quantile(frame["income"], [0.2, 0.4, 0.6, 0.8]))
    codes = pd.cut(frame["income"], [-np.inf, *edges, np.inf], labels=False)
    events = frame.groupby(codes)["default_flag"].sum().to_numpy(float)
    non_events = frame.groupby(codes)["default_flag"].count().to_numpy(float) - events
    share_events, share_non_events = events / events.sum(), non_events / non_events.sum()
    iv = float(np.sum((share_events - share_non_events) * np.log(share_events / share_non_events)))
    table = {row[0]: row for row in _table(report, "Information value").rows}
    assert table["income"][3] == pytest.approx(iv, rel=1e-12)
    bins = [row for row in _table(report, "WOE bins").rows if row[0] == "income" and row[1] != "Missing"]
    assert [row[3] for row in bins] == events.tolist()
    assert dict(report.header)["Period"] == "all rows of the dataset"
    assert report.thresholds_used == ()


def test_column_reports_render(path):
    for analysis_type, results in (("stability", analyze_stability(path, {}, None)), ("woe", analyze_woe(path, {}))):
        report = build_report(report_input(analysis_type, results))
        workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))
        html = render_html(report).html
        if analysis_type == "stability":
            assert {"Stability", "Stability bins", "Stability trend"} <= set(workbook.sheetnames)
            assert "Population and characteristic stability" in html
        else:
            assert {"Information value", "WOE bins"} <= set(workbook.sheetnames)
            assert "Weight of evidence and information value" in html


def test_huge_values_get_compact_labels(tmp_path):
    rng = np.random.default_rng(5)
    rows = 400
    period = np.array(PERIODS[:2])[np.arange(rows) % 2]
    values = rng.uniform(1.0, 9.0, rows) * 1e300
    target = tmp_path / "huge.parquet"
    pq.write_table(pa.table({"snapshot_date": pa.array(pd.to_datetime(period)).cast(pa.date32()), "huge": values,
                             "default_flag": (rng.random(rows) < 0.3).astype(np.int8)}), target)

    for analysis_type, results in (("stability", analyze_stability(target, {"columns": ["huge"]}, None)),
                                   ("woe", analyze_woe(target, {"columns": ["huge"]}))):
        labels = [row["label"] for row in results["columns"]["huge"]["bins"]]
        edges = results["columns"]["huge"]["binning"]["edges"]
        assert len(labels) == len(set(labels)), analysis_type
        assert labels[0] == f"[-inf, {np.format_float_scientific(edges[0], precision=5, unique=False)}]"
        assert max(len(label) for label in labels) < 40, (analysis_type, labels)
        report = build_report(report_input(analysis_type, results))
        html = render_html(report).html
        workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))
        cells = [str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row]
        # A cut point near 1e300 written out in full is a run of about 300 digits.
        assert re.search(r"[1-9]\d{49}", html) is None, analysis_type
        assert not any(re.search(r"[1-9]\d{49}", cell) for cell in cells), analysis_type
        assert labels[1] in html, analysis_type
        assert labels[1] in cells, analysis_type
