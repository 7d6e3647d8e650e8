"""Every analysis answers strict JSON on degenerate data: no NaN, Infinity or -Infinity literal.

The fault: Python's ``json`` writes ``float('nan')`` as ``NaN``, which is not
JSON, so browsers and strict parsers reject the whole report, and a figure
that does not exist disappears with it. MMT answers HTTP 200 with ``null``
and a reason for undefined figures, or a 4xx error naming the problem. Each
case below uploads one degenerate file of the kind an analysis takes, runs
the analysis over HTTP, parses the answer and the stored result with a
parser that raises on non-finite literals, and checks the summary too.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.edge_cases.product import csv_bytes, finite_or_none, strict_json, upload_bytes


def quarters(count: int) -> list[str]:
    return [str(period) for period in pd.period_range("2010Q1", periods=count, freq="Q")]


def ratings(history) -> tuple[list[str], list[list]]:
    rows = [[obligor, date, grade] for obligor, grades in history for date, grade in zip(["2024-12-31", "2025-12-31"], grades)]
    return ["obligor_id", "snapshot_date", "rating"], rows


PD_HEADER = ["obligor_id", "pd", "rating", "default_flag", "region", "snapshot_date"]

# (analysis, upload type, header, rows, analysis options)
CASES = {
    "pd_no_defaults": ("pd", "pd", PD_HEADER,
                       [[f"A{index}", 0.01 * (index + 1), "A", 0, "north", "2024-01-31"] for index in range(5)]
                       + [[f"B{index}", 0.02, "B", 0, "south", "2024-02-29"] for index in range(5)], {}),
    "pd_one_obligor": ("pd", "pd", PD_HEADER, [["A1", 0.05, "A", 1, "north", "2024-01-31"]], {}),
    "pd_equal_scores": ("pd", "pd", PD_HEADER,
                        [[f"A{index}", 0.05, "A", index % 2, "north", "2024-01-31"] for index in range(10)], {}),
    "pd_boundary_grades": ("pd", "pd", PD_HEADER,
                           [[f"A{index}", float(index % 2), "D" if index % 2 else "G0", index % 2, None, "2024-01-31"]
                            for index in range(10)], {}),
    "lgd_constant_realised": ("lgd", "lgd", ["facility_id", "lgd_predicted", "lgd_realised"],
                              [[f"F{index}", 0.1 * index, 0.0] for index in range(10)], {}),
    "lgd_one_facility": ("lgd", "lgd", ["facility_id", "lgd_predicted", "lgd_realised"], [["F1", 0.3, 0.2]], {}),
    "lgd_constant_predicted": ("lgd", "lgd", ["facility_id", "lgd_predicted", "lgd_realised"],
                               [[f"F{index}", 0.4, 0.1 * index] for index in range(10)], {}),
    "ead_constant_ccf": ("ead", "ead", ["facility_id", "limit", "drawn", "ead_realised", "ccf_predicted", "ccf_realised"],
                         [[f"F{index}", 1000, 500, 1000, 0.1 * index, 1.0] for index in range(10)], {}),
    "ead_one_facility": ("ead", "ead", ["facility_id", "limit", "drawn", "ead_realised", "ccf_predicted", "ccf_realised"],
                         [["F1", 1000, 500, 700, 0.3, 0.4]], {}),
    "macro_constant_target": ("macro", "macro", ["quarter", "default_rate"],
                              [[quarter, 0.02] for quarter in quarters(30)], {"regressors": []}),
    "macro_rounded_rates": ("macro", "macro", ["quarter", "default_rate", "unemployment"],
                            [[quarter, [0.01, 0.02][index % 3 == 0], 5.0 + (index * 7) % 5]
                             for index, quarter in enumerate(quarters(24))], {}),
    "transitions_nobody_moves": ("rating_transition", "ratings", *ratings([(index, ("2", "2")) for index in range(5)]),
                                 {"grade_order": ["1", "2", "3", "D"]}),
    "transitions_one_obligor": ("rating_transition", "ratings", *ratings([(1, ("1", "D"))]), {}),
    "stability_missing_in_current": ("stability", "pd", PD_HEADER,
                                     [[f"A{index}", 0.05, "A", index % 2, "north", "2024-01-31"] for index in range(6)]
                                     + [[f"B{index}", 0.05, "A", index % 2, None, "2024-02-29"] for index in range(6)],
                                     {"columns": ["region", "pd", "rating"]}),
    "woe_single_level": ("woe", "pd", PD_HEADER,
                         [[f"A{index}", 0.05, "A", index % 2, "north", "2024-01-31"] for index in range(6)],
                         {"columns": ["region", "rating"]}),
    "woe_all_missing": ("woe", "pd", PD_HEADER,
                        [[f"A{index}", 0.05, "A", index % 2, None, "2024-01-31"] for index in range(6)],
                        {"columns": ["region"]}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_analysis_of_degenerate_data_answers_strict_json(client, case):
    analysis, model_type, header, rows, options = CASES[case]
    upload = upload_bytes(client, model_type, f"{case}.csv", csv_bytes(header, rows))

    response = client.post(f"/api/analyze/{analysis}", json={"dataset_id": upload["dataset_id"], **options})

    body = strict_json(response)
    assert response.status_code in (200, 422), body
    assert finite_or_none(body)
    if response.status_code == 422:
        assert body["success"] is False
        assert body["error"]
        assert body["code"]
        return
    stored = client.get(f"/api/analyses/{body['analysis_result_id']}")
    assert stored.status_code == 200
    assert finite_or_none(strict_json(stored))
    summary = client.get("/api/summary")
    assert summary.status_code == 200
    strict_json(summary)


def test_undefined_figures_come_with_a_reason(client):
    analysis, model_type, header, rows, options = CASES["lgd_constant_realised"]
    dataset_id = upload_bytes(client, model_type, "lgd.csv", csv_bytes(header, rows))["dataset_id"]

    body = strict_json(client.post(f"/api/analyze/{analysis}", json={"dataset_id": dataset_id, **options}))

    tests = body["results"]["tests"]
    undefined = {name: entry for name, entry in tests.items()
                 if isinstance(entry, dict) and "value" in entry and entry["value"] is None}
    assert {"spearman", "kendall", "pearson", "gauc", "R-squared"} <= set(undefined)
    for name, entry in undefined.items():
        assert entry["status"], name
        assert entry["reason"], name
