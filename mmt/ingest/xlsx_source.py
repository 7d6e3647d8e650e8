"""Reader of XLSX workbooks laid out for people rather than programs.

Values come from python-calamine (cached values of formulas included), which
is much faster than openpyxl. openpyxl is opened only when the sheet contains
formulas, to find formula cells that have no cached value (a workbook
written by a program and never opened in Excel): those are reported, never
read as missing.

Layout rules:

* Sheet: the ``sheet`` option (name or 1-based number). Otherwise hidden
  sheets and chart sheets are skipped, and the active sheet is read when it
  has data, else the first visible sheet with data. A sheet whose header
  fits more required roles wins over both, and a warning names the other
  sheets with data.
* Stray cells: cells after a gap of more than 26 empty columns right of the
  data are dropped with a warning naming them, before calamine loads the
  sheet (see :mod:`mmt.ingest.xlsx_scan`).
* Header row: the ``header_row`` option (1-based sheet row), else the first
  row among the first :data:`HEADER_SEARCH_ROWS` non-empty rows whose names
  fit the most roles (the required ones first), so report titles and merged
  group headers above the real header are skipped.
* Merged cells in the data: the value of the range's top-left cell is copied
  into every cell of the range, and a warning names the range. A merged
  category label (say ``Retail`` over two rows) means the label applies to
  each row, so filling is the reading a person makes. Rejecting would force
  users to unmerge by hand, and leaving the other cells empty would silently
  lose the value.
* Blank rows are dropped. Footer rows are excluded with a warning: a row
  whose first cell reads like ``Total``, ``Sum`` or ``Average``, or a row that
  has text or a formula while its identifier and required fields are empty.
* The whole sheet is loaded into memory, which is fine for the at most
  1,048,576 rows of a worksheet but makes XLSX the slow path for large data.
  NOTE: a full worksheet of many columns can take a few GiB of Python objects;
  large extracts should be uploaded as CSV or Parquet.
* A column whose non-empty cells are all numbers becomes int64 when every
  number is whole and float64 otherwise, so 0/1 flags stay integers. A column
  mixing numbers and text becomes text (numbers written without a trailing
  ``.0``), so the validation can name the text cells.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import python_calamine

from mmt.errors import MMTError, PayloadTooLargeError, ValidationError
from mmt.ingest.sniff import empty_file, unreadable
from mmt.ingest.xlsx_scan import SheetScan, WorkbookScan, copy_without_columns, scan_workbook, stray_cells

HEADER_SEARCH_ROWS = 20
# Decompression-bomb limits, read from the ZIP directory before opening (see check_archive).
# A sheet of a million rows and 50 columns is about 2 GB of XML.
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
MAX_ARCHIVE_MEMBERS = 10_000
# Sheet XML compresses 5-20 times (even a sheet of zeros, because cell references differ);
# deflate bombs reach about 1000.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_BYTES = 1024 * 1024
BATCH_ROWS = 200_000

_FOOTER = re.compile(
    r"^(grand\s+)?(sub[\s-]?)?(total|totals|sum|summe|average|mean|count|gesamt)\b\s*:?", re.IGNORECASE
)

#: Called with the cleaned names of a candidate header row. Returns a score
#: (higher fits better, 0 fits no role) and the indices of the identifier and
#: required-role columns used to recognise footer rows.
HeaderJudge = Callable[[list[str]], tuple[tuple[int, int], list[int]]]


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """Return the A1 name of 0-based ``row`` and ``column``."""
    return f"{column_letter(column)}{row + 1}"


class XlsxSource:
    """A worksheet read into memory and served as Arrow batches."""

    format = "xlsx"
    detect_number_format = False

    def __init__(
        self,
        path: Path,
        options: dict,
        judge: HeaderJudge,
        clean: Callable[[object], str],
        max_columns: int = 2000,
    ) -> None:
        self.path = path
        self.max_columns = max_columns
        self.judge = judge
        self.clean = clean
        self.warnings: list[dict] = []
        self.dropped: list[dict] = []
        self.filled: list[dict] = []
        self.missing_formulas: list[dict] = []
        grid, merged, formulas = self._read_sheet(path, options.get("sheet"))
        for (row, column), _formula in formulas.items():
            _ensure_cell(grid, row, column)
        if not any(_filled(value) for line in grid for value in line) and not formulas:
            raise empty_file()
        header_index = self._find_header(grid, options.get("header_row"), judge, clean)
        self.header_row = header_index + 1
        self._fill_merged(grid, merged, header_index)
        width = _used_width(grid, header_index, formulas)
        header = [grid[header_index][column] if column < len(grid[header_index]) else None for column in range(width)]
        self.names = [
            "" if value is None else str(value) if not isinstance(value, float) else _number_text(value)
            for value in header
        ]
        self.names = [name if _filled(name) else "" for name in self.names]
        _score, key_columns = judge([clean(name) for name in self.names])
        self.rows, self.line_numbers_list = self._data_rows(grid, header_index, width, key_columns, formulas)
        self.columns = [_to_arrow([row[column] for row in self.rows]) for column in range(width)]

    # -- reading -----------------------------------------------------------------

    def _read_sheet(self, path: Path, requested) -> tuple[list[list], list, dict[tuple[int, int], str]]:
        """Return the chosen sheet's cells, merged ranges and formulas without a stored value."""
        check_archive(path)
        trimmed_copy = path.with_name(f".{path.name}.trimmed.xlsx")
        try:
            scan = scan_workbook(path)
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
            self.sheet_name = self._choose_sheet(workbook, requested, scan)
            sheet_scan = scan.sheet(self.sheet_name) if scan else None
            width = self._checked_width(sheet_scan)
            if sheet_scan is not None and width < sheet_scan.width:
                self._note_stray_cells(path, sheet_scan, width)
                copy_without_columns(path, sheet_scan.part, width, trimmed_copy)
                workbook.close()
                workbook = python_calamine.CalamineWorkbook.from_path(str(trimmed_copy))
            sheet = workbook.get_sheet_by_name(self.sheet_name)
            grid = [list(row) for row in sheet.to_python(skip_empty_area=False)]
            merged = list(sheet.merged_cell_ranges or [])
            workbook.close()
            has_formulas = sheet_scan.has_formulas if sheet_scan is not None else _has_formulas(path)
            formulas = self._formulas_without_value(grid) if has_formulas else {}
            if sheet_scan is not None:
                formulas = {cell: formula for cell, formula in formulas.items() if cell[1] < width}
        except MMTError:
            raise
        except Exception as error:  # calamine, zipfile and openpyxl raise many unrelated types for damaged files
            raise _damaged(error) from None
        except BaseException as error:
            # A Rust panic inside calamine arrives as pyo3's PanicException, a BaseException.
            if type(error).__name__ != "PanicException":
                raise
            raise _damaged(error) from None
        finally:
            trimmed_copy.unlink(missing_ok=True)
        return grid, merged, formulas

    def _checked_width(self, sheet_scan: SheetScan | None) -> int:
        """Return the number of columns to read, rejecting a sheet wider than the column limit before loading it."""
        if sheet_scan is None:
            return 0
        width = sheet_scan.data_width(self.max_columns)
        if width > self.max_columns:
            raise PayloadTooLargeError(
                f"Sheet {self.sheet_name} has data in {width} columns (up to column {column_letter(width - 1)}); "
                f"at most {self.max_columns} are accepted.",
                code="too_many_columns",
                details={"sheet": self.sheet_name, "columns": width, "max_columns": self.max_columns},
            )
        return width

    def _note_stray_cells(self, path: Path, sheet_scan: SheetScan, width: int) -> None:
        cells, count = stray_cells(path, sheet_scan.part, width)
        last = column_letter(width - 1)
        listed = ", ".join(cells) + (f" and {count - len(cells)} more" if count > len(cells) else "")
        noun = "Cell" if count == 1 else f"{count} cells"
        verb = "is" if count == 1 else "are"
        self.warnings.append(
            {
                "code": "stray_cells_ignored",
                "message": (
                    f"{noun} {listed} of sheet {self.sheet_name} {verb} far to the right of the data, which ends at "
                    f"column {last}, and {'was' if count == 1 else 'were'} ignored. Delete {'it' if count == 1 else 'them'} "
                    "if the workbook is uploaded again."
                ),
                "details": {"sheet": self.sheet_name, "cells": cells, "count": count, "last_column": last},
            }
        )

    def _choose_sheet(self, workbook, requested, scan: WorkbookScan | None) -> str:
        names = list(workbook.sheet_names)
        if requested not in (None, ""):
            if isinstance(requested, int) or (
                isinstance(requested, str) and requested.isdigit() and requested not in names
            ):
                number = int(requested)
                if 1 <= number <= len(names):
                    return names[number - 1]
            elif str(requested) in names:
                return str(requested)
            raise ValidationError(
                f'The workbook has no sheet "{requested}". Sheets: {", ".join(names)}.',
                code="invalid_option",
                details={"option": "sheet", "value": requested, "sheets": names},
            )
        candidates = self._sheets_with_data(workbook, scan)
        if not candidates:
            raise empty_file()
        active = scan.sheets[scan.active].name if scan is not None and scan.sheets else None
        preferred = active if active in candidates else candidates[0]
        chosen = preferred
        if len(candidates) > 1:
            scores = {name: self._header_score(workbook, name, scan) for name in candidates}
            best = max(score[0] for score in scores.values())
            if scores[preferred][0] < best:
                chosen = next(name for name in candidates if scores[name][0] == best)
            others = [name for name in candidates if name != chosen]
            if chosen != preferred:
                reason = f"it has the required columns and sheet {preferred} does not"
            elif chosen == active:
                reason = "it is the active sheet"
            else:
                reason = "it is the first visible sheet with data"
            self.warnings.append(
                {
                    "code": "sheet_chosen",
                    "message": (
                        f"Sheet {chosen} was read because {reason}. The workbook has other sheets with data "
                        f"({', '.join(others)}); set the sheet option to read one of them."
                    ),
                    "details": {"sheet": chosen, "other_sheets": others, "option": "sheet"},
                }
            )
        return chosen

    def _sheets_with_data(self, workbook, scan: WorkbookScan | None) -> list[str]:
        """Return the visible worksheets with at least one filled cell, in workbook order."""
        skipped = set()
        for metadata in workbook.sheets_metadata or []:
            if metadata.visible != python_calamine.SheetVisibleEnum.Visible:
                skipped.add(metadata.name)
            elif metadata.typ != python_calamine.SheetTypeEnum.WorkSheet:
                skipped.add(metadata.name)
        found = []
        for name in workbook.sheet_names:
            if name in skipped:
                continue
            sheet_scan = scan.sheet(name) if scan is not None else None
            if sheet_scan is not None and not sheet_scan.cells:
                continue
            if sheet_scan is not None and sheet_scan.data_width(self.max_columns) < sheet_scan.width:
                # Loading this sheet would allocate its whole sparse grid, and the scan already found cells.
                found.append(name)
                continue
            try:
                sheet = workbook.get_sheet_by_name(name)
            except Exception:  # chart sheets and damaged sheets are skipped
                continue
            # iter_rows stops at the first filled cell instead of converting the whole sheet.
            if sheet.height and any(_filled(value) for row in sheet.iter_rows() for value in row):
                found.append(name)
        return found

    def _header_score(self, workbook, name: str, scan: WorkbookScan | None) -> tuple[int, int]:
        """Return the best header score among the first non-empty rows of sheet ``name``."""
        sheet_scan = scan.sheet(name) if scan is not None else None
        if sheet_scan is not None and sheet_scan.data_width(self.max_columns) < sheet_scan.width:
            return (0, 0)
        best = (0, 0)
        seen = 0
        for row in workbook.get_sheet_by_name(name).iter_rows():
            if not any(_filled(value) for value in row):
                continue
            score, _ = self.judge([self.clean(value) if _filled(value) else "" for value in row])
            best = max(best, score)
            seen += 1
            if seen >= HEADER_SEARCH_ROWS:
                break
        return best

    def _formulas_without_value(self, grid: list[list]) -> dict[tuple[int, int], str]:
        import openpyxl

        found: dict[tuple[int, int], str] = {}
        # openpyxl rejects a file name without an Excel extension, and uploads are stored
        # under a temporary name ending in .upload, so it gets the open file instead.
        with open(self.path, "rb") as handle:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=False)
            try:
                worksheet = workbook[self.sheet_name]
                for row in worksheet.iter_rows():
                    for cell in row:
                        value = getattr(cell, "value", None)
                        if isinstance(value, str) and value.startswith("=") and getattr(cell, "data_type", "f") == "f":
                            row_index, column_index = cell.row - 1, cell.column - 1
                            cached = (
                                grid[row_index][column_index]
                                if row_index < len(grid) and column_index < len(grid[row_index])
                                else ""
                            )
                            if not _filled(cached):
                                found[(row_index, column_index)] = value
            finally:
                workbook.close()
        return found

    # -- layout ------------------------------------------------------------------

    def _find_header(self, grid: list[list], requested, judge: HeaderJudge, clean) -> int:
        if requested not in (None, ""):
            number = int(requested)
            if not 1 <= number <= len(grid):
                raise ValidationError(
                    f"Header row {number} is outside the sheet, which has {len(grid)} rows.",
                    code="invalid_option",
                    details={"option": "header_row", "value": number, "rows": len(grid)},
                )
            return number - 1
        candidates = [index for index, row in enumerate(grid) if any(_filled(value) for value in row)][
            :HEADER_SEARCH_ROWS
        ]
        best_index = candidates[0]
        best_score = None
        for index in candidates:
            names = [clean(value) if _filled(value) else "" for value in grid[index]]
            score, _ = judge(names)
            if score > (0, 0) and (best_score is None or score > best_score):
                best_index, best_score = index, score
        if best_index != candidates[0]:
            self.warnings.append(
                {
                    "code": "header_row_detected",
                    "message": f"Row {best_index + 1} of sheet {self.sheet_name} was taken as the header row; rows above it were skipped.",
                    "details": {"sheet": self.sheet_name, "header_row": best_index + 1},
                }
            )
        return best_index

    def _fill_merged(self, grid: list[list], merged, header_index: int) -> None:
        for (top, left), (bottom, right) in merged:
            if bottom <= header_index:
                continue
            top_value = grid[top][left] if top < len(grid) and left < len(grid[top]) else None
            first = max(top, header_index + 1)
            for row in range(first, bottom + 1):
                for column in range(left, right + 1):
                    _ensure_cell(grid, row, column)
                    grid[row][column] = top_value
            name = f"{cell_name(top, left)}:{cell_name(bottom, right)}"
            self.filled.append({"range": name, "value": _plain(top_value)})
            self.warnings.append(
                {
                    "code": "merged_cells_filled",
                    "message": f'Merged cells {name} were expanded: every cell of the range got the value "{_plain(top_value)}".',
                    "details": {"range": name, "value": _plain(top_value)},
                }
            )

    def _data_rows(self, grid, header_index, width, key_columns, formulas) -> tuple[list[list], list[int]]:
        rows: list[list] = []
        lines: list[int] = []
        blank = 0
        footers: list[int] = []
        for index in range(header_index + 1, len(grid)):
            raw = grid[index]
            row = [raw[column] if column < len(raw) else None for column in range(width)]
            row = [value if _filled(value) else None for value in row]
            has_formula = any((index, column) in formulas for column in range(width))
            if all(value is None for value in row) and not has_formula:
                blank += 1
                continue
            first = next((value for value in row if value is not None), None)
            keys_empty = bool(key_columns) and all(row[column] is None for column in key_columns if column < width)
            is_total = isinstance(row[0], str) and _FOOTER.match(row[0].strip() or "") is not None
            has_text = any(isinstance(value, str) for value in row)
            if is_total or (keys_empty and (has_formula or has_text)):
                footers.append(index + 1)
                self._note_footer(index, row, first)
                continue
            for column in range(width):
                formula = formulas.get((index, column))
                if formula is not None:
                    self.missing_formulas.append(
                        {"row": len(rows), "column": column, "cell": cell_name(index, column), "formula": formula}
                    )
            rows.append(row)
            lines.append(index + 1)
        if blank:
            self.dropped.append({"reason": "blank row", "count": blank})
        if footers:
            self.dropped.append({"reason": "footer or total row", "count": len(footers), "sheet_rows": footers[:10]})
        return rows, lines

    def _note_footer(self, index: int, row: list, first) -> None:
        self.warnings.append(
            {
                "code": "footer_row_excluded",
                "message": (
                    f'Row {index + 1} of sheet {self.sheet_name} ("{_plain(first)}") looks like a total or note row '
                    "and was excluded from the data."
                ),
                "details": {"sheet": self.sheet_name, "sheet_row": index + 1, "first_value": _plain(first)},
            }
        )

    # -- source interface --------------------------------------------------------

    def describe(self) -> dict:
        """Return what was detected, for ``IngestResult.source_format``."""
        return {"format": "xlsx", "sheet": self.sheet_name, "header_row": self.header_row}

    def batches(self) -> Iterator[tuple[list[pa.Array], int]]:
        """Yield ``(columns, first_row_index)`` slices of the sheet's data rows."""
        total = len(self.rows)
        for start in range(0, total, BATCH_ROWS):
            yield [column.slice(start, BATCH_ROWS) for column in self.columns], start

    def line_numbers(self, rows: list[int]) -> dict[int, int]:
        """Map 0-based data-row indices to 1-based sheet row numbers."""
        return {row: self.line_numbers_list[row] for row in rows if 0 <= row < len(self.line_numbers_list)}


def check_archive(path: Path) -> None:
    """Refuse a workbook whose ZIP directory promises a decompression bomb.

    The sizes come from the central directory, before anything is
    decompressed. The readers stop at the declared size of a member (a member
    that inflates past it is reported as damaged), so the declared sizes bound
    the work.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return  # calamine reports a damaged workbook with its own message
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise unreadable(
            f"The workbook holds {len(members)} parts; a spreadsheet has far fewer than {MAX_ARCHIVE_MEMBERS}. "
            "Save it again in Excel or export the data as CSV.",
            detected="xlsx",
            parts=len(members),
            max_parts=MAX_ARCHIVE_MEMBERS,
        )
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise PayloadTooLargeError(
            f"The workbook expands to {total // (1024 * 1024)} MB, above the limit of "
            f"{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB for one workbook. Export the data as CSV or Parquet.",
            code="workbook_too_large",
            details={"uncompressed_mb": total // (1024 * 1024), "limit_mb": MAX_UNCOMPRESSED_BYTES // (1024 * 1024)},
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECK_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise unreadable(
                f"The workbook part {member.filename} expands {ratio:.0f} times; spreadsheets compress about "
                f"5 to 20 times, so this looks like a decompression bomb and was not opened.",
                detected="xlsx",
                part=member.filename,
                ratio=round(ratio),
                max_ratio=MAX_COMPRESSION_RATIO,
            )


def _damaged(error: BaseException) -> MMTError:
    return unreadable(
        f"The Excel workbook cannot be read ({type(error).__name__}: {error}). "
        "Open and save it again in Excel, or export the data as CSV.",
        detected="xlsx",
    )


def _has_formulas(path: Path) -> bool:
    name = ""
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not name.startswith("xl/worksheets/") or not name.endswith(".xml"):
                    continue
                tail = b""
                with archive.open(name) as handle:
                    while True:
                        chunk = handle.read(1 << 20)
                        if not chunk:
                            break
                        if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                            return True
                        tail = chunk[-3:]
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        # A part that inflates past its declared size, fails its checksum or uses an unsupported ZIP feature.
        raise unreadable(
            f"The workbook part {name or '(directory)'} is damaged ({error.__class__.__name__}). "
            "Open and save it again in Excel, or export the data as CSV.",
            detected="xlsx",
            part=name,
        ) from None
    return False


def _ensure_cell(grid: list[list], row: int, column: int) -> None:
    while len(grid) <= row:
        grid.append([])
    line = grid[row]
    while len(line) <= column:
        line.append("")


def _filled(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    return True


def _used_width(grid: list[list], header_index: int, formulas) -> int:
    width = 0
    for row in grid[header_index:]:
        for column in range(len(row) - 1, -1, -1):
            if _filled(row[column]):
                width = max(width, column + 1)
                break
    for _row, column in formulas:
        width = max(width, column + 1)
    return width


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _plain(value) -> object:
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        return str(value)
    return value


def _cell_text(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _to_arrow(values: list) -> pa.Array:
    present = [value for value in values if value is not None]
    if not present:
        return pa.nulls(len(values), pa.string())
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
        if all(float(value).is_integer() and abs(value) < 2**53 for value in present):
            return pa.array([None if value is None else int(value) for value in values], pa.int64())
        return pa.array([None if value is None else float(value) for value in values], pa.float64())
    if all(isinstance(value, bool) for value in present):
        return pa.array(values, pa.bool_())
    if all(isinstance(value, (dt.date, dt.datetime)) for value in present):
        if all(not isinstance(value, dt.datetime) or value.time() == dt.time() for value in present):
            return pa.array(
                [value.date() if isinstance(value, dt.datetime) else value for value in values], pa.date32()
            )
        return pa.array(
            [dt.datetime.combine(value, dt.time()) if type(value) is dt.date else value for value in values],
            pa.timestamp("us"),
        )
    return pa.array([None if value is None else _cell_text(value) for value in values], pa.string())
