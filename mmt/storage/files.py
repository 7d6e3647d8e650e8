"""Where the normalised Parquet copies and temporary uploads live on disk.

Layout under the data folder: ``datasets/<id>/data.parquet`` for stored
datasets and ``tmp/`` for uploads in progress. A dataset folder without a
database row (a crash between moving the file and committing) is an orphan
and is removed on start, as are leftovers in ``tmp/``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mmt.storage.models import Dataset

LOGGER = logging.getLogger("mmt.storage")
CHUNK = 4 * 1024 * 1024


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class FileStore:
    """Paths of dataset files and temporary uploads under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.datasets_dir = root / "datasets"
        self.tmp_dir = root / "tmp"
        self.datasets_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def new_temp_path(self, suffix: str = "") -> Path:
        """Return a fresh path in ``tmp/`` (the file is created empty)."""
        handle, name = tempfile.mkstemp(dir=self.tmp_dir, suffix=suffix)
        os.close(handle)
        return Path(name)

    def dataset_parquet(self, dataset_id: int) -> Path:
        return self.datasets_dir / str(dataset_id) / "data.parquet"

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    def absolute(self, relative_path: str) -> Path:
        return self.root / relative_path

    def place_parquet(self, source: Path, dataset_id: int) -> Path:
        """Move a finished Parquet file into the dataset's folder."""
        target = self.dataset_parquet(dataset_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        return target

    def remove_dataset_files(self, dataset_id: int) -> None:
        shutil.rmtree(self.datasets_dir / str(dataset_id), ignore_errors=True)

    def remove_orphans(self, session: Session, min_age_seconds: float = 0.0) -> int:
        """Delete dataset folders with no database row and stale temporary files.

        Parameters
        ----------
        min_age_seconds : float
            Temporary files younger than this are kept, because another
            worker may be writing them.
        """
        known = {str(row) for row in session.scalars(sa.select(Dataset.id))}
        removed = 0
        for folder in self.datasets_dir.iterdir():
            if folder.is_dir() and folder.name not in known:
                if time.time() - folder.stat().st_mtime >= min_age_seconds:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
        for leftover in self.tmp_dir.iterdir():
            try:
                if time.time() - leftover.stat().st_mtime >= max(min_age_seconds, 3600):
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        if removed:
            LOGGER.info("removed %d orphan files or folders under %s", removed, self.root)
        return removed
