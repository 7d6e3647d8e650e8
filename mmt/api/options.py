"""Filter options of the LGD and EAD pages: portfolios, quarters and model names."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from pydantic import BaseModel

from mmt.api.openapi import documented
from mmt.app import app_state
from mmt.compat import profile_active
from mmt.errors import ValidationError
from mmt.services.analyses import resolve_dataset

bp = Blueprint("options", __name__)


class FilterOptionsResponse(BaseModel):
    success: bool = True
    dataset_id: int
    portfolios: list[str]
    quarters: list[str]
    modelNames: list[str]  # noqa: N815 - the original front end's key


QUERY = [{"name": "dataset_id", "in": "query", "required": False, "schema": {"type": "integer"}}]


def _dataset_id() -> int | None:
    raw = request.args.get("dataset_id") or request.args.get("datasetId")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError("dataset_id must be an integer.", code="invalid_query", status=400,
                              details={"dataset_id": raw}) from None


def _options(kind: str):
    from mmt.analyses.ead import ead_filter_options
    from mmt.analyses.frames import read_frame
    from mmt.analyses.lgd import lgd_filter_options

    state = app_state()
    with state.database.session() as session:
        dataset = resolve_dataset(session, _dataset_id(), (kind,), label=kind.upper())
        frame = read_frame(state, dataset)
        dataset_id = dataset.id
    options = lgd_filter_options(frame) if kind == "lgd" else ead_filter_options(frame)
    return jsonify(FilterOptionsResponse(dataset_id=dataset_id, **options).model_dump())


@bp.get("/api/lgd/options")
@documented("get", "/api/lgd/options", "Portfolios, quarters and model names of the latest LGD dataset", "analyze",
            response=FilterOptionsResponse, query=QUERY)
def lgd_options():
    if profile_active():
        from mmt.compat.lgd import lgd_options_body

        return jsonify(lgd_options_body(app_state(), _dataset_id()))
    return _options("lgd")


@bp.get("/api/ead/options")
@documented("get", "/api/ead/options", "Portfolios, quarters and model names of the latest EAD dataset", "analyze",
            response=FilterOptionsResponse, query=QUERY)
def ead_options():
    return _options("ead")
