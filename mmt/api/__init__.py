"""HTTP layer: one blueprint per resource."""

from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    """Register every blueprint of the API on ``app``."""
    from mmt import web
    from mmt.api import analyze, audit, datasets, jobs, meta, options, reports, results, summary, thresholds, upload

    analyze._document_analyses()

    for module in (meta, upload, datasets, analyze, options, results, reports, thresholds, summary, jobs, audit, web):
        app.register_blueprint(module.bp)
