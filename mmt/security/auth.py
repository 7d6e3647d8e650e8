"""Access control: API keys with roles, off for local use and on with ``MMT_AUTH=on``.

A key is sent as ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``.
A request without a valid key gets 401, one whose key has too small a role
gets 403 (see :mod:`mmt.security.roles`). The caller's key name lands in
``g.api_user`` and its role in ``g.api_role``, where the threshold history
and the audit trail read them. An administrator key can also come from the
environment (``MMT_ADMIN_API_KEY``), so a fresh installation can be used
before any key exists in the database.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, request

from mmt.api.errors import error_response
from mmt.security.apikeys import MIN_BOOTSTRAP_LENGTH, identify
from mmt.security.models import ApiKey
from mmt.security.roles import at_least, required_role

LOGGER = logging.getLogger("mmt.security")


def presented_key() -> str | None:
    """Return the key the request carries, if any."""
    key = request.headers.get("X-API-Key", "").strip()
    if key:
        return key
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def bootstrap_key(settings: Any) -> str | None:
    """Return the administrator key from the settings or ``MMT_ADMIN_API_KEY``, checked for length."""
    key = (settings.extra.get("admin_api_key") or os.environ.get("MMT_ADMIN_API_KEY") or "").strip()
    if not key:
        return None
    if len(key) < MIN_BOOTSTRAP_LENGTH:
        raise RuntimeError(f"MMT_ADMIN_API_KEY must be at least {MIN_BOOTSTRAP_LENGTH} characters long.")
    return key


def _unauthorized(message: str):
    response = error_response(401, message, "unauthorized")
    response.headers["WWW-Authenticate"] = 'Bearer realm="MMT"'
    return response


def install_auth(app: Flask, state: Any) -> None:
    """Check the caller's key and role before every request when access control is on."""
    settings = state.settings
    if not settings.auth_enabled:
        return
    admin_key = bootstrap_key(settings)
    with state.database.session() as session:
        keys = session.scalar(sa.select(sa.func.count(ApiKey.id)).where(ApiKey.revoked_at.is_(None))) or 0
    if keys == 0 and admin_key is None:
        LOGGER.warning("access control is on but no API key exists: create one with "
                       "'mmt apikey create --role admin --name NAME' or set MMT_ADMIN_API_KEY")

    @app.before_request
    def _authorise():
        rule = request.url_rule.rule if request.url_rule is not None else None
        needed = required_role(request.method, rule, request.path)
        key = presented_key()
        if needed is None and key is None:
            return None
        caller = None
        if key is not None:
            with state.database.session() as session:
                caller = identify(session, key, admin_key)
        if caller is None:
            if needed is None:
                return None
            if key is None:
                return _unauthorized("This request needs an API key: send it as 'X-API-Key: <key>' "
                                     "or 'Authorization: Bearer <key>'.")
            return _unauthorized("The API key is unknown or revoked.")
        g.api_user = caller.name
        g.api_role = caller.role
        if needed is not None and not at_least(caller.role, needed):
            return error_response(
                403, f"This request needs the {needed} role; the key '{caller.name}' has the {caller.role} role.",
                "forbidden", {"required_role": needed, "role": caller.role},
            )
        return None
