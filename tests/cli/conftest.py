"""Fixtures of the command-line tests: the CLI pointed at the test's database and folders."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import mmt.cli
from mmt.cli import main


@pytest.fixture
def cli_settings(app, monkeypatch):
    """Point the in-process CLI at the test app's database and folders, and return the app's settings."""
    settings = app.extensions["mmt"].settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MMT_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.setenv("MMT_DATA_DIR", str(settings.data_dir))
    return settings


@pytest.fixture
def trimmed_demo(cli_settings, monkeypatch):
    """Return a function that points the CLI at the test's app and trims the demo to the given files and analyses."""

    def trim(uploads, extra_analyses):
        monkeypatch.setattr(mmt.cli, "SAMPLE_UPLOADS", tuple(uploads))
        monkeypatch.setattr(mmt.cli, "EXTRA_ANALYSES", tuple(extra_analyses))
        return cli_settings

    return trim


def run_demo() -> str:
    """Run ``mmt demo --no-serve`` and return its output, failing the test on a non-zero exit."""
    outcome = CliRunner().invoke(main, ["demo", "--no-serve"])
    assert outcome.exit_code == 0, outcome.output
    return outcome.output
