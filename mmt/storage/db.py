"""Database engine, sessions and schema migrations.

SQLite (WAL journal, busy timeout, foreign keys on) is the zero-set-up
default; PostgreSQL is used through ``DATABASE_URL`` with psycopg 3. The
schema is created and upgraded by Alembic on start, under a file lock so that
several gunicorn workers starting together migrate once.
"""

from __future__ import annotations

import fcntl
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.orm import Session, sessionmaker

LOGGER = logging.getLogger("mmt.storage")
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def create_db_engine(database_url: str) -> sa.Engine:
    """Create the SQLAlchemy engine, with SQLite pragmas for concurrent use."""
    if database_url.startswith("sqlite"):
        engine = sa.create_engine(
            database_url,
            connect_args={"timeout": 60, "check_same_thread": False},
        )

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return sa.create_engine(database_url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def alembic_config(database_url: str) -> AlembicConfig:
    """Build the Alembic configuration that points at our migrations."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(engine: sa.Engine, lock_path: Path) -> None:
    """Apply every pending migration, once even with several processes starting."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            config = alembic_config(engine.url.render_as_string(hide_password=False))
            with engine.connect() as connection:
                sqlite = connection.dialect.name == "sqlite"
                if sqlite:
                    # Rebuilding a table drops the old one; with foreign keys on, SQLite
                    # would cascade that drop into the rows that reference it.
                    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                    connection.commit()
                try:
                    with connection.begin():
                        config.attributes["connection"] = connection
                        command.upgrade(config, "head")
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        connection.commit()
                        if broken:
                            raise RuntimeError(f"Migration left {len(broken)} rows with a dangling foreign key.")
                finally:
                    if sqlite:
                        connection.rollback()
                        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                        connection.commit()
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def lock_for_writing(session: Session, key: int) -> None:
    """Serialise read-modify-write transactions that share ``key`` until the session commits.

    On PostgreSQL this takes a transaction-scoped advisory lock. SQLite has a
    single writer; the driver opens the transaction only at the first write,
    so values read before it could already be stale. ``BEGIN IMMEDIATE`` takes
    the write lock before reading (waiting up to the busy timeout).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    elif dialect == "sqlite":
        raw = session.connection().connection.dbapi_connection
        if not raw.in_transaction:
            session.execute(sa.text("BEGIN IMMEDIATE"))


class Database:
    """The engine and session factory of one application."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_db_engine(database_url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open a session that commits on success and rolls back on error."""
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
