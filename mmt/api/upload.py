"""Uploads: ``POST /api/upload/<model_type>`` with a multipart ``file``.

The file part is written straight to a staging file in the data folder while
its SHA-256 is computed, so an upload of any size (up to
``MMT_MAX_UPLOAD_MB``) is never held in memory and is copied once. Files
larger than ``MMT_ASYNC_UPLOAD_MB``, or sent with the form field
``async=true``, are ingested as a background job, and the response is 202 with the
job id.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.formparser import FormDataParser

from mmt.api.openapi import documented
from mmt.api.schemas import MODEL_TYPES, JobAccepted, UploadResponse
from mmt.app import app_state
from mmt.errors import MMTError, PayloadTooLargeError
from mmt.jobs.submit import async_flag, async_upload_bytes, submit_upload
from mmt.services.datasets import (
    COPY_CHUNK,
    StagedUpload,
    check_model_type,
    dataset_out,
    ingest_staged,
    parse_json_field,
)

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
        "async": {"type": "string", "description": "true: ingest as a background job and answer 202 (automatic above MMT_ASYNC_UPLOAD_MB)."},
    },
}

for _type in MODEL_TYPES:
    documented("post", f"/api/upload/{_type}", f"Upload a {_type} dataset", "upload",
               multipart=UPLOAD_FORM, response=UploadResponse,
               responses={202: "Accepted as a background job (body: JobAccepted)", 413: "File above the upload limit",
                          415: "Not a readable text, spreadsheet or Parquet file"})(lambda: None)


class _StagingFile:
    """Writable file in the data folder that hashes and counts what werkzeug writes into it."""

    def __init__(self, path: Path, limit_bytes: int) -> None:
        self.path = path
        self.limit_bytes = limit_bytes
        self.handle = open(path, "w+b")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit_bytes:
            raise PayloadTooLargeError(
                f"The upload is larger than the limit of {self.limit_bytes // (1024 * 1024)} MB. "
                "Split the file or raise MMT_MAX_UPLOAD_MB.",
                details={"limit_mb": self.limit_bytes // (1024 * 1024)},
            )
        self.digest.update(data)
        return self.handle.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)

    def staged(self) -> StagedUpload:
        self.handle.close()
        return StagedUpload(self.path, self.size, self.digest.hexdigest())


def _parse_form(state: Any) -> tuple[dict[str, str], Any, list[_StagingFile]]:
    """Parse the multipart body, streaming every file part to a staging file.

    When an earlier hook has parsed the body already, its spooled files are
    copied to staging files instead (one more copy on disk, still in chunks).
    """
    staging: list[_StagingFile] = []
    parsed = request._get_current_object().__dict__
    if "files" in parsed:
        form, files = request.form, request.files
        for field in files:
            target = _StagingFile(state.files.new_temp_path(suffix=".upload"), state.settings.max_upload_bytes)
            staging.append(target)
            try:
                for chunk in iter(lambda source=files[field].stream: source.read(COPY_CHUNK), b""):
                    target.write(chunk)
            except BaseException:
                _discard(staging)
                raise
            files[field].stream = target
        return form, files, staging

    def stream_factory(total_content_length, content_type, filename, content_length=None):
        staged = _StagingFile(state.files.new_temp_path(suffix=".upload"), state.settings.max_upload_bytes)
        staging.append(staged)
        return staged

    config = current_app.config
    parser = FormDataParser(stream_factory=stream_factory, max_form_memory_size=config.get("MAX_FORM_MEMORY_SIZE"),
                            max_content_length=config.get("MAX_CONTENT_LENGTH"),
                            max_form_parts=config.get("MAX_FORM_PARTS"))
    try:
        _, form, files = parser.parse(request.stream, request.mimetype, request.content_length, request.mimetype_params)
    except BaseException:
        _discard(staging)
        raise
    return form, files, staging


def _discard(staging: list[_StagingFile]) -> None:
    for staged in staging:
        staged.handle.close()
        staged.path.unlink(missing_ok=True)


@bp.post("/api/upload/<model_type>")
def upload(model_type: str):
    state = app_state()
    check_model_type(model_type)
    form, files, staging = _parse_form(state)
    upload_file = files.get("file")
    chosen = next((staged for staged in staging if upload_file is not None and staged is upload_file.stream), None)
    _discard([staged for staged in staging if staged is not chosen])
    if chosen is None:
        raise MMTError(
            "No file in the request. Send multipart/form-data with the file in the field 'file'.",
            code="missing_file",
            # A part whose name cannot be parsed arrives under the key None.
            details={"fields_received": sorted(map(str, files.keys())) + sorted(map(str, form.keys()))},
        )
    staged = chosen.staged()
    try:
        fields = {
            "name": form.get("name") or None,
            "description": form.get("description") or None,
            "columns": parse_json_field(form.get("columns"), "columns"),
            "options": parse_json_field(form.get("options"), "options"),
        }
        requested = async_flag(form.get("async"))
        filename = upload_file.filename or "upload"
        if requested or (requested is None and staged.size > async_upload_bytes(state)):
            job_id = submit_upload(state, staged, filename, model_type, fields)
            body = JobAccepted(job_id=job_id, status_url=url_for("jobs.get_job", job_id=job_id),
                               message=f"Upload of {staged.size} bytes accepted; follow its ingestion at status_url.")
            return jsonify(body.model_dump()), 202
    except BaseException:
        staged.path.unlink(missing_ok=True)
        raise
    dataset = ingest_staged(state, staged, filename, model_type, name=fields["name"], description=fields["description"],
                            column_mapping=fields["columns"], options=fields["options"])
    body = UploadResponse(
        message=f"File uploaded successfully: {dataset.n_rows} rows, {dataset.n_columns} columns.",
        dataset_id=dataset.id,
        dataset=dataset_out(dataset),
        warnings=list(dataset.warnings or []),
    )
    return jsonify(body.model_dump())
