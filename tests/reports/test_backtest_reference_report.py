"""LGD and EAD/CCF reports of a result with a reference period: the comparison table, tests and counts.

The current and reference figures are recomputed in the test with
scikit-learn on the rows of each period, then compared with the report's table.
"""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, r2_score

from mmt.analyses.ead import EADOptions, analyze_ead
from mmt.analyses.lgd import LGDOptions, analyze_lgd
from mmt.reports import build_report, render_html, render_xlsx
from tests.reports.conftest import DATA, report_input

CURRENT = {"start": "2022-01-01", "end": "2023-12-31"}
REFERENCE = {"start": "2018-01-01", "end": "2021-12-31"}


def _dated(frame: pd.DataFrame, date_column: str) -> pd.DataFrame:
    """Use the default dates as the period role, as an upload that maps them to it."""
    frame = frame.drop(columns=[column for column in ("period",) if column in frame.columns])
    return frame.assign(period=pd.to_datetime(frame.pop(date_column)))


@pytest.fixture(scope="module")
def lgd_frame() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "lgd_synthetic.csv").rename(
        columns={"predicted_lgd": "lgd_predicted", "realised_lgd": "lgd_realised", "ead_at_default": "ead"})
    return _dated(raw, "default_date")


@pytest.fixture(scope="module")
def lgd_report(lgd_frame):
    results = analyze_lgd(lgd_frame, LGDOptions(current_period=CURRENT, reference_period=REFERENCE), None)
    return build_report(report_input("lgd", results))


def _rows(frame: pd.DataFrame, period: dict[str, str]) -> pd.DataFrame:
    chosen = frame["period"].between(pd.Timestamp(period["start"]), pd.Timestamp(period["end"]))
    return frame[chosen & (frame["workout_status"].str.lower() != "open")].dropna(
        subset=["lgd_realised", "lgd_predicted"])


def _table(report, sheet: str):
    return next(table for table in report.tables() if table.sheet == sheet)


def test_reference_table_equals_sklearn(lgd_report, lgd_frame):
    current, reference = _rows(lgd_frame, CURRENT), _rows(lgd_frame, REFERENCE)
    rows = {row[0]: row[1:] for row in _table(lgd_report, "Reference figures").rows}
    expected = {
        "MAE": (mean_absolute_error(current["lgd_realised"], current["lgd_predicted"]),
                mean_absolute_error(reference["lgd_realised"], reference["lgd_predicted"])),
        "R-squared": (r2_score(current["lgd_realised"], current["lgd_predicted"]),
                      r2_score(reference["lgd_realised"], reference["lgd_predicted"])),
    }
    for name, (now, before) in expected.items():
        assert rows[name][0] == pytest.approx(now, rel=1e-12)
        assert rows[name][1] == pytest.approx(before, rel=1e-12)
        assert rows[name][2] == pytest.approx(now - before, rel=1e-9)


def test_reference_tests_and_counts(lgd_report, lgd_frame):
    reference = _rows(lgd_frame, REFERENCE)
    tests = {row[0]: row for row in _table(lgd_report, "Reference tests").rows}
    assert tests["t-test of the mean difference"][4] == len(reference)
    counts = dict(_table(lgd_report, "Reference counts").rows)
    chosen = lgd_frame["period"].between(pd.Timestamp(REFERENCE["start"]), pd.Timestamp(REFERENCE["end"]))
    assert counts["rows selected"] == int(chosen.sum())


def test_reference_period_in_header(lgd_report):
    assert dict(lgd_report.header)["Period"] == (
        "current period 2022-01-01 to 2023-12-31; compared with the reference period 2018-01-01 to 2021-12-31")


def test_reference_section_in_html_and_xlsx(lgd_report):
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(lgd_report)))
    assert {"Reference figures", "Reference tests", "Reference counts"} <= set(workbook.sheetnames)
    assert "Comparison with the reference period" in render_html(lgd_report).html


def test_no_reference_section_without_reference_period(lgd_frame):
    report = build_report(report_input("lgd", analyze_lgd(lgd_frame, LGDOptions(), None)))
    assert all(section.key != "reference_period" for section in report.sections)
    assert dict(report.header)["Period"].startswith("all rows of the dataset")


def test_ead_reference_tests_by_quantity():
    raw = pd.read_csv(DATA / "ead_synthetic.csv").rename(columns={
        "limit_amount": "limit", "drawn_amount_ref": "drawn", "ead_at_default": "ead_realised",
        "realised_ccf": "ccf_realised", "predicted_ccf": "ccf_predicted", "predicted_ead": "ead_predicted"})
    frame = _dated(raw, "default_date")
    results = analyze_ead(frame, EADOptions(current_period=CURRENT, reference_period=REFERENCE), None)
    report = build_report(report_input("ead", results))
    assert not report.problems
    figures = {row[0]: row[1:] for row in _table(report, "Reference figures").rows}
    chosen = frame["period"].between(pd.Timestamp(REFERENCE["start"]), pd.Timestamp(REFERENCE["end"]))
    reference = frame[chosen].dropna(subset=["ead_realised", "ead_predicted"])
    ratio = reference["ead_realised"].sum() / reference["ead_predicted"].sum()
    assert figures["ead_ratio"][1] == pytest.approx(ratio, rel=1e-12)
    assert np.isclose(figures["ead_ratio"][2], figures["ead_ratio"][0] - figures["ead_ratio"][1])
    sheets = {table.sheet for table in report.tables()}
    assert {"Reference EAD tests", "Reference CCF tests"} <= sheets


def test_whole_counts_show_without_decimals():
    from mmt.reports.html import format_number

    assert format_number(1906) == "1,906"
    assert format_number(521) == "521"
    assert format_number(521.0) == "521.00"
    assert format_number(0.1968837130115425) == "0.1969"
