"""Imports every handler module so that each registers its analysis type."""

from __future__ import annotations

import importlib

from mmt.services.analyses import REQUEST_MODELS

# One module per analysis family; each calls mmt.services.analyses.register.
HANDLER_MODULES = (
    "mmt.analyses.handlers",
    "mmt.analyses.handlers_macro",
    "mmt.analyses.handlers_backtest",
    "mmt.analyses.handlers_transitions",
    "mmt.analyses.handlers_stability",
)

for _module in HANDLER_MODULES:
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as error:
        # NOTE: a handler module that is not written yet leaves its analysis type unregistered.
        if not (error.name or "").startswith("mmt.analyses"):
            raise

__all__ = ["REQUEST_MODELS"]
