"""The PostgreSQL tests of a pytest session run in a database of their own.

Two test runs against one server must not drop each other's tables, so
each session creates ``mmt_test_<pid>_<random>`` and drops it at its end.
These tests need ``MMT_TEST_DATABASE_URL`` and are skipped without it.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from tests.conftest import create_postgresql_database, drop_postgresql_database

SERVER_URL = os.environ.get("MMT_TEST_DATABASE_URL")
needs_postgresql = pytest.mark.skipif(not SERVER_URL, reason="MMT_TEST_DATABASE_URL is not set")


def database_names() -> set[str]:
    engine = sa.create_engine(SERVER_URL)
    try:
        with engine.connect() as connection:
            return {row[0] for row in connection.execute(sa.text("SELECT datname FROM pg_database"))}
    finally:
        engine.dispose()


@needs_postgresql
def test_postgresql_tests_use_session_database(postgresql_url):
    name = sa.make_url(postgresql_url).database
    assert name.startswith(f"mmt_test_{os.getpid()}_")
    assert name != sa.make_url(SERVER_URL).database
    assert name in database_names()


@needs_postgresql
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_database_url_is_session_database(database_url, postgresql_url):
    assert database_url == postgresql_url


@needs_postgresql
def test_session_database_dropped_with_open_connection():
    url = create_postgresql_database(SERVER_URL)
    name = sa.make_url(url).database
    assert name in database_names()
    # A connection left open by a test (an undisposed engine, say) must not keep the database alive.
    engine = sa.create_engine(url)
    connection = engine.connect()
    try:
        drop_postgresql_database(SERVER_URL, url)
    finally:
        try:
            connection.close()
        except sa.exc.DBAPIError:
            pass  # the drop ended this connection on the server side
        engine.dispose()
    assert name not in database_names()


@needs_postgresql
def test_drop_rejects_other_database():
    with pytest.raises(ValueError, match="not a session test database"):
        drop_postgresql_database(SERVER_URL, SERVER_URL)
    assert sa.make_url(SERVER_URL).database in database_names()
