"""Guards against hostile requests, and the security headers of API responses.

* Bodies other than multipart uploads are capped at
  :data:`mmt.api.request_body.MAX_JSON_BYTES`, also when sent chunked
  without a length.
* JSON is parsed once here: nesting deeper than Python's recursion limit is
  a 400, not a crash.
* NUL characters are rejected in query parameters and JSON strings, and
  replaced by U+FFFD in text stored from anywhere else (form fields, file
  names). No field of MMT needs one, PostgreSQL cannot store one in text,
  and C libraries read it as the end of a string. JSON strings with an
  unpaired surrogate (``"\\ud800"``) are rejected too: they cannot be
  encoded as UTF-8, so no response could echo them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, request
from sqlalchemy.orm import Session, sessionmaker

from mmt.api.errors import error_response
from mmt.api.request_body import MAX_JSON_BYTES

# JSON nested deeper than this is rejected before anything walks it.
MAX_JSON_DEPTH = 64

INT64 = 2**63
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _invalid_text(text: str) -> bool:
    """Say whether ``text`` contains a NUL or a lone surrogate (valid JSON, but not valid Unicode text)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _invalid_field(value: Any, path: str, depth: int = 0) -> str | None:
    """Return the path of the first string with invalid text in a parsed JSON value, or None."""
    if depth > MAX_JSON_DEPTH:
        return path or "(body)"
    if isinstance(value, str):
        return (path or "(body)") if _invalid_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _invalid_text(str(key)):
                return where
            found = _invalid_field(item, where, depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _invalid_field(item, f"{path}[{index}]", depth + 1)
            if found:
                return found
    return None


def _depth(value: Any, depth: int = 0) -> int:
    if depth > MAX_JSON_DEPTH or not isinstance(value, (dict, list)):
        return depth
    items = value.values() if isinstance(value, dict) else value
    return max((_depth(item, depth + 1) for item in items), default=depth + 1)


def _invalid_character(field: str):
    shown = field.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace").replace("\x00", "\\0")
    return error_response(400, f"The request field '{shown}' contains a NUL character or an unpaired surrogate.",
                          "invalid_character", {"field": shown})


def install_guards(app: Flask) -> None:
    """Register the request checks and response headers on ``app``."""

    @app.before_request
    def _check_request():
        if not request.path.startswith("/api/"):
            return None

        for value in (request.view_args or {}).values():
            if isinstance(value, int) and not -INT64 <= value < INT64:
                # No stored row has such an id, and the database driver could not even bind it.
                return error_response(404, "Not found: the id is beyond any stored id.", "not_found")
        for key, value in request.args.items(multi=True):
            if "\x00" in key or "\x00" in value:
                return _invalid_character(key)

        if request.mimetype == "multipart/form-data":
            # The upload view streams the body to disk itself; parsing it here would copy it twice.
            # Text from form fields is cleaned when stored (install_text_guard).
            return None

        request.max_content_length = MAX_JSON_BYTES
        if request.method in ("GET", "HEAD", "OPTIONS", "DELETE") and not request.content_length:
            return None
        if not request.is_json:
            return None
        if request.content_length is None and len(request.get_data(cache=True)) >= MAX_JSON_BYTES:
            # A chunked body is cut at the limit without an error; reading on raises the 413.
            request.stream.read(1)

        try:
            body = request.get_json(silent=True)
        except RecursionError:
            body = None
            nested_too_deep = True
        else:
            nested_too_deep = body is not None and _depth(body) > MAX_JSON_DEPTH
        if nested_too_deep:
            return error_response(400, f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.",
                                  "invalid_json", {"max_depth": MAX_JSON_DEPTH})
        field = _invalid_field(body, "") if body is not None else None
        if field:
            return _invalid_character(field)
        return None

    @app.after_request
    def _api_headers(response):
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


#: Attribute that marks a sessionmaker whose sessions replace NUL characters before a flush.
_TEXT_GUARD_INSTALLED = "_mmt_text_guard_installed"


def _clean_text(session: Session, _flush_context, _instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        mapper = sa.inspect(obj).mapper
        for column in mapper.columns:
            if isinstance(column.type, sa.String) and column.key in obj.__dict__:
                value = obj.__dict__[column.key]
                if isinstance(value, str) and "\x00" in value:
                    setattr(obj, column.key, value.replace("\x00", "\ufffd"))


def install_text_guard(session_factory: sessionmaker) -> None:
    """Replace NUL characters in text columns before every flush of ``session_factory``'s sessions."""
    # Marked on the factory: sa.event.contains() is unreliable for new sessionmakers (see audit.install).
    if getattr(session_factory, _TEXT_GUARD_INSTALLED, False):
        return
    sa.event.listen(session_factory, "before_flush", _clean_text)
    setattr(session_factory, _TEXT_GUARD_INSTALLED, True)
