"""Streaming reader of delimited text files (CSV, ``;``, tab, ``|``).

The file is read with :func:`pyarrow.csv.open_csv` in blocks of
:data:`BLOCK_SIZE` bytes, every column as text, so that a value that is not a
number never makes the reader fail and the validation can name it. The header
is parsed by Python's :mod:`csv` from the decoded sample, because its names
must be cleaned (byte-order mark, spaces, quotes) and checked for duplicates
before any data is read.

Rows with too many or too few fields are skipped by the reader, counted, and
reported as ``malformed_csv``. File line numbers are not known to the Arrow
reader (quoted values may span lines and blank lines are skipped), so they
are computed only when an error needs them, by reading the start of the file
again with :mod:`csv` (:meth:`CsvSource.line_numbers`).
"""

from __future__ import annotations

import csv
import io
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from mmt.errors import ValidationError
from mmt.ingest.sniff import TextSample, detect_delimiter, read_text_sample, unreadable

# Arrow's streaming CSV reader reads raw blocks ahead in a background thread,
# up to 32 of them (kDefaultBackgroundMaxQ in arrow/util/async_generator.h).
# With 64 MiB blocks a 2 GB upload held 1.7 GB of Arrow memory (pyarrow 26), so
# 16 MiB blocks bound that buffer to 512 MiB.
BLOCK_SIZE = 16 << 20


class EncodingRestart(Exception):
    """Request to read the file again with ``encoding``, because it is invalid in the encoding guessed from its sample."""

    def __init__(self, encoding: str) -> None:
        super().__init__(encoding)
        self.encoding = encoding


_FALLBACK = {"utf-8": "cp1252", "cp1252": "latin-1"}
# Encodings in which the byte 0x22 is always the double quote and never part of another character.
_ASCII_BASED = {"utf-8", "utf-8-sig", "utf8", "cp1252", "latin-1", "iso-8859-1", "ascii", "windows-1252"}


class CsvSource:
    """A delimited text file, read batch by batch as text columns."""

    format = "csv"

    def __init__(self, path: Path, options: dict) -> None:
        self.path = path
        self.explicit_encoding = options.get("encoding")
        self.sample: TextSample = read_text_sample(path, options.get("encoding_override") or self.explicit_encoding)
        self.encoding = self.sample.encoding
        self.delimiter = options.get("delimiter") or detect_delimiter(self.sample.text)
        self.header_row = int(options.get("header_row") or 1)
        self.names, self.header_lines = self._read_header()
        self.invalid_rows = 0
        self.invalid_examples: list[str] = []
        self.warnings: list[dict] = []
        self.dropped: list[dict] = []

    @property
    def detect_number_format(self) -> bool:
        """True when the values may use decimal commas (any delimiter other than ``,``)."""
        return self.delimiter != ","

    def describe(self) -> dict:
        """Return what was detected, for ``IngestResult.source_format``."""
        return {
            "format": "csv",
            "encoding": self.encoding,
            "bom": self.sample.bom,
            "delimiter": self.delimiter,
            "header_row": self.header_row,
        }

    def _read_header(self) -> tuple[list[str], int]:
        reader = csv.reader(
            io.StringIO(self.sample.text, newline=""), delimiter=self.delimiter, quotechar='"', strict=False
        )
        record_number = 0
        try:
            for record in reader:
                if not record:
                    continue
                record_number += 1
                if record_number == self.header_row:
                    names = list(record)
                    if names and names[0].startswith("\ufeff"):
                        names[0] = names[0][1:]
                    return names, reader.line_num
        except csv.Error as error:
            raise ValidationError(
                f"The header row of the CSV file cannot be parsed: {error}. Check the quotes in the first line.",
                code="malformed_csv",
                details={"reason": str(error)},
            ) from None
        if record_number == 0:
            raise ValidationError(
                "The file is empty. Upload a CSV, XLSX or Parquet file with a header row and at least one data row.",
                code="empty_file",
            )
        raise ValidationError(
            f"The file has only {record_number} rows, so header row {self.header_row} does not exist.",
            code="invalid_option",
            details={"option": "header_row", "value": self.header_row, "rows": record_number},
        )

    def _on_invalid_row(self, row: pa_csv.InvalidRow) -> str:
        self.invalid_rows += 1
        if len(self.invalid_examples) < 10:
            self.invalid_examples.append(row.text[:200])
        return "skip"

    def batches(self) -> Iterator[tuple[list[pa.Array], int]]:
        """Yield ``(columns, first_row_index)`` with every column as Arrow text.

        Raises
        ------
        EncodingRestart
            When a later block is not valid in the sample's encoding.
        ValidationError
            ``malformed_csv`` for a file Arrow cannot split into rows.
        """
        count = len(self.names)
        column_names = [f"c{index}" for index in range(count)]
        read_options = pa_csv.ReadOptions(
            column_names=column_names,
            skip_rows=self.header_lines,
            block_size=BLOCK_SIZE,
            encoding=_arrow_encoding(self.encoding),
            # Blocks are parsed one at a time, and _prefetched keeps one parsed block
            # ready ahead of the consumer, so memory stays bounded.
            use_threads=False,
        )
        parse_options = pa_csv.ParseOptions(
            delimiter=self.delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=True,
            ignore_empty_lines=True,
            invalid_row_handler=self._on_invalid_row,
        )
        # Only empty fields are nulls here, so texts such as "NA" reach the checks unchanged.
        convert_options = pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in column_names},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        )
        offset = 0
        try:
            reader = pa_csv.open_csv(
                self.path, read_options=read_options, parse_options=parse_options, convert_options=convert_options
            )
            for batch in _prefetched(reader):
                yield list(batch.columns), offset
                offset += batch.num_rows
        except pa.ArrowInvalid as error:
            message = str(error)
            if "UTF8" in message or "utf8" in message.lower():
                self._restart_encoding()
            if "Empty CSV file" in message:
                return
            if "straddling" in message:
                # A quoted value longer than a block: most often a quote that is never closed.
                line = self._unpaired_quote_line() if self.encoding.replace("_", "-").lower() in _ASCII_BASED else None
                if line is not None:
                    raise _unclosed_quote(line, None) from None
                raise ValidationError(
                    f"A quoted value of the file is longer than {BLOCK_SIZE >> 20} MB, more than MMT reads as one "
                    "value. Check the quotes of the file; a text value of that size is not monitoring data.",
                    code="malformed_csv",
                    details={"reason": message, "max_value_bytes": BLOCK_SIZE},
                ) from None
            raise ValidationError(
                f"The CSV file cannot be split into rows and columns: {message}. "
                "Check the delimiter and the quotes.",
                code="malformed_csv",
                details={"reason": message, "delimiter": self.delimiter},
            ) from None
        except UnicodeDecodeError:
            self._restart_encoding()

    def _restart_encoding(self) -> None:
        fallback = _FALLBACK.get(self.encoding)
        if self.explicit_encoding or fallback is None:
            raise unreadable(
                f"Part of the file is not valid {self.encoding} text. Save it as UTF-8 or give its encoding.",
                encoding=self.encoding,
            )
        raise EncodingRestart(fallback)

    def _records(self) -> Iterator[tuple[int, int, list[str]]]:
        """Yield ``(data record number, first line, fields)`` for the records after the header.

        Blank lines are skipped as the Arrow reader skips them. Reading stops
        quietly at text the :mod:`csv` module cannot parse or decode.
        """
        with open(self.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, errors="strict", newline="")
            reader = csv.reader(text, delimiter=self.delimiter, quotechar='"', strict=False)
            previous_line = 0
            record_number = 0
            try:
                for record in reader:
                    start_line = previous_line + 1
                    previous_line = reader.line_num
                    if not record:
                        continue
                    record_number += 1
                    if record_number > self.header_row:
                        yield record_number - self.header_row, start_line, record
            except (csv.Error, UnicodeDecodeError):
                return

    def check_closed_quotes(self, last_row: list[pa.Array], names: list[str]) -> None:
        """Reject a file whose last double quote opens a value that never closes.

        Arrow then reads everything up to the end of the file as that one
        value, silently merging the rows below it. Such a value is always in
        the last row and spans lines, so the file is scanned only when a
        value of the last row has a line break. The quotes of a well-formed
        file pair up (an escaped quote is written twice), so an odd count
        proves the fault, and the unpaired quote is the last one.

        Raises
        ------
        ValidationError
            ``unclosed_quote`` with the line of the opening quote and the column.
        """
        if self.encoding.replace("_", "-").lower() not in _ASCII_BASED:
            return
        column = next((index for index, values in enumerate(last_row)
                       if len(values) and values[len(values) - 1].is_valid
                       and any(mark in values[len(values) - 1].as_py() for mark in "\r\n")), None)
        if column is None:
            return
        line = self._unpaired_quote_line()
        if line is not None:
            raise _unclosed_quote(line, names[column] if column < len(names) else f"column {column + 1}")

    def _unpaired_quote_line(self) -> int | None:
        """Line of the last double quote when the file has an odd number of them, else None."""
        quotes, last_quote = 0, -1
        with open(self.path, "rb") as raw:
            offset = 0
            for chunk in iter(lambda: raw.read(1 << 24), b""):
                found = chunk.count(b'"')
                if found:
                    quotes += found
                    last_quote = offset + chunk.rindex(b'"')
                offset += len(chunk)
        if quotes % 2 == 0:
            return None
        with open(self.path, "rb") as raw:
            return raw.read(last_quote).count(b"\n") + 1

    def line_numbers(self, rows: list[int]) -> dict[int, int]:
        """Map 0-based data-row indices to 1-based file line numbers by reading the file again."""
        wanted = set(rows)
        found: dict[int, int] = {}
        if not wanted:
            return found
        last = max(wanted)
        expected = len(self.names)
        data_index = -1
        for _number, line, record in self._records():
            # Rows with the wrong field count were skipped by the Arrow reader too.
            if len(record) != expected:
                continue
            data_index += 1
            if data_index in wanted:
                found[data_index] = line
            if data_index >= last:
                break
        return found

    def malformed_lines(self, limit: int = 10) -> list[dict]:
        """Return the first records whose field count differs from the header, with line numbers."""
        found: list[dict] = []
        expected = len(self.names)
        for number, line, record in self._records():
            if len(record) != expected:
                found.append({"line": line, "row": number, "fields": len(record), "expected": expected})
                if len(found) >= limit:
                    break
        return found


_DONE = object()


def _prefetched(reader: pa_csv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
    """Iterate ``reader`` while a background thread parses the next block.

    At most one parsed block waits in the queue, which bounds the memory held.
    Errors of the reader are raised in the consuming thread.
    """
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in reader:
                while not stop.is_set():
                    try:
                        ready.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(_DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            ready.put(error)

    worker = threading.Thread(target=produce, name="mmt-csv-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                ready.get(timeout=0.1)
            except queue.Empty:
                pass
        worker.join()


def _unclosed_quote(line: int, column: str | None) -> ValidationError:
    where = f'on line {line}, in column "{column}",' if column else f"on line {line}"
    return ValidationError(
        f'The double quote (") {where} is never closed, so every line after it would be read as part of '
        "one value. Close the quote or remove it, and upload the file again.",
        code="unclosed_quote",
        details={"line": line, "column": column},
    )


def _arrow_encoding(encoding: str) -> str:
    return "utf8" if encoding in ("utf-8", "utf_8") else encoding
