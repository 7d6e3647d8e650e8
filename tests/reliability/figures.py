"""Figures the reliability and security tests measure, for the closing report.

Each test records a small dictionary; the figures are printed in pytest's
terminal summary and written to ``test-artifacts/figures/<name>.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[2] / "test-artifacts" / "figures"
RECORDED: dict[str, dict] = {}


def record(name: str, values: dict) -> None:
    """Keep ``values`` under ``name`` for the summary and write them to the artifacts folder."""
    RECORDED[name] = values
    FOLDER.mkdir(parents=True, exist_ok=True)
    (FOLDER / f"{name}.json").write_text(json.dumps(values, indent=2, sort_keys=True, default=str))


def summary_lines() -> list[str]:
    return [f"{name}: {json.dumps(values, sort_keys=True, default=str)}" for name, values in sorted(RECORDED.items())]


def terminal_summary(terminalreporter) -> None:
    """Print the recorded figures once per session (both test folders' conftests call this)."""
    lines = summary_lines()
    if lines and not getattr(terminalreporter.config, "_mmt_figures_printed", False):
        terminalreporter.config._mmt_figures_printed = True
        terminalreporter.section("MMT reliability and security figures")
        for line in lines:
            terminalreporter.write_line(line)
