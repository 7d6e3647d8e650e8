"""``mmt report --url``: the report of a stored result fetched from a running server over HTTP."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import openpyxl
import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from mmt.cli import main
from tests.security.conftest import ADMIN_BOOTSTRAP_KEY, close_app, make_app


@contextmanager
def serving(app):
    """Serve ``app`` over HTTP from a thread, on a free port of 127.0.0.1, and yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def store_woe_result(client, upload) -> int:
    """Upload the German credit sample, store its WOE analysis and return the result id."""
    uploaded = upload("pd", "pd_germancredit.csv")
    assert uploaded.status_code == 200, uploaded.get_json()
    analysed = client.post("/api/analyze/woe", json={"dataset_id": uploaded.get_json()["dataset_id"]})
    assert analysed.status_code == 200, analysed.get_json()
    return analysed.get_json()["analysis_result_id"]


def run_report(*arguments: str):
    return CliRunner().invoke(main, ["report", *arguments])


@pytest.fixture(autouse=True)
def no_api_key(monkeypatch):
    monkeypatch.delenv("MMT_API_KEY", raising=False)


def test_html_report_over_http(app, client, upload, tmp_path):
    result_id = store_woe_result(client, upload)
    output = tmp_path / "report.html"
    with serving(app) as base:
        outcome = run_report(str(result_id), "--url", base, "--output", str(output))
    assert outcome.exit_code == 0, outcome.output
    assert f"report written to {output}" in outcome.output
    expected = client.get(f"/api/analyses/{result_id}/report.html")
    assert expected.status_code == 200
    assert output.read_bytes() == expected.data


def test_xlsx_report_over_http(app, client, upload, tmp_path):
    result_id = store_woe_result(client, upload)
    output = tmp_path / "report.xlsx"
    in_process = tmp_path / "in_process.xlsx"
    with serving(app) as base:
        outcome = run_report(str(result_id), "--format", "xlsx", "--url", base, "--output", str(output))
    assert outcome.exit_code == 0, outcome.output
    in_process.write_bytes(client.get(f"/api/analyses/{result_id}/report.xlsx").data)
    fetched = openpyxl.load_workbook(output)
    expected = openpyxl.load_workbook(in_process)
    assert fetched.sheetnames == expected.sheetnames
    assert len(fetched.sheetnames) > 1


def test_xlsx_format_from_output_suffix(app, client, upload, tmp_path):
    result_id = store_woe_result(client, upload)
    output = tmp_path / "report.xlsx"
    with serving(app) as base:
        outcome = run_report(str(result_id), "--url", base, "--output", str(output))
    assert outcome.exit_code == 0, outcome.output
    assert output.read_bytes()[:2] == b"PK"
    assert len(openpyxl.load_workbook(output).sheetnames) > 1


def test_output_folder_missing(app, client, upload, tmp_path):
    result_id = store_woe_result(client, upload)
    output = tmp_path / "missing" / "report.html"
    with serving(app) as base:
        outcome = run_report(str(result_id), "--url", base, "--output", str(output))
    assert outcome.exit_code == 2
    assert f"the folder {output.parent} does not exist" in outcome.output
    assert "Traceback" not in outcome.output
    assert not output.exists()


def test_unknown_result_over_http(app, tmp_path):
    output = tmp_path / "report.html"
    with serving(app) as base:
        outcome = run_report("99", "--url", base, "--output", str(output))
    assert outcome.exit_code == 1
    assert "error (404): Analysis result 99 not found." in outcome.output
    assert "Traceback" not in outcome.output
    assert not output.exists()


def test_server_not_running(tmp_path):
    output = tmp_path / "report.html"
    base = f"http://127.0.0.1:{unused_port()}"
    outcome = run_report("1", "--url", base, "--output", str(output))
    assert outcome.exit_code == 1
    assert f"Could not connect to the MMT server at {base}." in outcome.output
    assert isinstance(outcome.exception, SystemExit)
    assert not output.exists()


def test_url_without_scheme(tmp_path):
    outcome = run_report("1", "--url", "127.0.0.1:5000", "--output", str(tmp_path / "report.html"))
    assert outcome.exit_code == 2
    assert "'127.0.0.1:5000' is not an HTTP URL" in outcome.output


def test_report_sends_api_key(database_url, tmp_path, monkeypatch):
    secured = make_app(database_url, tmp_path, auth_enabled=True, extra={"admin_api_key": ADMIN_BOOTSTRAP_KEY})
    output = tmp_path / "report.html"
    try:
        with serving(secured) as base:
            without_key = run_report("1", "--url", base, "--output", str(output))
            monkeypatch.setenv("MMT_API_KEY", ADMIN_BOOTSTRAP_KEY)
            with_key = run_report("1", "--url", base, "--output", str(output))
    finally:
        close_app(secured)
    assert without_key.exit_code == 1
    assert "error (401): This request needs an API key" in without_key.output
    assert "Set MMT_API_KEY to your API key" in without_key.output
    # The key passes access control, so the response is the 404 of a database without results.
    assert with_key.exit_code == 1
    assert "error (404): Analysis result 1 not found." in with_key.output
    assert not output.exists()


def test_report_rejected_api_key(database_url, tmp_path, monkeypatch):
    secured = make_app(database_url, tmp_path, auth_enabled=True, extra={"admin_api_key": ADMIN_BOOTSTRAP_KEY})
    output = tmp_path / "report.html"
    monkeypatch.setenv("MMT_API_KEY", "mmt_not_a_key_of_this_server")
    try:
        with serving(secured) as base:
            outcome = run_report("1", "--url", base, "--output", str(output))
    finally:
        close_app(secured)
    assert outcome.exit_code == 1
    assert "error (401): The API key is unknown or revoked." in outcome.output
    assert "The server rejected the key in MMT_API_KEY." in outcome.output
    assert not output.exists()
