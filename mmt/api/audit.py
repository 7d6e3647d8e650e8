"""The audit trail: ``GET /api/audit``, newest first, paginated.

Administrators only when access control is on (see :mod:`mmt.security.roles`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from pydantic import BaseModel

from mmt.api.openapi import documented
from mmt.app import app_state
from mmt.errors import ValidationError
from mmt.security.audit import event_out, list_events
from mmt.services.datasets import validate_page

bp = Blueprint("audit", __name__)

# Longest accepted filter value; longer ones cannot match a stored column.
MAX_FILTER_LENGTH = 255


class AuditEventOut(BaseModel):
    id: int
    occurred_at: str
    actor: str
    role: str | None
    action: str
    object_type: str
    object_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class AuditListResponse(BaseModel):
    success: bool = True
    events: list[AuditEventOut]
    total: int
    page: int
    per_page: int


QUERY = [
    {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
    {"name": "per_page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
    {"name": "action", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "e.g. dataset.upload, dataset.update, dataset.delete, analysis.run, analysis.delete, "
                    "thresholds.change, job.submit, apikey.create, apikey.revoke"},
    {"name": "object_type", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "object_id", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "actor", "in": "query", "required": False, "schema": {"type": "string"}},
]


def _filter(name: str) -> str | None:
    value = request.args.get(name) or None
    if value is not None and len(value) > MAX_FILTER_LENGTH:
        raise ValidationError(f"The filter {name} is longer than {MAX_FILTER_LENGTH} characters.",
                              code="invalid_query", status=400, details={"parameter": name})
    return value


@bp.get("/api/audit")
@documented("get", "/api/audit", "Audit trail of uploads, analyses, threshold changes, edits and deletions",
            "audit", response=AuditListResponse, query=QUERY)
def list_audit():
    page, per_page = validate_page(request.args.get("page"), request.args.get("per_page"))
    filters = {name: _filter(name) for name in ("action", "object_type", "object_id", "actor")}
    with app_state().database.session() as session:
        rows, total = list_events(session, page=page, per_page=per_page, **filters)
        events = [AuditEventOut(**event_out(row)) for row in rows]
    return jsonify(AuditListResponse(events=events, total=total, page=page, per_page=per_page).model_dump())
