"""The EAD page: ``POST /api/analyze/ead``.

The page sends ``{quarter?, portfolio?, modelName?}``; its quarter and
portfolio choices are fixed in the page, and its model dropdown comes from
``additional_data``.
"""

from __future__ import annotations

from typing import Any

from mmt.compat.backtest import adapt_backtest


def adapt_ead(results: dict[str, Any], *, analysis_result_id: int | None) -> dict[str, Any]:
    """Reshape stored EAD results into the page's response (see :func:`mmt.compat.backtest.adapt_backtest`)."""
    return adapt_backtest(results, kind="ead", analysis_result_id=analysis_result_id)
