"""Alembic environment: runs on the connection handed over by mmt.storage.db."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from mmt.storage.models import Base
import mmt.security.models  # noqa: F401,E402  (api_keys and audit_events join Base.metadata)

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run(connection)
        return
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
