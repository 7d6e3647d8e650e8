"""The one place that turns exceptions into the JSON error envelope.

Every error response is ``{"success": false, "error": <message>, "code":
<stable code>, "details": {...}, "request_id": <id>}`` with the right HTTP
status. Unexpected exceptions are logged with the request id and answered
with a generic 500 message: no stack trace, SQL or path reaches the client.
"""

from __future__ import annotations

import difflib
import logging
from typing import Any

import pydantic
import sqlalchemy as sa
from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from mmt.errors import MMTError

LOGGER = logging.getLogger("mmt.api")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_data",
    429: "rate_limited",
}

# Texts of driver errors that say "try again later" rather than "this request is wrong".
TRANSIENT_DATABASE_ERRORS = ("database is locked", "database is busy", "could not serialize access",
                             "deadlock detected", "lock timeout", "canceling statement due to lock timeout")


def error_response(status: int, message: str, code: str, details: Any = None):
    """Build the JSON error envelope with ``status``."""
    body: dict[str, Any] = {"success": False, "error": message, "code": code}
    if details:
        body["details"] = details
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    response = jsonify(body)
    response.status_code = status
    return response


def pydantic_details(error: pydantic.ValidationError) -> dict[str, Any]:
    """Turn pydantic's error list into ``{"fields": [{"field", "message", "value"}]}``."""
    fields = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item.get("loc", ()))
        entry = {"field": location or "(body)", "message": item.get("msg", "invalid value")}
        if "input" in item and isinstance(item["input"], (str, int, float, bool)) or item.get("input") is None:
            entry["value"] = item.get("input")
        fields.append(entry)
    return {"fields": fields}


def _accepted_fields(model_name: str) -> list[str]:
    """Field names (and aliases) of the request model called ``model_name``, if it is one of ours."""
    from mmt.api import schemas
    from mmt.services.analyses import REQUEST_MODELS

    candidates = [*REQUEST_MODELS.values(), *(getattr(schemas, name) for name in dir(schemas))]
    for model in candidates:
        if isinstance(model, type) and issubclass(model, pydantic.BaseModel) and model.__name__ == model_name:
            names = []
            for name, field in model.model_fields.items():
                names.append(field.alias or name)
            return sorted(set(names))
    return []


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(MMTError)
    def _mmt_error(error: MMTError):
        return error_response(error.status, error.message, error.code, error.details)

    @app.errorhandler(pydantic.ValidationError)
    def _validation_error(error: pydantic.ValidationError):
        details = pydantic_details(error)
        first = details["fields"][0] if details["fields"] else {"field": "(body)", "message": "invalid"}
        message = f"Invalid request: {first['field']}: {first['message']}."
        unknown = [item for item in error.errors(include_url=False) if item.get("type") == "extra_forbidden"]
        accepted = _accepted_fields(error.title)
        if unknown and accepted:
            names = [".".join(str(part) for part in item.get("loc", ())) for item in unknown]
            hints = []
            for name in names:
                close = difflib.get_close_matches(name, accepted, n=1)
                hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
            message = f"Unknown option {', '.join(hints)}. Accepted options: {', '.join(accepted)}."
            details["accepted"] = accepted
        return error_response(400, message, "invalid_request", details)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge):
        limit_mb = (request.max_content_length or 0) // (1024 * 1024)
        if request.mimetype != "multipart/form-data":
            return error_response(413, f"The request body is larger than the limit of {limit_mb} MB.",
                                  "payload_too_large", {"limit_mb": limit_mb})
        message = (
            f"The upload is larger than the limit of {limit_mb} MB. "
            "Split the file or raise MMT_MAX_UPLOAD_MB."
        )
        return error_response(413, message, "payload_too_large", {"limit_mb": limit_mb})

    @app.errorhandler(OverflowError)
    def _overflow(error: OverflowError):
        # sqlite3 cannot bind an integer beyond 64 bits, and only request values get that far.
        if "too large to convert to SQLite INTEGER" not in str(error):
            return _unexpected(error)
        return error_response(400, "A number in the request is too large to be an id or a count.", "number_out_of_range")

    @app.errorhandler(sa.exc.DataError)
    def _data_error(error: sa.exc.DataError):
        if "out of range" not in str(getattr(error, "orig", "")):
            return _unexpected(error)
        return error_response(400, "A number in the request is too large to be an id or a count.", "number_out_of_range")

    @app.errorhandler(sa.exc.OperationalError)
    def _database_busy(error: sa.exc.OperationalError):
        text = str(getattr(error, "orig", error)).lower()
        if not any(sign in text for sign in TRANSIENT_DATABASE_ERRORS):
            return _unexpected(error)
        LOGGER.warning("request_id=%s database busy: %s", getattr(g, "request_id", "-"), type(error.orig).__name__)
        response = error_response(503, "The database is busy. Retry in a few seconds.", "database_busy")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        message = error.description or error.name
        return error_response(status, message, HTTP_CODES.get(status, "http_error"))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        LOGGER.exception("request_id=%s unhandled error: %s", getattr(g, "request_id", "-"), type(error).__name__)
        message = "Internal server error. The error was logged with the request id; retry or report it."
        return error_response(500, message, "internal_error")
