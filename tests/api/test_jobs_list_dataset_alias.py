"""GET /api/jobs?dataset_id=: jobs requested with the original front end's datasetId alias are listed too."""

from __future__ import annotations

from tests.api.test_jobs_list import add_job, listed_ids


def test_dataset_filter_matches_alias(client, app):
    add_job(app, "alias_queued", 1, state="queued", payload={"datasetId": 7})
    add_job(app, "alias_failed", 2, state="failed", payload={"datasetId": 7})
    add_job(app, "other", 3, state="queued", payload={"datasetId": 8})
    add_job(app, "plain", 4, state="queued", payload={"dataset_id": 7})
    assert listed_ids(client, "?dataset_id=7") == ["plain", "alias_failed", "alias_queued"]
    assert listed_ids(client, "?dataset_id=8") == ["other"]
