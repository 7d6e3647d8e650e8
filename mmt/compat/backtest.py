"""Shared reshaping of the LGD and EAD pages: metrics, scatter, decile grid and dropdown rows.

Both pages read ``metrics.MAPE`` (percent) and ``metrics["R-squared"]``
through ``|| 0``, so an undefined figure is sent as ``null`` with the reason
in ``interpretation``. ``decile_data`` is optional on both pages and is sent
only as a full 10 x 10 grid of numbers. ``additional_data`` lists the
quarter, portfolio and model combinations of the whole dataset, so the
dropdowns the page rebuilds from it keep every choice after a filter.
"""

from __future__ import annotations

import math
from typing import Any

from mmt.errors import MMTError

DECILES = 10
DROPDOWN_KEYS = ("Quarter", "Portfolio", "ModelName")


def adapt_backtest(results: dict[str, Any], *, kind: str, analysis_result_id: int | None) -> dict[str, Any]:
    """Reshape stored LGD or EAD results into the page's response.

    Parameters
    ----------
    results : dict
        ``results`` of a stored LGD or EAD analysis.
    kind : {"lgd", "ead"}
        Which page; names the ``plot_data`` arrays (``actual_lgd`` or ``actual_ead``).
    analysis_result_id : int or None
        Id of the stored result.
    """
    metrics = results.get("metrics") or {}
    plot = results.get("plot_data") or {}
    actual_key, predicted_key = f"actual_{kind}", f"predicted_{kind}"
    body: dict[str, Any] = {
        "success": True,
        "metrics": {name: metrics.get(name) for name in ("MAPE", "R-squared", "MAE", "Bias", "RMSE")},
        "plot_data": {
            actual_key: list(plot.get(actual_key) or []),
            predicted_key: list(plot.get(predicted_key) or []),
        },
        "additional_data": dropdown_rows(results.get("additional_data")),
        "analysis_result_id": analysis_result_id,
        "warnings": [str(warning) for warning in results.get("warnings") or []],
    }
    undefined = [name for name in ("MAPE", "R-squared") if body["metrics"][name] is None]
    if undefined:
        body["interpretation"] = _undefined_reason(results, undefined)
    deciles = full_decile_grid(results.get("decile_data"))
    if deciles is not None:
        body["decile_data"] = deciles
    return body


def _undefined_reason(results: dict[str, Any], names: list[str]) -> str:
    reasons = ((results.get("tests") or {}).get("errors") or {}).get("reasons") or {}
    keys = {"MAPE": "mape", "R-squared": "r_squared"}
    parts = []
    for name in names:
        reason = reasons.get(keys[name])
        text = reason.get("reason") if isinstance(reason, dict) else reason
        parts.append(f"{name} is not computable" + (f": {text}" if text else ""))
    return "; ".join(parts) + ". The page shows 0 for it."


def full_decile_grid(decile_data: Any) -> dict[str, Any] | None:
    """Return ``{data, total_count}`` when it is a full 10 x 10 grid of numbers, else ``None``."""
    if not isinstance(decile_data, dict):
        return None
    rows = decile_data.get("data")
    total = decile_data.get("total_count")
    if not isinstance(rows, list) or len(rows) != DECILES or not _is_number(total):
        return None
    grid = []
    for row in rows:
        values = row.get("values") if isinstance(row, dict) else None
        if not isinstance(values, list) or len(values) != DECILES or not all(_is_number(value) for value in values):
            return None
        grid.append({"actual_decile": str(row.get("actual_decile")), "values": values})
    return {"data": grid, "total_count": total, "unit": "percent of all facilities",
            "rows": "realised decile", "columns": "predicted decile"}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def dropdown_rows(rows: Any) -> list[dict[str, str]]:
    """Return ``{Quarter, Portfolio, ModelName}`` rows with ``""`` for a missing value.

    The page builds its dropdowns from these strings, and an empty choice
    is never sent back as a filter.
    """
    cleaned = []
    for row in rows or []:
        cleaned.append({key: "" if row.get(key) is None else str(row.get(key)) for key in DROPDOWN_KEYS})
    return cleaned


def empty_selection_body(error: MMTError, *, kind: str, dropdowns: list[dict[str, Any]]) -> dict[str, Any]:
    """Build a 200 response for filters that match no row.

    The original LGD page stays in its error state after any failed request,
    so a filter combination without rows gets empty charts, ``null`` metrics
    and the whole dataset's dropdown rows instead of an error.
    """
    return {
        "success": True,
        "metrics": {"MAPE": None, "R-squared": None, "MAE": None, "Bias": None, "RMSE": None},
        "plot_data": {f"actual_{kind}": [], f"predicted_{kind}": []},
        "additional_data": dropdown_rows(dropdowns),
        "analysis_result_id": None,
        "interpretation": error.message,
        "warnings": [error.message],
    }
