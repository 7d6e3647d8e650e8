"""``GET /api/analyses/<id>/report.html`` and ``report.xlsx`` on uploaded sample data."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import plotly.offline
import pytest
from click.testing import CliRunner

DATA = Path(__file__).resolve().parents[2] / "data"
HOSTILE_NAME = '=HYPERLINK("http://127.0.0.1/","open")</script><script>alert(1)</script>'
SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL)


def analyse(client, upload, model_type: str, relative: str, analysis: str, **form) -> int:
    uploaded = upload(model_type, relative, **form)
    assert uploaded.status_code == 200, uploaded.get_json()
    response = client.post(f"/api/analyze/{analysis}", json={"dataset_id": uploaded.get_json()["dataset_id"]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["analysis_result_id"]


def upload_bytes(client, model_type: str, content: bytes, filename: str, **form):
    response = client.post(f"/api/upload/{model_type}", data={"file": (io.BytesIO(content), filename), **form},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["dataset_id"]


def workbook_of(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def test_html_report_is_self_contained(client, upload):
    result_id = analyse(client, upload, "pd", "pd_germancredit.csv", "pd")
    response = client.get(f"/api/analyses/{result_id}/report.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)

    scripts = SCRIPT.findall(page)
    assert [attributes.strip() for attributes, _ in scripts] == ["", 'type="application/json" id="mmt-figures"', ""]
    assert scripts[0][1] == plotly.offline.get_plotlyjs()
    policy = response.headers["Content-Security-Policy"]
    for _, body in (scripts[0], scripts[2]):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy
    assert "unsafe-eval" not in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]

    # Nothing is fetched: the markup around the scripts names no external resource.
    markup = SCRIPT.sub("", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)
    assert re.findall(r"<link[^>]*>", markup) == ['<link rel="icon" href="data:,">']
    assert "cdn." not in markup.lower()

    figures = json.loads(scripts[1][1])
    placeholders = re.findall(r'data-figure="(\d+)"', page)
    assert sorted(int(index) for index in placeholders) == list(range(len(figures)))
    assert len(figures) >= 7
    assert all(figure["data"] for figure in figures)


def test_html_report_header_facts(client, upload):
    result_id = analyse(client, upload, "pd", "pd_germancredit.csv", "pd")
    stored = client.get(f"/api/analyses/{result_id}").get_json()["analysis_result"]
    page = client.get(f"/api/analyses/{result_id}/report.html").get_data(as_text=True)
    assert "PD (probability of default)" in page
    assert "pd_germancredit.csv" in page
    assert "current 2024-12-31; reference 2023-12-31" in page
    assert f"MMT {stored['software_version']}" in page
    assert stored["input_sha256"] in page
    assert "auc_threshold" in page
    assert "psi_red_threshold" in page
    for entry in stored["statuses"]:
        assert entry["metric"] in page
    assert 'id="problems"' not in page


def test_xlsx_numbers_statuses_and_sheets(client, upload):
    result_id = analyse(client, upload, "pd", "pd_germancredit.csv", "pd")
    stored = client.get(f"/api/analyses/{result_id}").get_json()["analysis_result"]
    response = client.get(f"/api/analyses/{result_id}/report.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="mmt-report-' in response.headers["Content-Disposition"]
    book = workbook_of(response)
    assert book.sheetnames[:2] == ["Report", "Summary"]
    assert {"Discrimination", "Calibration by grade", "Calibration tests", "PSI bins", "CSI", "WOE bins",
            "Information value", "Thresholds", "Parameters", "Warnings"} <= set(book.sheetnames)

    summary = book["Summary"]
    header = [cell.value for cell in summary[2]]
    assert header == ["Metric", "Value", "Status", "Note"]
    rows = list(summary.iter_rows(min_row=3, values_only=False))
    assert len(rows) == len(stored["statuses"])
    fills = {"green": "FFC6EFCE", "amber": "FFFFEB9C", "red": "FFFFC7CE"}
    for cells, entry in zip(rows, stored["statuses"]):
        assert cells[0].value == entry["metric"]
        if isinstance(entry["value"], (int, float)):
            assert cells[1].data_type == "n"
            # xlsxwriter writes 16 significant digits, so the last binary digit may differ.
            assert cells[1].value == pytest.approx(entry["value"], rel=1e-15)
        if entry["status"] in fills:
            assert cells[2].value == entry["status"]
            assert cells[2].fill.fgColor.rgb == fills[entry["status"]]

    discrimination = {row[0]: row for row in book["Discrimination"].iter_rows(min_row=3, values_only=True)}
    results = stored["result_data"]["discrimination"]
    assert discrimination["AUC"][1] == pytest.approx(results["auc"]["value"], rel=1e-15)
    assert discrimination["AUC"][3] == pytest.approx(results["auc"]["se"], rel=1e-15)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}"


@pytest.mark.parametrize(("model_type", "relative", "analysis", "sheets"), [
    ("lgd", "lgd_synthetic.csv", "lgd", {"Back-test figures", "Tests", "Segments", "LGD deciles"}),
    ("ead", "ead_synthetic.csv", "ead", {"EAD tests", "CCF tests", "CCF quantiles", "EAD deciles", "CCF deciles"}),
    ("macro", "macro_quarterly.csv", "macro", {"Time series", "Stationarity", "Diagnostics"}),
    ("ratings", "rating_transitions.csv", "rating_transition", {"Migration counts", "Migration rates", "Rates by period"}),
])
def test_reports_of_every_model_type(client, upload, model_type, relative, analysis, sheets):
    result_id = analyse(client, upload, model_type, relative, analysis)
    page = client.get(f"/api/analyses/{result_id}/report.html").get_data(as_text=True)
    assert 'id="problems"' not in page
    figures = json.loads(SCRIPT.findall(page)[1][1])
    assert figures and all(figure["data"] for figure in figures)
    book = workbook_of(client.get(f"/api/analyses/{result_id}/report.xlsx"))
    assert sheets <= set(book.sheetnames)


def test_hostile_names_are_escaped_and_neutralised(client):
    frame = pd.read_csv(DATA / "pd_germancredit.csv")
    labels = {3: "+1", 4: "-2", 5: "@3", 6: "=4<b>x</b>"}
    frame["rating_grade"] = frame["rating_grade"].map(lambda grade: labels.get(grade, f"G{grade}"))
    dataset_id = upload_bytes(client, "pd", frame.to_csv(index=False).encode(), "hostile.csv", name=HOSTILE_NAME)
    result = client.post("/api/analyze/pd", json={"dataset_id": dataset_id}).get_json()
    result_id = result["analysis_result_id"]

    page = client.get(f"/api/analyses/{result_id}/report.html").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>x</b>" not in page
    assert "=4&lt;b&gt;x&lt;/b&gt;" in page
    figures_json = SCRIPT.findall(page)[1][1]
    assert "</" not in figures_json
    assert "=4<b>x</b>" in json.dumps(json.loads(figures_json))

    book = workbook_of(client.get(f"/api/analyses/{result_id}/report.xlsx"))
    dataset_cell = [row for row in book["Report"].iter_rows(values_only=True) if row[0] == "Dataset"][0][1]
    assert dataset_cell.startswith("'=HYPERLINK(")
    grades = [row[0] for row in book["Calibration by grade"].iter_rows(min_row=4, values_only=True)]
    assert {"'+1", "'-2", "'@3", "'=4<b>x</b>", "G7"} <= set(grades)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), f"{sheet.title}!{cell.coordinate}"


def test_report_of_unknown_result_is_404(client):
    for suffix in ("html", "xlsx"):
        response = client.get(f"/api/analyses/999/report.{suffix}")
        assert response.status_code == 404
        assert response.get_json()["code"] == "result_not_found"


def test_cli_report_writes_files(client, upload, app, tmp_path, monkeypatch):
    result_id = analyse(client, upload, "lgd", "lgd_synthetic.csv", "lgd")
    settings = app.extensions["mmt"].settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MMT_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.setenv("MMT_DATA_DIR", str(settings.data_dir))
    from mmt.cli import main

    for report_format in ("html", "xlsx"):
        output = tmp_path / f"report.{report_format}"
        outcome = CliRunner().invoke(main, ["report", str(result_id), "--format", report_format, "--output", str(output)])
        assert outcome.exit_code == 0, outcome.output
        assert output.stat().st_size > 1000
    assert output.read_bytes()[:2] == b"PK"
    assert "LGD back-test" in (tmp_path / "report.html").read_text()


def test_reports_in_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/analyses/{result_id}/report.html" in paths
    assert "/api/analyses/{result_id}/report.xlsx" in paths


def test_dashboard_page_and_assets(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-eval" not in policy
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script>" not in page, "the dashboard must have no inline script"
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert sources == ["/assets/vendor/plotly.min.js", "/assets/dashboard.js"]
    for source in sources + ["/assets/dashboard.css"]:
        assert client.get(source).status_code == 200
    bundle = client.get("/assets/vendor/plotly.min.js")
    assert bundle.mimetype == "text/javascript"
    assert bundle.get_data(as_text=True) == plotly.offline.get_plotlyjs()
    analyses = json.loads(re.search(r'data-analyses="([^"]+)"', page).group(1).replace("&#34;", '"'))
    assert analyses["ratings"] == ["rating_transition"]
