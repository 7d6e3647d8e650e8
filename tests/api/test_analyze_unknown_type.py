"""An unknown analysis type is rejected before any job is stored."""

from __future__ import annotations

import sqlalchemy as sa

from mmt.storage.models import Job


def _job_count(app) -> int:
    with app.extensions["mmt"].database.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Job))


def test_unknown_type_in_background_gets_404(app, client):
    response = client.post("/api/analyze/pdd", json={"async": True})
    body = response.get_json()
    assert response.status_code == 404
    assert body["code"] == "unknown_analysis_type"
    assert "pd" in body["details"]["accepted"]
    assert _job_count(app) == 0


def test_unknown_type_in_foreground_gets_404(app, client):
    response = client.post("/api/analyze/pdd", json={})
    assert response.status_code == 404
    assert response.get_json()["code"] == "unknown_analysis_type"
    assert _job_count(app) == 0


def test_long_unknown_type_shown_shortened(client):
    response = client.post("/api/analyze/" + "x" * 3000, json={})
    body = response.get_json()
    assert response.status_code == 404
    assert body["details"]["analysis_type"] == "x" * 60
    assert len(body["error"]) < 400
