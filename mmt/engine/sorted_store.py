"""Sorted columns kept on disk beside a dataset's Parquet copy.

The in-memory store (:mod:`mmt.engine.sorted_cache`) serves one process.
A server runs several worker processes and restarts now and then, and each
of them would read and sort the same columns again. In the benchmark
(docs/benchmarks.md) that is 0.9 s of a 1M + 1M row PD battery that takes
0.4 s with the sorted columns at hand. The Parquet copy of a dataset never
changes once written, so the sorted columns of an analysis are written once
to ``<dataset folder>/sorted/``. Any process that needs them later
memory-maps them, and the processes share those pages in the operating
system's file cache.

A file's name is a digest of the Parquet file's identity (path, inode,
size and modification time), the selection, the column and the outcome
flag, so a replaced Parquet file is never served from an old entry. Files
are written by a background thread to a temporary name and renamed into
place, so a reader sees a whole file or none. A file that cannot be read is
deleted and the columns are computed again. The files of one dataset take
at most :data:`MAX_SIZE_RATIO` times its Parquet copy; beyond that nothing
more is written. Deleting a dataset deletes its folder and these files.

NOTE: the share is checked under a lock of one process. Server processes
that write different columns of one dataset at the same moment can each
pass the check, so the folder can exceed its share by about one column per
process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from mmt.engine.columns import SortedColumn

LOGGER = logging.getLogger(__name__)

#: Folder, inside a dataset's folder, that contains its sorted columns.
FOLDER = "sorted"
#: The sorted columns of a dataset may take this many times the size of its Parquet copy.
MAX_SIZE_RATIO = 2.0
#: A temporary file untouched for this many seconds was left by a writer that died, and is deleted.
STALE_TEMPORARY_SECONDS = 3600
# The four sorted arrays share one type and are stored one after the other in one .npy file, which is
# memory-mapped when read. Their lengths and the missing counts go to a second file.
_ARRAYS = ("values", "events", "flag_missing", "flag_other")
_COUNTS = ("missing", "missing_events", "missing_flag_missing", "missing_flag_other")


class SortedColumnStore:
    """Sorted columns on disk for the Parquet files under :attr:`root`; off while ``root`` is None."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mmt-sorted-store")
        self._lock = threading.Lock()

    def _files(self, identity: tuple, selection: Any, column: str, flag: str | None) -> tuple[Path, Path] | None:
        """Return the data and counts file of an entry, or None when the Parquet file is outside :attr:`root`."""
        if self.root is None or identity is None:
            return None
        parquet = Path(selection.path)
        try:
            parquet.resolve().relative_to(self.root.resolve())
        except ValueError:
            return None
        key = hashlib.sha256(repr((identity, selection.filters, selection.not_null, column, flag)).encode()).hexdigest()
        folder = parquet.parent / FOLDER
        return folder / f"{key}.npy", folder / f"{key}.counts.npy"

    def load(self, identity: tuple, selection: Any, column: str, flag: str | None) -> SortedColumn | None:
        """Return the stored sorted column, memory-mapped, or None when there is none or it cannot be read.

        The counts file is written last, so its presence means that the data
        file is complete.
        """
        files = self._files(identity, selection, column, flag)
        if files is None or not files[1].is_file():
            return None
        data_path, counts_path = files
        try:
            counts = np.load(counts_path, allow_pickle=False)
            if counts.shape != (len(_ARRAYS) + len(_COUNTS),) or counts.dtype != np.int64:
                raise ValueError(f"counts of shape {counts.shape} and type {counts.dtype}")
            data = np.load(data_path, mmap_mode="r", allow_pickle=False)
            lengths = [int(length) for length in counts[: len(_ARRAYS)]]
            if data.ndim != 1 or data.size != sum(lengths) or min(lengths) < 0:
                raise ValueError(f"{data.size} values where the counts file gives {sum(lengths)}")
            bounds = np.cumsum([0, *lengths])
            arrays = {name: data[bounds[index]:bounds[index + 1]] for index, name in enumerate(_ARRAYS)}
            numbers = {name: int(value) for name, value in zip(_COUNTS, counts[len(_ARRAYS):])}
            return SortedColumn(**arrays, **numbers)
        except (OSError, ValueError, EOFError) as error:
            LOGGER.warning("sorted column file %s cannot be read (%s); it is deleted and computed again", data_path, error)
            counts_path.unlink(missing_ok=True)
            data_path.unlink(missing_ok=True)
            return None

    def save(self, identity: tuple, selection: Any, column: str, flag: str | None, sorted_column: SortedColumn) -> None:
        """Write ``sorted_column`` in the background, unless the dataset's files would exceed their share."""
        files = self._files(identity, selection, column, flag)
        if files is None or files[1].is_file():
            return
        self._writer.submit(self._write, files, Path(selection.path), sorted_column)

    def _write(self, files: tuple[Path, Path], parquet: Path, sorted_column: SortedColumn) -> None:
        data_path, counts_path = files
        folder = data_path.parent
        try:
            with self._lock:
                # No parents: a dataset deleted meanwhile must not get its folder back.
                folder.mkdir(exist_ok=True)
                _delete_stale_temporaries(folder)
                used = sum(item.stat().st_size for item in folder.iterdir() if item.suffix == ".npy")
                if used + sorted_column.nbytes > MAX_SIZE_RATIO * parquet.stat().st_size:
                    return
            arrays = [getattr(sorted_column, name) for name in _ARRAYS]
            counts = np.array([array.size for array in arrays] + [getattr(sorted_column, name) for name in _COUNTS],
                              dtype=np.int64)
            # Data first, counts last: load() reads an entry only once its counts file is in place.
            _write_atomically(data_path, np.concatenate(arrays))
            _write_atomically(counts_path, counts)
            if not parquet.exists():
                # The dataset was deleted while this was written: leave nothing of it behind.
                shutil.rmtree(folder, ignore_errors=True)
        except OSError as error:
            # The dataset was deleted or the disk is full: the columns are computed again next time.
            LOGGER.info("sorted column file %s not written: %s", data_path, error)

    def flush(self) -> None:
        """Wait until every queued file is written (tests and benchmarks call this)."""
        self._writer.submit(lambda: None).result()


def _delete_stale_temporaries(folder: Path) -> None:
    """Delete the temporary files of ``folder`` that no writer has touched for :data:`STALE_TEMPORARY_SECONDS`.

    A process killed while it wrote a sorted column leaves its temporary file
    behind. Writing one column takes far less than an hour even at tens of
    millions of rows, so an hour-old file has no writer.
    """
    oldest = time.time() - STALE_TEMPORARY_SECONDS
    for item in folder.glob(".*.tmp"):
        try:
            if item.stat().st_mtime < oldest:
                item.unlink()
                LOGGER.info("deleted %s, a sorted column file left unfinished by a stopped process", item)
        except OSError:
            # Another process deleted it first, which is the outcome wanted.
            continue


def _write_atomically(path: Path, array: np.ndarray) -> None:
    """Save ``array`` as ``path`` (.npy) through a temporary file, so that readers see all of it or nothing."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(partial, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


#: The store shared by every engine of this process; the app sets its root.
STORE = SortedColumnStore()
