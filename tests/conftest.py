"""Fixtures: an application on a fresh SQLite file, and on PostgreSQL when configured.

Set ``MMT_TEST_DATABASE_URL`` (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to run every
database-backed test on PostgreSQL too; its ``public`` schema is emptied
before each test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("MMT_TEST_DATABASE_URL") else [])


def reset_postgresql(url: str) -> None:
    """Drop every table of the test database."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mmt.sqlite3'}"
    url = os.environ["MMT_TEST_DATABASE_URL"]
    reset_postgresql(url)
    return url


@pytest.fixture
def app(database_url, tmp_path):
    from mmt import create_app

    application = create_app({
        "instance_dir": tmp_path / "instance",
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "log_level": "WARNING",
    })
    application.config["TESTING"] = True
    yield application
    application.extensions["mmt"].jobs.executor.shutdown(wait=True)
    application.extensions["mmt"].database.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def upload(client):
    """Upload a file from the data folder and return the JSON answer."""

    def _upload(model_type: str, relative_path: str, **form):
        path = DATA / relative_path
        with open(path, "rb") as handle:
            data = {"file": (handle, path.name), **form}
            response = client.post(f"/api/upload/{model_type}", data=data, content_type="multipart/form-data")
        return response

    return _upload
