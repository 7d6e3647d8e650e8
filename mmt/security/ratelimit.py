"""Rate limiting with Flask-Limiter: ``MMT_RATE_LIMIT`` per client address and route.

Counters live in memory by default, so each gunicorn worker counts on its
own. With ``REDIS_URL`` set they live in Redis and every worker shares them.
The key prefix names the data folder, which all workers of one installation
share and different installations do not. The health check, CORS preflight
requests and the dashboard's static files are not limited. ``MMT_RATE_LIMIT=off``
switches limiting off.

NOTE: behind a reverse proxy every request comes from the proxy's address;
wrap the application in werkzeug's ``ProxyFix`` there so the client's
address is used.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from mmt.api.errors import error_response

DISABLED = ("", "off", "none", "0", "false", "no")


def _exempt() -> bool:
    return request.method == "OPTIONS" or not request.path.startswith("/api/") or request.path == "/api/health"


def install_rate_limit(app: Flask, settings: Any) -> Limiter | None:
    """Attach the limiter to ``app``; return it, or None when limiting is off."""
    limit = (settings.rate_limit or "").strip()
    if limit.lower() in DISABLED:
        return None
    deployment = hashlib.sha256(str(settings.data_dir).encode()).hexdigest()[:12]

    # Registered before the limiter's own hook, so it runs after the limiter has added its headers
    # (Flask runs after_request functions in reverse order).
    @app.after_request
    def _drop_retry_after_unless_limited(response: Response) -> Response:
        # With headers_enabled, Flask-Limiter 4 sends Retry-After with every response, and on a success
        # it reads as a request to wait.
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response

    limiter = Limiter(
        get_remote_address,
        app=app,
        default_limits=[limit],
        storage_uri=settings.redis_url or "memory://",
        key_prefix=f"mmt-{deployment}",
        headers_enabled=True,
        strategy="fixed-window",
        # An unreachable Redis must not take the API down: count in memory meanwhile.
        in_memory_fallback_enabled=bool(settings.redis_url),
        swallow_errors=True,
    )
    limiter.request_filter(_exempt)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded):
        return error_response(
            429, f"Too many requests: the limit is {error.description}. Wait and retry.",
            "rate_limited", {"limit": error.description},
        )

    return limiter
