"""Logging set-up: one line per request or job, with ids and duration."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s pid=%(process)d %(message)s"


def configure_logging(level: str) -> None:
    """Send MMT's logs to stderr at ``level``, once per process."""
    logger = logging.getLogger("mmt")
    logger.setLevel(level)
    if not any(getattr(handler, "_mmt", False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._mmt = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = False
