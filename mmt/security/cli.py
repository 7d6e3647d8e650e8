"""``mmt apikey``: create, list and revoke API keys in the configured database."""

from __future__ import annotations

import sys

import click

from mmt.security.models import ROLES


def _database():
    from pathlib import Path

    from mmt.config import load_settings
    from mmt.security import audit
    from mmt.storage.db import Database, upgrade_database

    settings = load_settings()
    database = Database(settings.database_url)
    upgrade_database(database.engine, Path(settings.data_dir) / ".migrate.lock")
    audit.install(database.session_factory)
    return database


@click.group()
def apikey() -> None:
    """API keys for access control (MMT_AUTH=on)."""


@apikey.command("create")
@click.option("--name", required=True, help="Who the key is for; shown in the audit trail.")
@click.option("--role", type=click.Choice(ROLES), required=True, help="viewer reads, analyst uploads and analyses, admin changes and deletes.")
def create(name: str, role: str) -> None:
    """Create a key and print it once; only its hash is stored."""
    from mmt.errors import MMTError
    from mmt.security.apikeys import create_api_key

    database = _database()
    try:
        with database.session() as session:
            _row, key = create_api_key(session, name, role)
    except MMTError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    finally:
        database.dispose()
    click.echo(key)
    click.echo(f"API key '{name}' ({role}) created. Store it now: it cannot be shown again.", err=True)


@apikey.command("list")
def list_keys() -> None:
    """List keys: name, role, first characters, created, revoked."""
    from mmt.security.apikeys import list_api_keys

    database = _database()
    try:
        with database.session() as session:
            for row in list_api_keys(session):
                revoked = row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else "-"
                click.echo(f"{row.name}\t{row.role}\t{row.prefix}...\t{row.created_at.isoformat(timespec='seconds')}\t{revoked}")
    finally:
        database.dispose()


@apikey.command("revoke")
@click.option("--name", required=True)
def revoke(name: str) -> None:
    """Revoke a key; requests with it get 401 from then on."""
    from mmt.errors import MMTError
    from mmt.security.apikeys import revoke_api_key

    database = _database()
    try:
        with database.session() as session:
            revoke_api_key(session, name)
    except MMTError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    finally:
        database.dispose()
    click.echo(f"API key '{name}' revoked.")
