"""Health check and the OpenAPI document."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify

from mmt import __version__
from mmt.api.openapi import build_document, documented
from mmt.app import app_state

bp = Blueprint("meta", __name__)


@bp.get("/api/health")
@documented("get", "/api/health", "Liveness and database check", "meta")
def health():
    state = app_state()
    with state.database.engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    return jsonify({"success": True, "status": "ok", "version": __version__,
                    "database": state.database.engine.url.get_backend_name(), "engine": state.settings.engine})


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(build_document())
