"""Reading JSON request bodies with clear errors."""

from __future__ import annotations

from typing import Any

from flask import request

from mmt.errors import MMTError

MAX_JSON_BYTES = 10 * 1024 * 1024


def json_body(*, allow_empty: bool = True) -> dict[str, Any]:
    """Return the request's JSON object (``{}`` for an empty body when allowed)."""
    length = request.content_length
    if length is not None and length > MAX_JSON_BYTES:
        raise MMTError(f"JSON body larger than {MAX_JSON_BYTES // (1024 * 1024)} MB.", code="payload_too_large", status=413)
    raw = request.get_data(cache=True)
    if not raw.strip():
        if allow_empty:
            return {}
        raise MMTError("Send a JSON object in the request body.", code="missing_body")
    body = request.get_json(silent=True)
    if body is None:
        raise MMTError(
            "The request body is not valid JSON. Send Content-Type: application/json and a JSON object.",
            code="invalid_json",
        )
    if not isinstance(body, dict):
        raise MMTError("The request body must be a JSON object.", code="invalid_json",
                       details={"received": type(body).__name__})
    return body
