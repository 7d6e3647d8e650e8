"""Where the normalised Parquet copies and temporary uploads live on disk.

Layout under the data folder: ``datasets/<id>/data.parquet`` for stored
datasets and ``tmp/`` for uploads in progress. A dataset folder without a
database row (a crash between moving the file and committing) is an orphan
and is removed on start, as are leftovers in ``tmp/``.

Another worker may be in the middle of an upload while a worker starts, so
every folder and temporary file names the process that wrote it (see
:mod:`mmt.storage.owners`): a ``.writer`` file in the dataset folder, a
prefix on temporary names. A leftover is removed as soon as its writer has
ended; one whose writer cannot be judged (another host or container) only
once it is old.
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
from mmt.storage.owners import process_token, token_in, writer_gone

LOGGER = logging.getLogger("mmt.storage")
CHUNK = 4 * 1024 * 1024
WRITER_FILE = ".writer"
# Temporary files whose writer cannot be judged are kept this long.
TMP_MIN_AGE_SECONDS = 3600


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
        handle, name = tempfile.mkstemp(dir=self.tmp_dir, prefix=f"{process_token()}.", suffix=suffix)
        os.close(handle)
        return Path(name)

    def dataset_parquet(self, dataset_id: int) -> Path:
        return self.datasets_dir / str(dataset_id) / "data.parquet"

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    def absolute(self, relative_path: str) -> Path:
        return self.root / relative_path

    def dataset_dir(self, dataset_id: int) -> Path:
        """Create the dataset's folder, marked as written by this process, and return it.

        Call it before the first file of a dataset whose row is not committed
        yet lands there, so a crash before the commit leaves a folder that the
        next start recognises as an orphan.
        """
        folder = self.datasets_dir / str(dataset_id)
        if not folder.is_dir():
            # Build the folder with its mark in tmp/ and rename it into place, so that
            # no crash can leave an unmarked folder behind.
            staging = Path(tempfile.mkdtemp(dir=self.tmp_dir, prefix=f"{process_token()}.dataset-"))
            (staging / WRITER_FILE).write_text(process_token())
            try:
                os.rename(staging, folder)
                return folder
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
        # The folder exists already: this upload made it, or an ended writer left it under an
        # id that was never committed. Either way it is this upload's now.
        partial = folder / f"{WRITER_FILE}.{process_token()}.tmp"
        partial.write_text(process_token())
        os.replace(partial, folder / WRITER_FILE)
        return folder

    def place_parquet(self, source: Path, dataset_id: int) -> Path:
        """Move a finished Parquet file into the dataset's folder."""
        target = self.dataset_dir(dataset_id) / self.dataset_parquet(dataset_id).name
        os.replace(source, target)
        return target

    def remove_dataset_files(self, dataset_id: int) -> None:
        shutil.rmtree(self.datasets_dir / str(dataset_id), ignore_errors=True)

    def remove_orphans(self, session: Session, min_age_seconds: float = 0.0) -> int:
        """Delete dataset folders with no database row and leftover temporary files.

        Parameters
        ----------
        min_age_seconds : float
            A folder without a row whose writer cannot be judged is kept
            until it is this old; temporary files in that case for at least
            an hour. Leftovers of an ended process go at once, and those of a
            running one stay.
        """
        known = {str(row) for row in session.scalars(sa.select(Dataset.id))}
        removed = 0
        now = time.time()
        for folder in self.datasets_dir.iterdir():
            if not folder.is_dir():
                continue
            marker = folder / WRITER_FILE
            writer = _read_token(marker)
            if folder.name in known:
                # The row was committed; a writer mark left by an ended process is stale.
                if writer is not None and writer_gone(writer):
                    _unlink(marker)
                continue
            gone = writer_gone(writer)
            try:
                age = now - folder.stat().st_mtime
            except FileNotFoundError:
                continue
            if gone or (gone is None and age >= min_age_seconds):
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        for leftover in self.tmp_dir.iterdir():
            gone = writer_gone(token_in(leftover.name))
            try:
                age = now - leftover.stat().st_mtime
            except FileNotFoundError:
                continue
            if gone or (gone is None and age >= max(min_age_seconds, TMP_MIN_AGE_SECONDS)):
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    _unlink(leftover)
                removed += 1
        if removed:
            LOGGER.info("removed %d orphan files or folders under %s", removed, self.root)
        return removed


def _read_token(marker: Path) -> str | None:
    try:
        return marker.read_text().strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return None


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
