"""Pure statistics on arrays and small aggregates.

No Flask, no database and no file I/O here. Functions take numpy arrays or the
per-bin, per-grade and per-period aggregates computed by :mod:`mmt.engine`,
and return small frozen dataclasses. A statistic that is undefined for the
input (one class only, a constant series, an empty grade) raises
:class:`NotComputable` with the reason, so the caller reports ``null`` with
that reason instead of a misleading number.
"""

from __future__ import annotations


class NotComputable(ValueError):
    """A statistic that is undefined for the given input.

    Parameters
    ----------
    reason : str
        Plain-sentence reason, e.g. ``"0 defaults out of 5 observations"``.
    status : str
        Short machine-readable status, e.g. ``"insufficient_classes"``.
    """

    def __init__(self, reason: str, status: str = "not_computable") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
