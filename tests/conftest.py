"""Fixtures: an application on a fresh SQLite file, and on PostgreSQL when configured.

Set ``MMT_TEST_DATABASE_URL`` (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to run every
database-backed test on PostgreSQL too. The URL's database itself gets no
test tables. Instead the first PostgreSQL test of a pytest session
creates ``mmt_test_<pid>_<random>`` on that server, and every PostgreSQL
test of the session uses it, with its ``public`` schema emptied first. The
session drops it at its end, after failures and Ctrl+C too, so two test runs
against one server never touch each other's tables.

A session killed with SIGKILL leaves its database behind. The next session
on the same machine drops such leftovers: databases of this prefix whose
process id is no live process here and that have no open connection.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

from mmt.jobs.runner import process_alive

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("MMT_TEST_DATABASE_URL") else [])
SESSION_DATABASE_PREFIX = "mmt_test_"


def _leftover_databases(connection) -> list[str]:
    """Return the session databases of killed test runs: their process is gone and no connection is open."""
    rows = connection.execute(sa.text(
        "SELECT datname FROM pg_database WHERE datname LIKE :pattern "
        "AND datname NOT IN (SELECT datname FROM pg_stat_activity WHERE datname IS NOT NULL)"
    ), {"pattern": SESSION_DATABASE_PREFIX.replace("_", "\\_") + "%"}).fetchall()
    leftovers = []
    for (name,) in rows:
        pid = name[len(SESSION_DATABASE_PREFIX):].split("_", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)) and name.replace("_", "").isalnum():
            leftovers.append(name)
    return leftovers


def create_postgresql_database(server_url: str) -> str:
    """Create an empty database with a name unique to this process on ``server_url``'s server; return its URL.

    Databases left by killed test runs on this machine are dropped first.
    """
    name = f"{SESSION_DATABASE_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for leftover in _leftover_databases(connection):
                # Built from digits, hex and underscores only (checked above), so it can be quoted as an identifier.
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{leftover}"')
            # A database name cannot be a bound parameter; this one is built from digits and hex above.
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgresql_database(server_url: str, database_url: str) -> None:
    """Drop the database of ``database_url`` through ``server_url``, ending its open connections first."""
    name = sa.make_url(database_url).database
    if not (name or "").startswith(SESSION_DATABASE_PREFIX) or not name.replace("_", "").isalnum():
        raise ValueError(f"not a session test database: {name!r}")
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def reset_postgresql(url: str) -> None:
    """Drop every table of the test database."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_url(request) -> str:
    """Return the URL of this session's own PostgreSQL database, created on first use and dropped at the end."""
    server_url = os.environ.get("MMT_TEST_DATABASE_URL")
    if not server_url:
        pytest.skip("MMT_TEST_DATABASE_URL is not set")
    url = create_postgresql_database(server_url)
    request.addfinalizer(lambda: drop_postgresql_database(server_url, url))
    return url


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mmt.sqlite3'}"
    url = request.getfixturevalue("postgresql_url")
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
