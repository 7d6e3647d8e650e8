"""Summary of stored results: counts, the latest result per type, breaches."""

from __future__ import annotations

from flask import Blueprint, jsonify

from mmt.api.openapi import documented
from mmt.api.schemas import SummaryResponse
from mmt.app import app_state
from mmt.services.summary import build_summary

bp = Blueprint("summary", __name__)


@bp.get("/api/summary")
@documented("get", "/api/summary", "Counts, latest result per model type with its statuses, and breaches", "summary", response=SummaryResponse)
def summary():
    with app_state().database.session() as session:
        body = build_summary(session)
    return jsonify(SummaryResponse(**body).model_dump())
