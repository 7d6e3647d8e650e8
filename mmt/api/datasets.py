"""Datasets: list, read, download, update and delete.

Served under ``/api/datasets`` and under ``/api/database/...``, the paths the
original MMT front end calls.
"""

from __future__ import annotations

import io
import mimetypes
from urllib.parse import quote

from flask import Blueprint, jsonify, request, send_file

from mmt.api.openapi import documented
from mmt.api.request_body import json_body
from mmt.api.schemas import DatasetListResponse, DatasetResponse, DatasetUpdate, MessageResponse
from mmt.app import app_state
from mmt.compat import profile_active
from mmt.errors import MMTError
from mmt.services.datasets import (
    dataset_out,
    delete_dataset,
    get_dataset,
    list_datasets,
    original_file,
    validate_page,
)

bp = Blueprint("datasets", __name__)

LIST_QUERY = [
    {"name": "model_type", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
    {"name": "per_page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
]


@bp.get("/api/datasets")
@bp.get("/api/database/datasets")
@documented("get", "/api/datasets", "List datasets", "datasets", response=DatasetListResponse, query=LIST_QUERY)
@documented("get", "/api/database/datasets", "List datasets (original front-end path)", "datasets", response=DatasetListResponse, query=LIST_QUERY)
def list_all():
    if request.path == "/api/database/datasets" and profile_active():
        from mmt.compat.database import list_datasets_body

        with app_state().database.session() as session:
            body = list_datasets_body(session)
        return jsonify(body)
    page, per_page = validate_page(request.args.get("page"), request.args.get("per_page"))
    model_type = request.args.get("model_type") or request.args.get("file_type")
    with app_state().database.session() as session:
        rows, total = list_datasets(session, model_type=model_type, page=page, per_page=per_page)
        datasets = [dataset_out(row, with_quality=False) for row in rows]
    body = DatasetListResponse(datasets=datasets, total=total, page=page, per_page=per_page)
    return jsonify(body.model_dump())


@bp.get("/api/datasets/<int:dataset_id>")
@bp.get("/api/database/datasets/<int:dataset_id>")
@documented("get", "/api/datasets/{dataset_id}", "Dataset metadata, column roles and data-quality summary", "datasets", response=DatasetResponse)
@documented("get", "/api/database/datasets/{dataset_id}", "Dataset metadata (original front-end path)", "datasets", response=DatasetResponse)
def get_one(dataset_id: int):
    with app_state().database.session() as session:
        dataset = dataset_out(get_dataset(session, dataset_id))
    return jsonify(DatasetResponse(dataset=dataset).model_dump())


@bp.route("/api/datasets/<int:dataset_id>", methods=["PUT", "PATCH"])
@bp.route("/api/database/datasets/<int:dataset_id>", methods=["PUT", "PATCH"])
@documented("put", "/api/datasets/{dataset_id}", "Rename, describe or flag a dataset as baseline", "datasets", request=DatasetUpdate, response=DatasetResponse)
@documented("put", "/api/database/datasets/{dataset_id}", "Update a dataset (original front-end path)", "datasets", request=DatasetUpdate, response=DatasetResponse)
@documented("patch", "/api/datasets/{dataset_id}", "Rename, describe or flag a dataset as baseline (same as PUT)", "datasets", request=DatasetUpdate, response=DatasetResponse)
@documented("patch", "/api/database/datasets/{dataset_id}", "Update a dataset (original front-end path, same as PUT)", "datasets", request=DatasetUpdate, response=DatasetResponse)
def update(dataset_id: int):
    changes = DatasetUpdate.model_validate(json_body(allow_empty=False))
    with app_state().database.session() as session:
        dataset = get_dataset(session, dataset_id)
        if changes.is_baseline and dataset.model_type not in ("pd", "pd_baseline"):
            raise MMTError("Only PD datasets can be flagged as baseline.", code="invalid_baseline",
                           details={"dataset_id": dataset_id, "model_type": dataset.model_type})
        if changes.name is not None:
            dataset.name = changes.name
        if changes.description is not None:
            dataset.description = changes.description
        if changes.is_baseline is not None:
            dataset.is_baseline = changes.is_baseline
        session.flush()
        body = DatasetResponse(dataset=dataset_out(dataset))
    return jsonify(body.model_dump())


@bp.delete("/api/datasets/<int:dataset_id>")
@bp.delete("/api/database/datasets/<int:dataset_id>")
@documented("delete", "/api/datasets/{dataset_id}", "Delete a dataset and its results", "datasets", response=MessageResponse)
@documented("delete", "/api/database/datasets/{dataset_id}", "Delete a dataset (original front-end path)", "datasets", response=MessageResponse)
def delete(dataset_id: int):
    delete_dataset(app_state(), dataset_id)
    return jsonify(MessageResponse(message=f"Dataset {dataset_id} and its analysis results deleted.").model_dump())


@bp.get("/api/datasets/<int:dataset_id>/download")
@bp.get("/api/database/download/<int:dataset_id>")
@documented("get", "/api/datasets/{dataset_id}/download", "Download the original file byte for byte", "datasets", raw_response="application/octet-stream")
@documented("get", "/api/database/download/{dataset_id}", "Download the original file (original front-end path)", "datasets", raw_response="application/octet-stream")
def download(dataset_id: int):
    state = app_state()
    with state.database.session() as session:
        dataset = get_dataset(session, dataset_id)
        on_disk = original_file(state, dataset)
        content = None if on_disk is not None else (dataset.content or b"")
        filename = dataset.original_filename
        sha256 = dataset.sha256
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    # Large originals are streamed from disk in chunks; small ones come from the database row.
    source = on_disk if on_disk is not None else io.BytesIO(content)
    response = send_file(source, mimetype=mimetype, as_attachment=True, download_name=filename)
    # The original front end only recognises the quoted form of the file name.
    ascii_name = "".join(ch for ch in filename if 32 <= ord(ch) < 127 and ch not in '"\\') or "dataset"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(filename)}'
    )
    response.headers["X-Content-SHA256"] = sha256
    return response
