"""Responses in the shapes the original MMT React front end reads.

With ``MMT_API_PROFILE=original-frontend`` the routes that front end calls
reshape MMT's own stored results into the field names, units and types its
pages read. Every figure comes from the analyses in :mod:`mmt.analyses`; the
modules here only rename, reorder and fill in page-mandatory numbers, one
module per page:

``pd``, ``lgd``, ``ead`` and ``macro``
    ``POST /api/analyze/<type>`` (dispatched by :mod:`mmt.compat.analyze`).
``summary``
    ``GET /api/summary``: ``metrics`` and ``timeSeries`` from stored results.
``thresholds``
    ``GET`` and ``POST /api/user-thresholds``: the three criteria lists.
``database``
    ``GET /api/database/datasets`` and ``/api/database/analysis-results``.
``errors``
    Error bodies with a string ``error`` and a string ``details``.
"""

from __future__ import annotations

from typing import Any

PROFILE = "original-frontend"


def profile_active(state: Any | None = None) -> bool:
    """Tell whether the application runs with the original front end's profile.

    Parameters
    ----------
    state : mmt.app.AppState, optional
        The application state; the current application's when omitted.
    """
    if state is None:
        from mmt.app import app_state

        state = app_state()
    return state.settings.api_profile == PROFILE
