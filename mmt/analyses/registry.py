"""Registration of every analysis handler and its request model."""

from __future__ import annotations

from mmt.analyses import handlers  # noqa: F401  (registers the handlers)
from mmt.analyses.handlers import REQUEST_MODELS

__all__ = ["REQUEST_MODELS"]
