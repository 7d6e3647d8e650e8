"""Thresholds: read and change the values in force, and their history.

Served at ``/api/thresholds``; ``/api/user-thresholds`` is the same resource
under the path the original front end calls.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from mmt.api.openapi import documented
from mmt.api.request_body import json_body
from mmt.api.schemas import ThresholdHistoryResponse, ThresholdsResponse, ThresholdsSaved
from mmt.app import app_state
from mmt.compat import profile_active
from mmt.services.thresholds import (
    current_thresholds,
    save_thresholds,
    threshold_history,
    threshold_specs,
    threshold_warnings,
)
from mmt.thresholds import DEFAULTS

bp = Blueprint("thresholds", __name__)


@bp.get("/api/thresholds")
@bp.get("/api/user-thresholds")
@documented("get", "/api/thresholds", "Thresholds in force, defaults and allowed ranges", "thresholds", response=ThresholdsResponse)
@documented("get", "/api/user-thresholds", "Thresholds (original front-end path)", "thresholds", response=ThresholdsResponse)
def get_thresholds():
    if request.path == "/api/user-thresholds" and profile_active():
        from mmt.compat.thresholds import load_criteria

        with app_state().database.session() as session:
            return jsonify({"success": True, **load_criteria(session)})
    with app_state().database.session() as session:
        values = current_thresholds(session)
    return jsonify(ThresholdsResponse(thresholds=values, defaults=dict(DEFAULTS), specs=threshold_specs(),
                                      warnings=threshold_warnings(values)).model_dump())


@bp.post("/api/thresholds")
@bp.post("/api/user-thresholds")
@documented("post", "/api/thresholds", "Change thresholds (unknown keys and out-of-range values are rejected)", "thresholds", response=ThresholdsSaved)
@documented("post", "/api/user-thresholds", "Change thresholds (original front-end path)", "thresholds", response=ThresholdsSaved)
def post_thresholds():
    payload = json_body(allow_empty=False)
    if request.path == "/api/user-thresholds" and profile_active():
        from mmt.compat.thresholds import save_criteria

        with app_state().database.session() as session:
            lists = save_criteria(session, payload)
        return jsonify({"success": True, "message": "Thresholds saved successfully", **lists})
    with app_state().database.session() as session:
        values, changed = save_thresholds(session, payload, changed_by=getattr(g, "api_user", None))
    return jsonify(ThresholdsSaved(message="Thresholds saved successfully", thresholds=values, changed=changed,
                                   warnings=threshold_warnings(values)).model_dump())


@bp.get("/api/thresholds/history")
@documented("get", "/api/thresholds/history", "History of threshold changes, newest first", "thresholds", response=ThresholdHistoryResponse)
def history():
    with app_state().database.session() as session:
        rows = threshold_history(session)
    return jsonify(ThresholdHistoryResponse(history=rows).model_dump())
