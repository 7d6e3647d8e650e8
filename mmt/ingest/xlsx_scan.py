"""Scan of an XLSX workbook's parts before calamine loads a sheet.

calamine stores a sheet as one dense grid spanning every used cell, at about
32 bytes a cell (python-calamine 0.9). A single stray cell in column XFD
below 5,000 rows of four columns therefore costs 82 million cells, several
GiB, before any limit could be checked. This module reads the sheet XML as a
byte stream instead and counts the cells of each column, which takes under a
second for four million cells, so the reader can choose the sheet, find
stray cells and copy the workbook without them before calamine sees it.

The cell positions come from the ``r="B7"`` attributes that Excel, openpyxl,
xlsxwriter and LibreOffice write on every cell. A cell written without that
attribute is placed after its neighbour, so it cannot stretch the grid past
the cells the file really contains.
"""

from __future__ import annotations

import re
import shutil
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

CHUNK_BYTES = 1 << 22
MAX_COLUMNS = 2000
# Columns more than this many empty columns to the right of the data block are stray.
STRAY_GAP_COLUMNS = 26
# A sheet whose grid has more cells than this many times its filled cells (plus a
# margin) is checked for stray columns, because calamine would allocate the grid.
SPARSE_FACTOR = 4
SPARSE_MARGIN_CELLS = 1_000_000

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATION = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELATION = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_CELL_COLUMN = re.compile(rb' r="([A-Z]{1,3})[1-9]')
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")


@dataclass(slots=True)
class SheetScan:
    """Cell counts of one worksheet part, keyed by 0-based column index."""

    name: str
    part: str | None
    state: str = "visible"
    columns: Counter = field(default_factory=Counter)
    has_formulas: bool = False

    @property
    def cells(self) -> int:
        """Number of cells written in the part (empty styled cells included)."""
        return sum(self.columns.values())

    @property
    def width(self) -> int:
        """Number of columns up to the rightmost cell."""
        return max(self.columns) + 1 if self.columns else 0

    def data_width(self, max_columns: int = MAX_COLUMNS) -> int:
        """Return the width of the left block of columns, ignoring columns after a wide empty gap.

        The gap is looked for only when the grid is much larger than the cells
        it contains or wider than ``max_columns``, so a dense sheet keeps every
        column even with gaps in it.
        """
        if not self.columns:
            return 0
        rows = max(self.columns.values())
        sparse = self.width * rows > SPARSE_FACTOR * self.cells + SPARSE_MARGIN_CELLS
        if not sparse and self.width <= max_columns:
            return self.width
        occupied = sorted(self.columns)
        end = occupied[0]
        for column in occupied[1:]:
            if column - end > STRAY_GAP_COLUMNS:
                break
            end = column
        return end + 1


@dataclass(slots=True)
class WorkbookScan:
    """Worksheets in workbook order, with the index of the sheet open when the workbook was saved."""

    sheets: list[SheetScan]
    active: int = 0

    def sheet(self, name: str) -> SheetScan | None:
        """Return the scan of the sheet called ``name``, or None."""
        return next((sheet for sheet in self.sheets if sheet.name == name), None)


def column_index(letters: bytes | str) -> int:
    """Return the 0-based index of spreadsheet column letters (A -> 0, AB -> 27)."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def scan_workbook(path: Path) -> WorkbookScan | None:
    """Read sheet names, visibility, the active sheet and the cell counts of every worksheet.

    Returns None when the package lacks ``xl/workbook.xml`` or it cannot be
    parsed, so calamine reports the damage with its own message.
    """
    # ElementTree parses only the small workbook and relationship parts. The
    # bundled expat (2.4 or later) limits entity expansion.
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                return None
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            targets = _relationship_targets(archive, names)
            sheets = []
            for element in workbook.iter(f"{_MAIN}sheet"):
                target = targets.get(element.get(_RELATION, ""))
                scan = SheetScan(
                    name=element.get("name", ""),
                    part=target if target in names else None,
                    state=element.get("state", "visible"),
                )
                if scan.part:
                    _count_cells(archive, scan)
                sheets.append(scan)
            view = workbook.find(f"{_MAIN}bookViews/{_MAIN}workbookView")
            active = int(view.get("activeTab", "0")) if view is not None else 0
    except (zipfile.BadZipFile, zlib.error, ElementTree.ParseError, OSError, ValueError, KeyError, EOFError, NotImplementedError):
        return None
    return WorkbookScan(sheets, active if 0 <= active < len(sheets) else 0)


def _relationship_targets(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    if "xl/_rels/workbook.xml.rels" not in names:
        return {}
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for relation in relations.iter(_PACKAGE_RELATION):
        target = relation.get("Target", "")
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = str(PurePosixPath("xl") / target)
        parts: list[str] = []
        for piece in resolved.split("/"):
            if piece == "..":
                if parts:
                    parts.pop()
            elif piece not in ("", "."):
                parts.append(piece)
        targets[relation.get("Id", "")] = "/".join(parts)
    return targets


def _count_cells(archive: zipfile.ZipFile, scan: SheetScan) -> None:
    letters: Counter = Counter()
    tail = b""
    with archive.open(scan.part) as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            buffer = tail + chunk
            # Cut before the last tag so that no attribute is split between chunks.
            cut = buffer.rfind(b"<")
            if cut <= 0:
                cut = len(buffer)
            letters.update(_CELL_COLUMN.findall(buffer, 0, cut))
            if not scan.has_formulas and _FORMULA.search(buffer, 0, cut):
                scan.has_formulas = True
            tail = buffer[cut:]
    if tail:
        letters.update(_CELL_COLUMN.findall(tail))
        scan.has_formulas = scan.has_formulas or _FORMULA.search(tail) is not None
    scan.columns = Counter({column_index(key): count for key, count in letters.items()})


def stray_cells(path: Path, part: str, width: int, limit: int = 10) -> tuple[list[str], int]:
    """Return the names of the first ``limit`` cells at or right of column ``width`` and their count."""
    pattern = re.compile(rb' r="([A-Z]{1,3})([1-9][0-9]*)"')
    found: list[str] = []
    count = 0
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open(part) as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            buffer = tail + chunk
            cut = buffer.rfind(b"<") if chunk else len(buffer)
            if cut <= 0:
                cut = len(buffer)
            for match in pattern.finditer(buffer, 0, cut):
                if column_index(match.group(1)) >= width:
                    count += 1
                    if len(found) < limit:
                        found.append((match.group(1) + match.group(2)).decode("ascii"))
            tail = buffer[cut:]
            if not chunk:
                break
    return found, count


def copy_without_columns(path: Path, part: str, width: int, target: Path) -> None:
    """Copy the workbook to ``target`` with every cell of ``part`` at or right of column ``width`` removed."""
    cell = re.compile(
        rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})[1-9][0-9]*"[^>]*?(?:/>|>.*?</(?:\w+:)?c>)',
        re.DOTALL,
    )

    def keep(match: re.Match) -> bytes:
        return b"" if column_index(match.group(1)) >= width else match.group(0)

    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in source.infolist():
            if member.filename != part:
                with source.open(member) as reader, copy.open(member.filename, "w", force_zip64=True) as writer:
                    shutil.copyfileobj(reader, writer, CHUNK_BYTES)
                continue
            with source.open(member) as reader, copy.open(member.filename, "w", force_zip64=True) as writer:
                tail = b""
                while True:
                    chunk = reader.read(CHUNK_BYTES)
                    buffer = tail + chunk
                    # Cut after a row tag so that no cell element is split between chunks.
                    cut = buffer.rfind(b"row>") + len(b"row>") if chunk else len(buffer)
                    if cut < len(b"row>"):
                        cut = 0
                    writer.write(cell.sub(keep, buffer[:cut]))
                    tail = buffer[cut:]
                    if not chunk:
                        break
