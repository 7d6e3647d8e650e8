"""Fixtures: an application with access control on and one key per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

ADMIN_BOOTSTRAP_KEY = "bootstrap-admin-key-for-tests-0123456789"


@dataclass
class Keys:
    viewer: str
    analyst: str
    admin: str
    revoked: str
    bootstrap: str = ADMIN_BOOTSTRAP_KEY


def make_app(database_url, tmp_path, **overrides):
    from mmt import create_app

    settings = {
        "instance_dir": tmp_path / "instance",
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "log_level": "CRITICAL",
        "rate_limit": "off",
    }
    settings.update(overrides)
    application = create_app(settings)
    application.config["TESTING"] = True
    return application


def close_app(application) -> None:
    state = application.extensions["mmt"]
    state.jobs.executor.shutdown(wait=True)
    state.database.dispose()


@pytest.fixture
def secured_app(database_url, tmp_path):
    application = make_app(database_url, tmp_path, auth_enabled=True,
                           extra={"admin_api_key": ADMIN_BOOTSTRAP_KEY})
    yield application
    close_app(application)


@pytest.fixture
def keys(secured_app) -> Keys:
    from mmt.security.apikeys import create_api_key, revoke_api_key

    state = secured_app.extensions["mmt"]
    with state.database.session() as session:
        made = {role: create_api_key(session, f"{role}-key", role)[1] for role in ("viewer", "analyst", "admin")}
        revoked = create_api_key(session, "revoked-key", "admin")[1]
        revoke_api_key(session, "revoked-key")
    return Keys(viewer=made["viewer"], analyst=made["analyst"], admin=made["admin"], revoked=revoked)


def pytest_terminal_summary(terminalreporter):
    from tests.reliability.figures import terminal_summary

    terminal_summary(terminalreporter)
