"""Summary of stored results: counts, the latest result per type, breaches."""

from __future__ import annotations

from flask import Blueprint, jsonify

from mmt.api.openapi import documented
from mmt.api.schemas import SummaryResponse
from mmt.app import app_state
from mmt.compat import profile_active
from mmt.services.summary import build_summary

bp = Blueprint("summary", __name__)


def _install_original_frontend_errors(setup_state) -> None:
    # Flask runs this once per app, when the blueprint is registered. The rewrite
    # is installed only when the app runs with the original front end's profile.
    from mmt.compat.errors import install_error_rewrite

    install_error_rewrite(setup_state.app)


bp.record_once(_install_original_frontend_errors)


@bp.get("/api/summary")
@documented("get", "/api/summary", "Counts, latest result per model type with its statuses, and breaches", "summary", response=SummaryResponse)
def summary():
    with app_state().database.session() as session:
        body = build_summary(session)
        if profile_active():
            from mmt.compat.summary import original_summary

            return jsonify({**SummaryResponse(**body).model_dump(), **original_summary(session)})
    return jsonify(SummaryResponse(**body).model_dump())
