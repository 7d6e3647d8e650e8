"""Roles and the role each API route needs.

Viewers read, analysts also upload and analyse, administrators also change
thresholds, edit and delete. A write route not named here needs an
administrator, so a route added later is closed until someone opens it.
"""

from __future__ import annotations

from mmt.security.models import ROLES

RANK = {role: rank for rank, role in enumerate(ROLES)}

# Routes anyone may call, even with access control on: the liveness probe and
# the API description (it contains no data).
PUBLIC_RULES = frozenset({"/api/health", "/api/openapi.json"})

# POST routes open to analysts: uploads, analyses, and retrying a failed upload or analysis job.
ANALYST_POST_PREFIXES = ("/api/upload/", "/api/analyze/")
ANALYST_POST_RULES = frozenset({"/api/jobs/<job_id>/retry"})

# GET routes that only administrators may read.
ADMIN_READ_PREFIXES = ("/api/audit",)

READ_METHODS = frozenset({"GET", "HEAD"})


def at_least(role: str | None, needed: str) -> bool:
    """Say whether ``role`` includes the rights of ``needed``."""
    return role in RANK and RANK[role] >= RANK[needed]


def required_role(method: str, rule: str | None, path: str) -> str | None:
    """Return the least role that may call ``method`` on the Flask ``rule``.

    Returns None for routes that need no key. An unknown path under ``/api/``
    (``rule`` None, which ends in 404 or 405) needs a viewer key, so callers
    without a key learn nothing about which routes exist.
    """
    method = method.upper()
    if method == "OPTIONS":
        # CORS preflight requests never carry credentials.
        return None
    if rule is None:
        return "viewer" if path.startswith("/api/") else None
    if rule in PUBLIC_RULES or not rule.startswith("/api/"):
        return None
    if method in READ_METHODS:
        return "admin" if rule.startswith(ADMIN_READ_PREFIXES) else "viewer"
    if method == "POST" and (rule.startswith(ANALYST_POST_PREFIXES) or rule in ANALYST_POST_RULES):
        return "analyst"
    return "admin"
