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


def grouped_warnings(code: str, subject: str, messages: list[str] | tuple[str, ...], *,
                     limit: int = 3, **details: Any) -> list[dict[str, Any]]:
    """Turn per-bin messages into warnings, one per message up to ``limit``, else one summary.

    A feature with hundreds of empty bins would otherwise bury the other
    warnings of the analysis.
    """
    messages = list(messages)
    if len(messages) <= limit:
        return [{"code": code, "message": f"{subject}: {message}", "details": dict(details)} for message in messages]
    # The messages are sentences, so they are joined as sentences, without a doubled full stop.
    examples = " ".join(message if message.endswith(".") else f"{message}." for message in messages[:limit])
    return [{
        "code": code,
        "message": f"{subject}: {len(messages)} bins flagged, for example: {examples}",
        "details": {**details, "count": len(messages), "messages": messages[:100]},
    }]
