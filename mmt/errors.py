"""Exceptions that the API turns into the JSON error envelope.

Every error a user can cause is an :class:`MMTError` with an HTTP status, a
stable machine-readable ``code``, a human-readable message that says what to
do, and optional ``details`` (the column, rows or values at fault).
"""

from __future__ import annotations

from typing import Any


class MMTError(Exception):
    """An error caused by the request, reported as ``{"success": false, ...}``.

    Parameters
    ----------
    message : str
        What went wrong and what to do, in one or two plain sentences.
    code : str, optional
        Stable machine-readable code such as ``"missing_column"``.
    details : dict, optional
        Structured context: column names, row numbers, offending values.
    status : int, optional
        HTTP status; defaults to the class attribute.
    """

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}


class ValidationError(MMTError):
    """Uploaded data or request options that fail validation (422)."""

    status = 422
    code = "invalid_data"


class UnreadableFileError(MMTError):
    """A file that is not readable text, spreadsheet or Parquet (415)."""

    status = 415
    code = "unreadable_file"


class PayloadTooLargeError(MMTError):
    """An upload above the configured size or row limits (413)."""

    status = 413
    code = "payload_too_large"


class NotFoundError(MMTError):
    """A dataset, result or job id that does not exist (404)."""

    status = 404
    code = "not_found"


class ConflictError(MMTError):
    """A request that conflicts with stored state (409)."""

    status = 409
    code = "conflict"
