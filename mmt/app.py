"""Application factory."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request
from flask_cors import CORS

from mmt import __version__
from mmt.api import register_api
from mmt.api.errors import register_error_handlers
from mmt.api.json_provider import StrictJSONProvider
from mmt.config import Settings, load_settings
from mmt.engine.query_cache import QUERIES
from mmt.engine.sorted_cache import SHARED
from mmt.engine.sorted_store import STORE
from mmt.logs import configure_logging
from mmt.security import init_security
from mmt.storage.db import Database, upgrade_database
from mmt.storage.files import FileStore

LOGGER = logging.getLogger("mmt.request")


@dataclass
class AppState:
    """What the request handlers share: settings, database and file store."""

    settings: Settings
    database: Database
    files: FileStore
    jobs: Any = None


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Create the MMT Flask application.

    Parameters
    ----------
    overrides : dict, optional
        :class:`mmt.config.Settings` fields that replace the environment's
        values (tests use this for a temporary database and data folder).
    """
    settings = load_settings(overrides)
    configure_logging(settings.log_level)

    app = Flask(__name__, instance_path=str(settings.instance_dir))
    app.json = StrictJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    # Werkzeug parses multipart bodies into temporary files above this size.
    app.config["MAX_FORM_MEMORY_SIZE"] = 64 * 1024 * 1024
    Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)

    # One store of sorted columns per process, shared by its threads; the last app created sets its size.
    SHARED.capacity = max(0, settings.sorted_cache_mb) * 1024 * 1024
    QUERIES.capacity = max(0, settings.query_cache_mb) * 1024 * 1024
    database = Database(settings.database_url)
    upgrade_database(database.engine, Path(settings.data_dir) / ".migrate.lock")
    files = FileStore(Path(settings.data_dir))
    # Sorted columns of the datasets under this folder are written beside their Parquet copies.
    STORE.root = files.datasets_dir if settings.sorted_store else None
    state = AppState(settings=settings, database=database, files=files)
    app.extensions["mmt"] = state

    from mmt.jobs import create_job_runner

    state.jobs = create_job_runner(app, state)
    with database.session() as session:
        files.remove_orphans(session, min_age_seconds=60)
        state.jobs.recover_interrupted(session)

    CORS(
        app,
        resources={r"/api/*": {"origins": list(settings.cors_origins)}},
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-API-Key"],
        expose_headers=["Content-Disposition", "X-Request-ID"],
    )
    register_error_handlers(app)
    _register_request_log(app)
    init_security(app, state)
    register_api(app)
    LOGGER.info("app started version=%s database=%s engine=%s profile=%s",
                __version__, database.engine.url.get_backend_name(), settings.engine, settings.api_profile)
    return app


def app_state() -> AppState:
    """Return the :class:`AppState` of the current application."""
    return current_app.extensions["mmt"]


def _register_request_log(app: Flask) -> None:
    @app.before_request
    def _start_request() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex[:16]
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = getattr(g, "request_started", None)
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        response.headers["X-Request-ID"] = getattr(g, "request_id", "-")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        LOGGER.info(
            "request_id=%s method=%s path=%s status=%s duration_ms=%.1f",
            getattr(g, "request_id", "-"),
            request.method,
            request.path,
            response.status_code,
            duration_ms,
        )
        return response
