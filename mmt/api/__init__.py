"""HTTP layer: one blueprint per resource."""

from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    """Register every blueprint of the API on ``app``."""
    from mmt.api import analyze, datasets, jobs, meta, options, results, summary, thresholds, upload

    analyze._document_analyses()

    for module in (meta, upload, datasets, analyze, options, results, thresholds, summary, jobs):
        app.register_blueprint(module.bp)
