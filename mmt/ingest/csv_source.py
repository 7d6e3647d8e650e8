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

import codecs
import csv
import io
import queue
import re
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
#: Parsed blocks that wait for the converter. Two let the parser go on while
#: the first batch is planned. A block of the benchmark portfolio takes 1.4
#: times its size as Arrow text (16 columns, 150,000 rows).
PREFETCH_BLOCKS = 2


class EncodingRestart(Exception):
    """Request to read the file again with ``encoding``, because it is invalid in the encoding guessed from its sample."""

    def __init__(self, encoding: str) -> None:
        super().__init__(encoding)
        self.encoding = encoding


_FALLBACK = {"utf-8": "cp1252", "cp1252": "latin-1"}


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
        self.invalid_row_spans_lines = False
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
                    if any("\n" in name or "\r" in name for name in record):
                        # A name may span lines inside closed quotes. A quote that never closes
                        # makes the header swallow the lines below it.
                        line = self._sample_open_quote_line()
                        if line is not None and line <= reader.line_num:
                            raise _unclosed_quote(line, None)
                    names = list(record)
                    if names and names[0].startswith("\ufeff"):
                        names[0] = names[0][1:]
                    return names, reader.line_num
        except csv.Error as error:
            # csv rejects a field longer than csv.field_size_limit() (131,072 characters by default),
            # which is what an open quote in the header reads from a large sample.
            line = self._sample_open_quote_line()
            if line is not None:
                raise _unclosed_quote(line, None) from None
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
        # A quote that never closes can swallow the lines below it into one row with too few fields.
        self.invalid_row_spans_lines = self.invalid_row_spans_lines or "\n" in row.text or "\r" in row.text
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
            # Blocks are parsed one at a time, and _prefetched keeps at most PREFETCH_BLOCKS
            # parsed blocks ready ahead of the consumer, so memory stays bounded.
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
            # A header without a final line break and no row below it: the file has no data rows.
            if "Empty CSV file" in message or "Could not skip initial" in message:
                return
            if "straddling" in message:
                # A quoted value longer than a block: most often a quote that is never closed.
                line = self._open_quote_line()
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
        """Reject a file with a double quote that opens a value and never closes it.

        Arrow then reads everything up to the end of the file as that one
        value, silently merging the rows below it. Such a value spans lines
        and ends either the last row or a row skipped for its field count
        (the merged row then has too few fields). The file is scanned only
        in those two cases.

        NOTE: a quote that a later literal quote closes (``"open`` on one
        line, ``12" pipe`` further down) merges the lines between them into
        one value in the middle of the file, which this check does not see;
        the upload then carries a ``values_span_lines`` warning naming the rows.

        Raises
        ------
        ValidationError
            ``unclosed_quote`` with the line of the opening quote, and the
            column when the merged row was kept.
        """
        column = next((index for index, values in enumerate(last_row)
                       if len(values) and values[len(values) - 1].is_valid
                       and any(mark in values[len(values) - 1].as_py() for mark in "\r\n")), None)
        if column is None and not self.invalid_row_spans_lines:
            return
        line = self._open_quote_line()
        if line is None:
            return
        if column is None:
            raise _unclosed_quote(line, None)
        raise _unclosed_quote(line, names[column] if column < len(names) else f"column {column + 1}")

    def _sample_open_quote_line(self) -> int | None:
        """Line of the double quote whose value is still open at the end of the decoded sample, else None."""
        scanner = _QuoteScanner(self.delimiter)
        scanner.feed(self.sample.text)
        return scanner.open_line()

    def _open_quote_line(self) -> int | None:
        """Line of the double quote whose value is still open at the end of the file, else None.

        The file is decoded in its own encoding (UTF-16 included) and scanned
        with the quoting rules of the Arrow reader above. A quote opens a value
        only at the start of a field, and ``""`` inside a quoted value is one
        quote. A quote inside an unquoted value (``12" pipe``) is therefore a
        literal character, which a count of quote bytes would take for an
        opening one. Memory stays bounded by one block, also when the open
        value runs over the rest of the file.
        """
        scanner = _QuoteScanner(self.delimiter)
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        with open(self.path, "rb") as raw:
            for block in iter(lambda: raw.read(BLOCK_SIZE), b""):
                scanner.feed(decoder.decode(block))
        scanner.feed(decoder.decode(b"", final=True))
        return scanner.open_line()

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

    At most :data:`PREFETCH_BLOCKS` parsed blocks wait in the queue, which bounds the memory held.
    Errors of the reader are raised in the consuming thread.
    """
    ready: queue.Queue = queue.Queue(maxsize=PREFETCH_BLOCKS)
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


class _QuoteScanner:
    """Follow Arrow's quoting state over decoded text fed block by block.

    Regular expressions with possessive quantifiers consume whole fields in
    C, so a file is scanned without one Python step per field or quote.
    """

    def __init__(self, delimiter: str) -> None:
        separators = re.escape(delimiter) + r"\r\n"
        # Complete fields with their separator, from the start of a field: a quoted value (with
        # whatever follows its closing quote) or an unquoted one, which may contain quotes.
        self._fields = re.compile(
            rf'(?:(?:"(?:[^"]|"")*+"[^{separators}]*+|[^{separators}"][^{separators}]*+|)[{separators}])*+'
        )
        self._unquoted = re.compile(rf"[^{separators}]*+")
        self._quoted = re.compile(r'(?:[^"]|"")*+')
        self._state = "field_start"
        self._pending = ""
        self._line = 1
        self._quote_line = 0
        self._after_carriage_return = False

    def feed(self, text: str) -> None:
        """Advance over ``text``, the next part of the file."""
        text = self._pending + text
        self._pending = ""
        position = 0
        while position < len(text):
            if self._state == "field_start":
                position = self._consume(text, position, self._fields.match(text, position).end())
                if position < len(text):
                    if text[position] == '"':
                        self._state, self._quote_line = "quoted", self._line
                        position = self._consume(text, position, position + 1)
                    else:
                        self._state = "unquoted"
            elif self._state == "unquoted":
                position = self._consume(text, position, self._unquoted.match(text, position).end())
                if position < len(text):
                    # The separator that ends the field.
                    self._state = "field_start"
                    position = self._consume(text, position, position + 1)
            else:
                position = self._consume(text, position, self._quoted.match(text, position).end())
                if position == len(text) - 1:
                    # A quote at the end of the text may be the first of a doubled quote.
                    self._pending = '"'
                    return
                if position < len(text):
                    self._state = "unquoted"
                    position = self._consume(text, position, position + 1)

    def _consume(self, text: str, start: int, end: int) -> int:
        """Add the line ends of ``text[start:end]`` to the line count and return ``end``.

        A line ends at LF, CR LF or a lone CR, as :mod:`csv` counts them.
        """
        if start < end:
            self._line += (
                text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)
            )
            if self._after_carriage_return and text[start] == "\n":
                # The \r before this \n, at the end of the previous part, already counted the line.
                self._line -= 1
            self._after_carriage_return = text[end - 1] == "\r"
        return end

    def open_line(self) -> int | None:
        """Line of the quote still open after the last :meth:`feed`, or None."""
        if self._state == "quoted" and not self._pending:
            return self._quote_line
        return None


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
