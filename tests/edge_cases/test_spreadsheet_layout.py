"""Excel uploads laid out for people: a title row, merged group headers, a merged data cell, a total row.

Faults guarded against: the header is taken from row 1 (so required columns
look missing), merged cells come back empty except their first cell (so a
loan loses its segment), blank and total rows are counted as loans (so the
default rate is 1/5 or NaN and the integer flag turns float), and a formula
without a cached value is read as missing.

MMT's choice for a merged data cell is to fill its value into every cell of
the range, with a ``merged_cells_filled`` warning naming the range. The header
row is the first of the top rows that fits the most roles, and a footer row
(a label such as "Total" in the first column) is left out with a warning.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.edge_cases.product import analyze, stored_dataset, upload_bytes

REL = 1e-9
LOANS = [("L1", "Retail", 0.02, 0.45, 0), ("L2", "Retail", 0.10, 0.40, 1), ("L3", "SME", 0.05, 0.35, 0)]


def laid_out_workbook(*, formula_in_data: bool = False, merged_segment: bool = True) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "portfolio"
    sheet["A1"] = "PD monitoring extract Q4 2025"
    sheet.merge_cells("A1:E1")
    sheet["A2"] = "Obligor"
    sheet.merge_cells("A2:B2")
    sheet["C2"] = "Risk parameters"
    sheet.merge_cells("C2:D2")
    sheet["E2"] = "Outcome"
    for column, name in enumerate(["id", "segment", "pd", "lgd", "default_flag"], start=1):
        sheet.cell(3, column, name)
    for loan in LOANS:
        sheet.append(list(loan))
    if merged_segment:
        sheet["B5"] = None
        sheet.merge_cells("B4:B5")
    sheet.cell(8, 1, "Total")
    sheet.cell(8, 3, "=AVERAGE(C4:C6)")
    if formula_in_data:
        sheet["C6"] = "=C4*2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_laid_out_workbook_gives_three_loans_with_filled_merged_segment(client):
    upload = upload_bytes(client, "pd", "portfolio.xlsx", laid_out_workbook())

    dataset = upload["dataset"]
    assert dataset["n_rows"] == 3
    assert dataset["columns"] == ["obligor_id", "segment", "pd", "lgd", "default_flag"]
    assert (dataset["source_format"]["header_row"], dataset["source_format"]["sheet"]) == (3, "portfolio")
    warnings = {warning["code"]: warning for warning in upload["warnings"]}
    assert warnings["merged_cells_filled"]["details"]["range"] == "B4:B5"
    assert warnings["footer_row_excluded"]["details"]["sheet_row"] == 8
    quality = stored_dataset(client, upload["dataset_id"])["quality"]
    assert quality["columns"]["default_flag"]["dtype"] == "int8"
    assert quality["roles"]["default_flag"]["defaults"] == 1
    assert quality["roles"]["default_flag"]["non_defaults"] == 2
    assert (quality["columns"]["pd"]["min"], quality["columns"]["pd"]["max"]) == (0.02, 0.10)
    assert {"reason": "blank row", "count": 1} in quality["dropped_rows"]


def test_merged_segment_keeps_its_default_in_segment_figures(client):
    dataset_id = upload_bytes(client, "pd", "portfolio.xlsx", laid_out_workbook())["dataset_id"]

    retail = analyze(client, "pd", dataset_id=dataset_id, segment="Retail")["results"]
    sme = analyze(client, "pd", dataset_id=dataset_id, segment="SME")["results"]

    portfolio = retail["calibration"]["portfolio"]
    assert (portfolio["obligors"], portfolio["defaults"]) == (2, 1)
    assert portfolio["mean_pd"] == pytest.approx((0.02 + 0.10) / 2, rel=REL)
    assert retail["discrimination"]["auc"]["value"] == 1.0
    assert sme["calibration"]["portfolio"]["obligors"] == 1


def test_formula_without_cached_value_in_data_is_reported_by_cell(client):
    body = upload_bytes(client, "pd", "portfolio.xlsx", laid_out_workbook(formula_in_data=True), expect=422)

    assert body["code"] == "formula_without_value"
    assert body["details"]["cells"] == ["C6"]
    assert body["details"]["role"] == "pd"


# --- the whole kind: merged ranges of any height in the data ---


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["Retail", "SME", "Corporate"]), st.integers(1, 4)), min_size=1, max_size=4))
def test_merged_ranges_of_any_height_are_filled_and_named(client, runs):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Extract"])
    sheet.append(["id", "segment", "pd", "default_flag"])
    expected_segments, ranges, row = [], [], 3
    for segment, height in runs:
        for offset in range(height):
            sheet.append([f"O{row + offset}", segment if offset == 0 else None, 0.05, (row + offset) % 2])
        if height > 1:
            sheet.merge_cells(f"B{row}:B{row + height - 1}")
            ranges.append(f"B{row}:B{row + height - 1}")
        expected_segments += [segment] * height
        row += height
    buffer = io.BytesIO()
    workbook.save(buffer)

    upload = upload_bytes(client, "pd", "runs.xlsx", buffer.getvalue())

    assert upload["dataset"]["n_rows"] == len(expected_segments)
    filled = [warning["details"]["range"] for warning in upload["warnings"] if warning["code"] == "merged_cells_filled"]
    assert sorted(filled) == sorted(ranges)
    if len(expected_segments) < 2:
        return  # the WOE table below needs a default and a non-default
    entry = analyze(client, "woe", dataset_id=upload["dataset_id"], columns=["segment"])["results"]["columns"]["segment"]
    counts = {row["label"]: row["count"] for row in entry["bins"]}
    for segment in set(expected_segments):
        assert counts[segment] == expected_segments.count(segment)
    assert counts["Missing"] == 0
