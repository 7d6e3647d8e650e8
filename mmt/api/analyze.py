"""Analyses: ``POST /api/analyze/<analysis_type>`` with a JSON body of options."""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for

from mmt.api.openapi import documented
from mmt.api.request_body import json_body
from mmt.api.schemas import AnalyzeResponse, JobAccepted
from mmt.app import app_state
from mmt.compat import profile_active
from mmt.jobs.submit import analysis_in_background, async_flag, submit_analysis
from mmt.services.analyses import run_analysis

bp = Blueprint("analyze", __name__)

ANALYSIS_TYPES = ("pd", "lgd", "ead", "macro", "rating_transition", "stability", "woe")


def _document_analyses() -> None:
    from mmt.analyses import registry

    for analysis_type in ANALYSIS_TYPES:
        documented(
            "post", f"/api/analyze/{analysis_type}", f"Run the {analysis_type} analysis and store its result", "analyze",
            request=registry.REQUEST_MODELS.get(analysis_type), response=AnalyzeResponse,
            responses={202: "Accepted as a background job (body: JobAccepted): with \"async\": true, "
                            "when the datasets hold more than MMT_ASYNC_ROW_THRESHOLD rows, or when a PD, WOE or "
                            "stability analysis reads more than MMT_ASYNC_CELL_THRESHOLD cells (rows × columns)"},
        )(lambda: None)


def _check_request(analysis_type: str, payload: dict) -> None:
    """Validate the type and options before any work, so a background job never starts on a request that cannot run."""
    from mmt.analyses import registry
    from mmt.services.analyses import analysis_handler

    analysis_handler(analysis_type)
    model = registry.REQUEST_MODELS.get(analysis_type)
    if model is not None:
        model.model_validate(payload)


@bp.post("/api/analyze/<analysis_type>")
def analyze(analysis_type: str):
    payload = json_body()
    state = app_state()
    if profile_active(state):
        from mmt.compat.analyze import analyze_body

        compat_body = analyze_body(state, analysis_type, payload)
        if compat_body is not None:
            return jsonify(compat_body)
    requested = async_flag(payload.pop("async", None))
    _check_request(analysis_type, payload)
    if analysis_in_background(state, analysis_type, payload, requested):
        job_id = submit_analysis(state, analysis_type, payload)
        body = JobAccepted(job_id=job_id, status_url=url_for("jobs.get_job", job_id=job_id),
                           message="Analysis accepted; follow it at status_url.")
        return jsonify(body.model_dump()), 202
    record = run_analysis(state, analysis_type, payload)
    body = AnalyzeResponse(analysis_result_id=record.id, results=record.results, warnings=record.warnings or [])
    return jsonify(body.model_dump())
