"""Helpers shared by the analyses: metric entries and "not computable" entries."""

from __future__ import annotations

from typing import Any

from mmt.stats import NotComputable


def metric_entry(value: float | None, status: str | None = None, **extra: Any) -> dict[str, Any]:
    """Build a ``{"value", "status", ...}`` entry for a figure with a traffic light."""
    entry: dict[str, Any] = {"value": value, "status": status}
    entry.update(extra)
    return entry


def not_computable_entry(error: NotComputable, **extra: Any) -> dict[str, Any]:
    """Build the entry of an undefined figure: ``value`` null with the reason."""
    entry: dict[str, Any] = {"value": None, "status": error.status, "reason": error.reason}
    entry.update(extra)
    return entry
