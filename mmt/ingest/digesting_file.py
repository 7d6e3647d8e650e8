"""A binary file that computes the SHA-256 of what is written to it, as it is written.

The ingest records the digest of each Parquet copy. Hashing the bytes on
their way to the disk, in the Parquet writer's own thread, spares reading
the finished file again on the request's path.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path


class DigestingFile(io.RawIOBase):
    """Write-only file at ``path`` whose :meth:`hexdigest` is the SHA-256 of the bytes written so far."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._handle = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._digest = hashlib.sha256()
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data)
        self._digest.update(view)
        written = self._handle.write(view)
        self._position += written
        return written

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        if not self._handle.closed:
            self._handle.flush()

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()
        super().close()

    def hexdigest(self) -> str:
        """Return the SHA-256 of the bytes written so far, as 64 hexadecimal digits."""
        return self._digest.hexdigest()
