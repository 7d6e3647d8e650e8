"""The dashboard served at ``/``: server-side page, a little JavaScript, the public JSON API.

The page and its script come from this package under ``/assets``. plotly.js is
served from the installed ``plotly`` package, so the dashboard needs no network
access.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from flask import Blueprint, Response, current_app, render_template

from mmt import __version__
from mmt.api.schemas import MODEL_TYPES

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")

# Analyses offered per upload type, the first being the default.
ANALYSES_BY_MODEL_TYPE = {
    "pd": ("pd", "rating_transition"),
    "pd_baseline": ("pd",),
    "lgd": ("lgd",),
    "ead": ("ead",),
    "macro": ("macro",),
    "ratings": ("rating_transition",),
}

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    # plotly.js sets inline styles on the elements it draws.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


@bp.get("/")
def dashboard() -> Response:
    """Serve the dashboard page."""
    # Under MMT_AUTH=on the page shows a field for the API key, which its script sends with every API request.
    auth_enabled = current_app.extensions["mmt"].settings.auth_enabled
    page = render_template("dashboard.html", version=__version__, model_types=MODEL_TYPES,
                           analyses=ANALYSES_BY_MODEL_TYPE, auth_enabled=auth_enabled)
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@bp.get("/assets/vendor/plotly.min.js")
def plotly_js() -> Response:
    """Serve the plotly.js bundle that ships inside the ``plotly`` Python package."""
    response = Response(_plotly_bundle(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@lru_cache(maxsize=1)
def _plotly_bundle() -> bytes:
    return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()
