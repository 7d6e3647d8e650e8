"""Reports of a stored result: ``GET /api/analyses/<id>/report.html`` and ``report.xlsx``."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response

from mmt.api.openapi import documented
from mmt.app import app_state
from mmt.reports import build_report, render_html, render_xlsx
from mmt.reports.source import load_report_input

bp = Blueprint("reports", __name__)
LOGGER = logging.getLogger("mmt.reports")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/api/analyses/<int:result_id>/report.html")
@documented("get", "/api/analyses/{result_id}/report.html",
            "Self-contained HTML report of a stored result (charts embedded, opens offline)", "reports",
            raw_response="text/html")
def report_html(result_id: int):
    started = time.perf_counter()
    with app_state().database.session() as session:
        source = load_report_input(session, result_id)
    rendered = render_html(build_report(source))
    response = Response(rendered.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = rendered.content_security_policy
    response.headers["Content-Disposition"] = f'inline; filename="mmt-report-{result_id}.html"'
    LOGGER.info("report result_id=%s format=html bytes=%s duration_ms=%.1f",
                result_id, len(rendered.html), (time.perf_counter() - started) * 1000)
    return response


@bp.get("/api/analyses/<int:result_id>/report.xlsx")
@documented("get", "/api/analyses/{result_id}/report.xlsx",
            "Excel workbook of a stored result: one sheet per table, statuses coloured", "reports",
            raw_response=XLSX_TYPE)
def report_xlsx(result_id: int):
    started = time.perf_counter()
    with app_state().database.session() as session:
        source = load_report_input(session, result_id)
    workbook = render_xlsx(build_report(source))
    response = Response(workbook, mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="mmt-report-{result_id}.xlsx"'
    LOGGER.info("report result_id=%s format=xlsx bytes=%s duration_ms=%.1f",
                result_id, len(workbook), (time.perf_counter() - started) * 1000)
    return response
