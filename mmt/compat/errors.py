"""Error bodies the original front end can print.

Its API helpers build the message shown to the user from the first truthy
field among ``error``, ``details`` and ``message`` of the JSON body, inside
a template string. Under the profile every JSON error body therefore carries
a non-empty string ``error``, and ``details`` (an object in the default
profile) becomes one readable line of text, or is left out when empty.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response

from mmt.compat import profile_active


def details_as_text(details: Any) -> str:
    """Render error ``details`` (object, list or scalar) as one readable line.

    Object entries become ``key: value`` joined by "; ", lists are joined by
    ", " in brackets, and nested objects are written inside parentheses.
    """
    if isinstance(details, str):
        return details
    if isinstance(details, dict):
        return "; ".join(f"{key}: {_value_text(value)}" for key, value in details.items())
    return _value_text(details)


def _value_text(value: Any) -> str:
    if isinstance(value, dict):
        return "(" + ", ".join(f"{key}: {_value_text(item)}" for key, item in value.items()) + ")"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value_text(item) for item in value) + "]"
    if value is None:
        return "none"
    return str(value)


def rewrite_error_body(body: dict[str, Any], status: int) -> dict[str, Any]:
    """Return ``body`` with a non-empty string ``error`` and a string or absent ``details``."""
    rewritten = dict(body)
    error = rewritten.get("error")
    if not isinstance(error, str) or not error.strip():
        message = rewritten.get("message")
        rewritten["error"] = message if isinstance(message, str) and message.strip() else f"Request failed with status {status}."
    details = rewritten.get("details")
    if details in (None, "", {}, []):
        rewritten.pop("details", None)
    else:
        rewritten["details"] = details_as_text(details)
    return rewritten


def install_error_rewrite(app: Flask) -> None:
    """Rewrite the JSON error bodies of ``app`` when it runs with the profile (else do nothing)."""
    if not profile_active(app.extensions["mmt"]):
        return

    @app.after_request
    def _rewrite(response: Response) -> Response:
        if response.status_code < 400 or not response.is_json:
            return response
        body = response.get_json(silent=True)
        if not isinstance(body, dict):
            body = {"error": f"Request failed with status {response.status_code}."}
        response.set_data(json.dumps(rewrite_error_body(body, response.status_code), ensure_ascii=False, allow_nan=False))
        return response
