"""Progress of the running job, reported from deep inside an analysis.

The job runner (thread or RQ worker) installs a callback with
:func:`reporting_to`; analyses call :func:`report_progress` at their stages
without knowing whether a job is watching. Outside a job the call does
nothing. A context variable keeps concurrent jobs in different threads apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

ProgressCallback = Callable[[float, "str | None"], None]

_CALLBACK: ContextVar[ProgressCallback | None] = ContextVar("mmt_progress", default=None)
_SPAN: ContextVar[tuple[float, float]] = ContextVar("mmt_progress_span", default=(0.0, 100.0))


def report_progress(percent: float, message: str | None = None) -> None:
    """Report ``percent`` (0-100) of the current stage, scaled into the stage's span."""
    callback = _CALLBACK.get()
    if callback is None:
        return
    low, high = _SPAN.get()
    callback(low + (high - low) * max(0.0, min(100.0, float(percent))) / 100.0, message)


@contextmanager
def reporting_to(callback: ProgressCallback | None) -> Iterator[None]:
    """Send :func:`report_progress` calls in this context to ``callback``."""
    token = _CALLBACK.set(callback)
    span = _SPAN.set((0.0, 100.0))
    try:
        yield
    finally:
        _SPAN.reset(span)
        _CALLBACK.reset(token)


@contextmanager
def stage(low: float, high: float) -> Iterator[None]:
    """Map the 0-100 progress reported inside to ``low``-``high`` of the enclosing span."""
    outer_low, outer_high = _SPAN.get()
    width = outer_high - outer_low
    token = _SPAN.set((outer_low + width * low / 100.0, outer_low + width * high / 100.0))
    try:
        yield
    finally:
        _SPAN.reset(token)
