"""The LGD page: ``POST /api/analyze/lgd`` and ``GET /api/lgd/options``.

The page sends ``{quarter?, portfolio?, modelName?}`` with several model
names joined by ","; the LGD analysis reads these filters as they are.
"""

from __future__ import annotations

from typing import Any

from mmt.compat.backtest import adapt_backtest
from mmt.errors import MMTError


def adapt_lgd(results: dict[str, Any], *, analysis_result_id: int | None) -> dict[str, Any]:
    """Reshape stored LGD results into the page's response (see :func:`mmt.compat.backtest.adapt_backtest`)."""
    return adapt_backtest(results, kind="lgd", analysis_result_id=analysis_result_id)


def lgd_options_body(state: Any, dataset_id: int | None) -> dict[str, Any]:
    """Return ``quarters``, ``portfolios`` and ``modelNames`` of the latest LGD dataset.

    Without any LGD upload the lists are empty and ``message`` gives the reason, as
    in the original backend, so the page simply shows empty dropdowns.
    """
    from mmt.analyses.frames import read_frame
    from mmt.analyses.lgd import lgd_filter_options
    from mmt.services.analyses import resolve_dataset

    with state.database.session() as session:
        try:
            dataset = resolve_dataset(session, dataset_id, ("lgd",), label="LGD")
        except MMTError as error:
            if error.code != "no_data":
                raise
            return {"success": True, "quarters": [], "portfolios": [], "modelNames": [], "message": error.message}
        frame = read_frame(state, dataset)
        found_id = dataset.id
    return {"success": True, "dataset_id": found_id, **lgd_filter_options(frame)}
