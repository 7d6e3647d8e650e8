"""``POST /api/analyze/<type>`` under the profile: run our analysis, then reshape it.

The analysis runs through :func:`mmt.services.analyses.run_analysis`, the
same code and the same stored result as in the default profile, and always
in the request: the original front end cannot follow a background job.
"""

from __future__ import annotations

from typing import Any

from mmt.compat.backtest import empty_selection_body
from mmt.compat.ead import adapt_ead
from mmt.compat.lgd import adapt_lgd
from mmt.compat.macro import adapt_macro
from mmt.compat.pd import adapt_pd, pd_payload
from mmt.errors import MMTError

ADAPTED_TYPES = ("pd", "lgd", "ead", "macro")


def analyze_body(state: Any, analysis_type: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """Run ``analysis_type`` for the page's request ``body`` and return the page's response.

    Returns ``None`` for analysis types no page calls (rating transitions,
    stability, WOE), which keep the default response.
    """
    from mmt.services.analyses import run_analysis

    if analysis_type not in ADAPTED_TYPES:
        return None
    sorting_method = None
    if analysis_type == "pd":
        payload, sorting_method = pd_payload(body)
    else:
        payload = {key: value for key, value in body.items() if key != "async"}
    try:
        record = run_analysis(state, analysis_type, payload)
    except MMTError as error:
        if analysis_type in ("lgd", "ead") and error.code == "empty_selection":
            return empty_selection_body(error, kind=analysis_type, dropdowns=_dataset_dropdowns(state, analysis_type, payload))
        raise
    results = dict(record.results or {})
    if analysis_type == "pd":
        return adapt_pd(results, sorting_method=sorting_method, analysis_result_id=record.id)
    if analysis_type == "lgd":
        return adapt_lgd(results, analysis_result_id=record.id)
    if analysis_type == "ead":
        return adapt_ead(results, analysis_result_id=record.id)
    return adapt_macro(results, analysis_result_id=record.id)


def _dataset_dropdowns(state: Any, kind: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the quarter, portfolio and model rows of the whole dataset the request names."""
    from mmt.analyses.filters import additional_data
    from mmt.analyses.frames import read_frame
    from mmt.services.analyses import resolve_dataset

    dataset_id = payload.get("dataset_id", payload.get("datasetId"))
    with state.database.session() as session:
        dataset = resolve_dataset(session, dataset_id if isinstance(dataset_id, int) else None, (kind,), label=kind.upper())
        frame = read_frame(state, dataset)
    return additional_data(frame)
