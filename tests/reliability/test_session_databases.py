"""Leftover PostgreSQL databases of killed test sessions are found, and live sessions' databases are kept."""

from __future__ import annotations

import os
import secrets

import pytest
import sqlalchemy as sa

from tests.conftest import _leftover_databases

SERVER_URL = os.environ.get("MMT_TEST_DATABASE_URL")

pytestmark = pytest.mark.skipif(not SERVER_URL, reason="MMT_TEST_DATABASE_URL is not set")


def _dead_pid() -> int:
    for pid in range(4_000_000, 4_100_000):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    raise RuntimeError("no free process id found")


def test_leftover_databases_skip_live_sessions():
    suffix = secrets.token_hex(4)
    dead = f"mmt_test_{_dead_pid()}_{suffix}"
    live = f"mmt_test_{os.getpid()}_{suffix}"
    admin = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in (dead, live):
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                found = _leftover_databases(connection)
                assert dead in found
                assert live not in found
            finally:
                for name in (dead, live):
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        admin.dispose()
