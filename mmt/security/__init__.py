"""Access control, rate limits, hostile-input guards and the audit trail.

:func:`init_security` wires them into an application. Order matters: the
rate limit is checked first (so guessing keys is limited too), then the key
and role, then the request's content.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_security(app: Flask, state: Any) -> None:
    """Install rate limiting, access control, input guards and auditing on ``app``."""
    from mmt.security import audit
    from mmt.security.auth import install_auth
    from mmt.security.guards import install_guards, install_text_guard
    from mmt.security.ratelimit import install_rate_limit

    install_text_guard(state.database.session_factory)
    audit.install(state.database.session_factory)
    app.extensions["mmt_limiter"] = install_rate_limit(app, state.settings)
    install_auth(app, state)
    install_guards(app)
