"""Stored analysis results: list, read and delete.

Served under ``/api/analyses`` and ``/api/database/analysis-results``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, request

from mmt.api.openapi import documented
from mmt.api.schemas import AnalysisResultListResponse, AnalysisResultOut, AnalysisResultResponse, MessageResponse, iso
from mmt.app import app_state
from mmt.compat import profile_active
from mmt.errors import NotFoundError, ValidationError
from mmt.services.datasets import DELETION_LOCK, validate_page
from mmt.storage.db import lock_for_writing
from mmt.storage.models import AnalysisResult

bp = Blueprint("results", __name__)

QUERY = [
    {"name": "dataset_id", "in": "query", "required": False, "schema": {"type": "integer"}},
    {"name": "analysis_type", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
    {"name": "per_page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
    {"name": "include_results", "in": "query", "required": False, "schema": {"type": "string", "enum": ["0", "1"]},
     "description": "1 to include result_data (default on /api/database/analysis-results only)"},
]


def result_out(record: AnalysisResult, *, with_results: bool = True) -> AnalysisResultOut:
    """Serialise a stored result."""
    return AnalysisResultOut(
        id=record.id,
        analysis_type=record.analysis_type,
        dataset_id=record.dataset_id,
        reference_dataset_id=record.reference_dataset_id,
        dataset_ids=list(record.dataset_ids or []),
        parameters=dict(record.parameters or {}),
        thresholds=dict(record.thresholds or {}),
        statuses=list(record.statuses or []),
        warnings=list(record.warnings or []),
        status=record.status,
        software_version=record.software_version,
        input_sha256=record.input_sha256,
        duration_ms=record.duration_ms,
        created_at=iso(record.created_at),
        analysis_date=iso(record.created_at),
        result_data=dict(record.results or {}) if with_results else None,
    )


def get_result(session, result_id: int, *, for_update: bool = False) -> AnalysisResult:
    record = session.get(AnalysisResult, result_id, with_for_update=for_update)
    if record is None:
        raise NotFoundError(f"Analysis result {result_id} not found.", code="result_not_found",
                            details={"analysis_result_id": result_id})
    return record


@bp.get("/api/analyses")
@bp.get("/api/database/analysis-results")
@documented("get", "/api/analyses", "List stored analysis results", "results", response=AnalysisResultListResponse, query=QUERY)
@documented("get", "/api/database/analysis-results", "List stored analysis results (original front-end path)", "results", response=AnalysisResultListResponse, query=QUERY)
def list_results():
    page, per_page = validate_page(request.args.get("page"), request.args.get("per_page"))
    query = sa.select(AnalysisResult)
    count = sa.select(sa.func.count(AnalysisResult.id))
    raw_dataset_id = request.args.get("dataset_id")
    if raw_dataset_id:
        try:
            dataset_id = int(raw_dataset_id)
        except ValueError:
            raise ValidationError("dataset_id must be an integer.", code="invalid_query",
                                  details={"dataset_id": raw_dataset_id}) from None
        query = query.where(AnalysisResult.dataset_id == dataset_id)
        count = count.where(AnalysisResult.dataset_id == dataset_id)
    analysis_type = request.args.get("analysis_type")
    if request.path == "/api/database/analysis-results" and profile_active():
        from mmt.compat.database import list_results_body

        with app_state().database.session() as session:
            body = list_results_body(session, dataset_id=int(raw_dataset_id) if raw_dataset_id else None,
                                     analysis_type=analysis_type)
        return jsonify(body)
    if analysis_type:
        query = query.where(AnalysisResult.analysis_type == analysis_type)
        count = count.where(AnalysisResult.analysis_type == analysis_type)
    # The original front end's path lists whole results, as it did; ours lists metadata unless asked,
    # because a page of full results can weigh hundreds of megabytes.
    default = "1" if request.path.startswith("/api/database/") else "0"
    with_results = request.args.get("include_results", default) not in ("0", "false", "no")
    with app_state().database.session() as session:
        total = session.scalar(count) or 0
        rows = session.scalars(query.order_by(AnalysisResult.id).offset((page - 1) * per_page).limit(per_page)).all()
        items = [result_out(row, with_results=with_results) for row in rows]
    body = AnalysisResultListResponse(analysis_results=items, total=total, page=page, per_page=per_page)
    return jsonify(body.model_dump())


@bp.get("/api/analyses/<int:result_id>")
@bp.get("/api/database/analysis-results/<int:result_id>")
@documented("get", "/api/analyses/{result_id}", "A stored analysis result", "results", response=AnalysisResultResponse)
@documented("get", "/api/database/analysis-results/{result_id}", "A stored analysis result (original front-end path)", "results", response=AnalysisResultResponse)
def get_one(result_id: int):
    with app_state().database.session() as session:
        body = AnalysisResultResponse(analysis_result=result_out(get_result(session, result_id)))
    return jsonify(body.model_dump())


@bp.delete("/api/analyses/<int:result_id>")
@bp.delete("/api/database/analysis-results/<int:result_id>")
@documented("delete", "/api/analyses/{result_id}", "Delete a stored analysis result", "results", response=MessageResponse)
@documented("delete", "/api/database/analysis-results/{result_id}", "Delete an analysis result (original front-end path)", "results", response=MessageResponse)
def delete(result_id: int):
    with app_state().database.session() as session:
        lock_for_writing(session, DELETION_LOCK)
        session.delete(get_result(session, result_id, for_update=True))
    return jsonify(MessageResponse(message=f"Analysis result {result_id} deleted.").model_dump())
