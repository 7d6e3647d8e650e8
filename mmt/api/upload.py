"""Uploads: ``POST /api/upload/<model_type>`` with a multipart ``file``."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from mmt.api.openapi import documented
from mmt.api.schemas import MODEL_TYPES, UploadResponse
from mmt.app import app_state
from mmt.errors import MMTError
from mmt.services.datasets import dataset_out, parse_json_field, store_upload

bp = Blueprint("upload", __name__)

UPLOAD_FORM = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "CSV/TSV (any common delimiter, decimal comma, UTF-8/BOM/cp1252), XLSX or Parquet."},
        "name": {"type": "string", "description": "Display name; the file name by default."},
        "description": {"type": "string"},
        "columns": {"type": "string", "description": "JSON object mapping roles to column names, e.g. {\"pd\": \"PD_1_YR\"}."},
        "options": {"type": "string", "description": "JSON object of reading options: sheet, header_row, delimiter, decimal, encoding, date_format."},
    },
}

for _type in MODEL_TYPES:
    documented("post", f"/api/upload/{_type}", f"Upload a {_type} dataset", "upload",
               multipart=UPLOAD_FORM, response=UploadResponse,
               responses={413: "File above the upload limit", 415: "Not a readable text, spreadsheet or Parquet file"})(lambda: None)


@bp.post("/api/upload/<model_type>")
def upload(model_type: str):
    upload_file = request.files.get("file")
    if upload_file is None:
        raise MMTError(
            "No file in the request. Send multipart/form-data with the file in the field 'file'.",
            code="missing_file",
            details={"fields_received": sorted(request.files.keys()) + sorted(request.form.keys())},
        )
    form = request.form
    dataset = store_upload(
        app_state(),
        upload_file.stream,
        upload_file.filename or "upload",
        model_type,
        name=form.get("name") or None,
        description=form.get("description") or None,
        column_mapping=parse_json_field(form.get("columns"), "columns"),
        options=parse_json_field(form.get("options"), "options"),
    )
    body = UploadResponse(
        message=f"File uploaded successfully: {dataset.n_rows} rows, {dataset.n_columns} columns.",
        dataset_id=dataset.id,
        dataset=dataset_out(dataset),
        warnings=list(dataset.warnings or []),
    )
    return jsonify(body.model_dump())
