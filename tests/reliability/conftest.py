"""Print the measured figures at the end of the session."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter):
    from tests.reliability.figures import terminal_summary

    terminal_summary(terminalreporter)
