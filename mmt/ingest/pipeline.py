"""Reading, checking and storing one upload as Parquet: :func:`ingest_file`.

The source (CSV, XLSX or Parquet) is read batch by batch. The first batch
settles the number format and type of every column. Each batch is then
converted and checked (columns in parallel threads, since Arrow kernels
release the GIL) and appended to a Parquet file as one row group by a writer
thread, so a large CSV never sits in memory as Python objects. Repeated
identifiers are counted afterwards with DuckDB over the written file.

The Parquet file is written under a temporary name beside ``parquet_path``
and moved into place only when the whole file passed, so an error leaves
``parquet_path`` as it was and no temporary file behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mmt.errors import MMTError, PayloadTooLargeError, UnreadableFileError, ValidationError
from mmt.ingest.columns import (
    BinaryRole,
    Converter,
    DateRole,
    Feature,
    GradeRole,
    USUAL_YEARS,
    NumberRole,
    TextRole,
    WidenColumn,
    head,
    percents_as_exponents,
    trimmed,
    without_tokens,
)
from mmt.ingest.csv_source import CsvSource, EncodingRestart
from mmt.ingest.digesting_file import DigestingFile
from mmt.ingest.numbers import DOT_DECIMAL, NumberFormat, file_decimal_marks, gather_evidence, resolve_format
from mmt.ingest.parquet_source import ParquetSource
from mmt.ingest.problems import Problem, ProblemLog
from mmt.ingest.quality import ColumnQuality
from mmt.ingest.sniff import detect_format
from mmt.ingest.specs import RoleSpec, clean_header, match_roles, missing_required, role_specs
from mmt.ingest.xlsx_source import XlsxSource
from mmt.jsonsafe import to_jsonable

LOGGER = logging.getLogger(__name__)

MAX_COLUMNS = 2000
CONVERT_THREADS = max(1, min(4, os.cpu_count() or 1))
DUCKDB_MEMORY_LIMIT = "1GB"
#: Identifiers kept in memory for the quick check of repeats (8 bytes each).
MAX_KEPT_IDENTIFIERS = 5_000_000
OPTION_KEYS = ("date_format", "sheet", "header_row", "decimal", "delimiter", "encoding", "thousands")
_DELIMITER_NAMES = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}
_ID_ROLES = ("obligor_id", "facility_id")
_TIME_ROLES = ("snapshot_date", "period", "date")


@dataclass(frozen=True, slots=True)
class IngestResult:
    """Outcome of a successful upload.

    Attributes
    ----------
    n_rows : int
        Data rows stored.
    columns : list of str
        Column names of the Parquet copy (roles under their canonical names).
    roles : dict
        Role to the source column name as written in the file (untrimmed).
    source_format : dict
        What was detected: format, encoding, delimiter, decimal mark, sheet ...
    warnings : list of dict
        ``{"code", "message", "details"}`` notes that did not stop the upload.
    quality : dict
        Data-quality summary (see :mod:`mmt.ingest.quality`).
    parquet_sha256 : str
        SHA-256 of the Parquet file written at ``parquet_path``.
    """

    n_rows: int
    columns: list[str]
    roles: dict[str, str]
    source_format: dict
    warnings: list[dict]
    quality: dict
    parquet_sha256: str

    def to_dict(self) -> dict:
        """Return the result as strict-JSON-safe plain values."""
        return to_jsonable(
            {
                "n_rows": self.n_rows,
                "columns": list(self.columns),
                "roles": dict(self.roles),
                "source_format": self.source_format,
                "warnings": self.warnings,
                "quality": self.quality,
                "parquet_sha256": self.parquet_sha256,
            }
        )


def ingest_file(
    path: Path,
    filename: str,
    model_type: str,
    parquet_path: Path,
    *,
    column_mapping: dict[str, str] | None = None,
    options: dict | None = None,
    max_rows: int | None = None,
) -> IngestResult:
    """Read, check and store an uploaded file as Parquet.

    Parameters
    ----------
    path : Path
        The uploaded bytes. The format is detected from the content.
    filename : str
        Name the user gave the file, reported back only.
    model_type : str
        One of :data:`mmt.ingest.specs.MODEL_TYPES`.
    parquet_path : Path
        Where the normalised Parquet copy goes.
    column_mapping : dict, optional
        Role to source column name, taking precedence over the aliases.
    options : dict, optional
        ``date_format``, ``sheet``, ``header_row``, ``decimal``, ``thousands``,
        ``delimiter``, ``encoding``.
    max_rows : int, optional
        More data rows than this raise ``too_many_rows`` (413).

    Raises
    ------
    ValidationError, UnreadableFileError, PayloadTooLargeError
        With a stable ``code`` and ``details`` naming columns, rows and values.
    """
    specs = role_specs(model_type)
    checked = _checked_options(options)
    parquet_path = Path(parquet_path)
    parquet_path.parent.mkdir(parents=True, exist_ok=True)
    forced_types: dict[int, str] = {}
    encoding: str | None = None
    # Every retry widens one column or moves to the next encoding, so the loop ends.
    for _attempt in range(2 * MAX_COLUMNS + 4):
        run = _Run(
            Path(path),
            filename,
            model_type,
            specs,
            parquet_path,
            column_mapping,
            checked,
            max_rows,
            forced_types,
            encoding,
        )
        try:
            result = run.execute()
        except WidenColumn as widen:
            forced_types[widen.source_index] = widen.new_type
            continue
        except EncodingRestart as restart:
            encoding = restart.encoding
            continue
        used = result.source_format.get("encoding")
        if "encoding" not in checked and used in ("cp1252", "latin-1") and _contains_utf8_sequences(Path(path)):
            result.warnings.append(_encoding_fallback_warning(used))
        return result
    raise UnreadableFileError(
        "The file could not be read after several attempts.", code="unreadable_file"
    )  # pragma: no cover


def _checked_options(options: dict | None) -> dict:
    options = dict(options or {})
    unknown = sorted(set(options) - set(OPTION_KEYS))
    if unknown:
        raise ValidationError(
            f'Unknown upload option {", ".join(unknown)}. Accepted options: {", ".join(OPTION_KEYS)}.',
            code="invalid_option",
            details={"options": unknown, "accepted": list(OPTION_KEYS)},
        )
    options = {key: value for key, value in options.items() if value not in (None, "")}
    if "delimiter" in options:
        delimiter = _DELIMITER_NAMES.get(str(options["delimiter"]).lower() if options["delimiter"] != "\t" else "\t")
        if delimiter is None:
            raise ValidationError(
                'The delimiter option must be one of ",", ";", "|" or "tab".',
                code="invalid_option",
                details={"option": "delimiter", "value": options["delimiter"]},
            )
        options["delimiter"] = delimiter
    if "decimal" in options and options["decimal"] not in (".", ","):
        raise ValidationError(
            'The decimal option must be "." or ",".',
            code="invalid_option",
            details={"option": "decimal", "value": options["decimal"]},
        )
    if "thousands" in options:
        value = options["thousands"]
        if value in (" ", "space"):
            options["thousands"] = " "
        elif value not in (".", ",", "'"):
            raise ValidationError(
                'The thousands option must be ".", ",", "\'" or "space".',
                code="invalid_option",
                details={"option": "thousands", "value": value},
            )
        if options["thousands"] == options.get("decimal", "."):
            raise ValidationError(
                "The decimal mark and the thousands separator must differ.",
                code="invalid_option",
                details={"decimal": options.get("decimal", "."), "thousands": options["thousands"]},
            )
    if "header_row" in options:
        try:
            header_row = int(options["header_row"])
        except (TypeError, ValueError):
            header_row = 0
        if header_row < 1:
            raise ValidationError(
                "The header_row option must be a row number starting at 1.",
                code="invalid_option",
                details={"option": "header_row", "value": options["header_row"]},
            )
        options["header_row"] = header_row
    if "date_format" in options and "%" not in str(options["date_format"]):
        raise ValidationError(
            'The date_format option must be a strptime format such as "%d/%m/%Y".',
            code="invalid_option",
            details={"option": "date_format", "value": options["date_format"]},
        )
    if "date_format" in options:
        _check_date_format(options["date_format"])
    return options


def _check_date_format(date_format: object) -> None:
    """Raise ValidationError when :func:`datetime.strptime` cannot use ``date_format``.

    Values are parsed with it only after this check, and a format that strptime
    rejects would otherwise be skipped silently or fail on the first row.
    """
    problem = None
    if not isinstance(date_format, str):
        problem = f"it is a JSON {type(date_format).__name__}, not a string"
    else:
        try:
            dt.datetime.strptime("", date_format)
        except re.error as error:
            # A directive given twice, such as "%d%d", fails when strptime compiles the format.
            problem = str(error)
        except ValueError as error:
            # CPython 3.11's _strptime raises "time data ... does not match format" for a usable
            # format, and names the bad directive or the stray % otherwise.
            if not str(error).startswith("time data"):
                problem = str(error)
    if problem is not None:
        raise ValidationError(
            f"The date_format option {date_format!r} is not a strptime format ({problem}). "
            'Give each directive once, such as "%d/%m/%Y" or "%m/%d/%Y".',
            code="invalid_option",
            details={"option": "date_format", "value": date_format, "reason": problem},
        )


@dataclass(slots=True)
class _Plan:
    converters: list[Converter]
    schema: pa.Schema
    roles: dict[str, int]
    unnamed: list[int]
    number_formats: dict[int, NumberFormat]
    qualities: list[ColumnQuality] = field(default_factory=list)


class _BatchSink:
    """Parquet writer fed from a background thread, so writing overlaps converting the next batch.

    The quality figures of a batch are added on a second thread while the
    batch is written, since Parquet encoding on the writer thread is the
    slowest step of an ingest. At most one batch waits to be written, which
    bounds the memory held.
    """

    def __init__(self, path: Path, plan: _Plan) -> None:
        self.plan = plan
        self.file = DigestingFile(path)
        try:
            self.writer = pq.ParquetWriter(
                self.file,
                plan.schema,
                compression=_compression(plan),
                use_dictionary=_dictionary_columns(plan),
                write_statistics=_statistics_columns(plan),
            )
        except BaseException:
            self.file.close()
            raise
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mmt-ingest-writer")
        self.quality_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mmt-ingest-quality")
        self.pending: list[Future] = []

    def submit(self, outputs: list[pa.Array], offset: int) -> None:
        """Queue one converted batch, whose first row is row ``offset`` (0-based), after the previous one is written."""
        self.wait()
        self.pending = [
            self.thread.submit(self._write, outputs),
            self.quality_thread.submit(self._measure, outputs, offset),
        ]

    def _write(self, outputs: list[pa.Array]) -> None:
        self.writer.write_batch(pa.RecordBatch.from_arrays(outputs, schema=self.plan.schema))

    def _measure(self, outputs: list[pa.Array], offset: int) -> None:
        for quality, array in zip(self.plan.qualities, outputs):
            quality.update(array, offset)

    def wait(self) -> None:
        """Block until the queued batch is written and measured, raising the first error if any."""
        pending, self.pending = self.pending, []
        for future in pending:
            # Both are waited for, so neither thread still works on the batch when an error is raised.
            future.exception()
        for future in pending:
            future.result()

    def close(self) -> None:
        """Finish writing and close the file."""
        try:
            self.wait()
        finally:
            self.thread.shutdown(wait=True)
            self.quality_thread.shutdown(wait=True)
            try:
                self.writer.close()
            finally:
                self.file.close()

    def hexdigest(self) -> str:
        """Return the SHA-256 of the Parquet file written, once closed."""
        return self.file.hexdigest()


class _Run:
    """One pass over the file. A restart builds a new one."""

    def __init__(
        self, path, filename, model_type, specs, parquet_path, column_mapping, options, max_rows, forced_types, encoding
    ):
        self.path = path
        self.filename = filename
        self.model_type = model_type
        self.specs: list[RoleSpec] = specs
        self.by_role = {spec.name: spec for spec in specs}
        self.parquet_path = parquet_path
        self.column_mapping = column_mapping
        self.options = options
        self.max_rows = max_rows
        self.forced_types = forced_types
        self.encoding = encoding
        self.warnings: list[dict] = []
        self.problems = ProblemLog()

    # -- main ----------------------------------------------------------------------

    def execute(self) -> IngestResult:
        kind = detect_format(self.path)
        source = self._open(kind)
        names = [clean_header(name) for name in source.names]
        if len(names) > MAX_COLUMNS:
            raise PayloadTooLargeError(
                f"The file has {len(names)} columns; at most {MAX_COLUMNS} are accepted.",
                code="too_many_columns",
                details={"columns": len(names), "max_columns": MAX_COLUMNS},
            )
        _check_duplicate_names(names)
        match = match_roles(self.specs, names, self.column_mapping)
        self.warnings.extend(match.warnings)
        self._check_required(match.roles, names)
        temporary = self.parquet_path.with_name(f".{self.parquet_path.name}.{uuid.uuid4().hex}.tmp")
        try:
            return self._stream(source, names, match, temporary)
        except (pa.ArrowException, UnicodeError) as error:
            LOGGER.info(
                "upload %s rejected: Arrow or decoding error %s: %s", self.filename, type(error).__name__, error
            )
            raise ValidationError(
                f"The file cannot be read as a table: {error}. Check that it is a valid CSV, XLSX or Parquet file.",
                code="malformed_csv" if kind == "text" else "unreadable_file",
                details={"reason": str(error)[:500]},
            ) from None
        finally:
            if temporary.exists():
                temporary.unlink()

    def _open(self, kind: str):
        if kind == "parquet":
            return ParquetSource(self.path, self.options)
        if kind == "xlsx":
            return XlsxSource(self.path, self.options, self._judge_header, clean_header, max_columns=MAX_COLUMNS)
        options = dict(self.options)
        if self.encoding:
            options["encoding_override"] = self.encoding
        return CsvSource(self.path, options)

    def _judge_header(self, names: list[str]) -> tuple[tuple[int, int], list[int]]:
        try:
            match = match_roles(self.specs, names, self.column_mapping)
        except ValidationError:
            return (0, 0), []
        missing = missing_required(self.specs, match.roles)
        required_groups = len(missing_required(self.specs, {}))
        key_roles = [spec.name for spec in self.specs if spec.required or spec.one_of or spec.name in _ID_ROLES]
        key_columns = sorted({match.roles[role] for role in key_roles if role in match.roles})
        return (required_groups - len(missing), len(match.roles)), key_columns

    def _check_required(self, roles: dict[str, int], names: list[str]) -> None:
        missing = missing_required(self.specs, roles)
        if not missing:
            return
        group = missing[0]
        accepted = {role: list(self.by_role[role].aliases) for role in group}
        found = [name for name in names if name]
        if len(group) == 1:
            role = group[0]
            what = f"{role} column ({self.by_role[role].description})"
        else:
            what = "column for any of the roles " + " or ".join(group)
        accepted_text = "; ".join(f"for {role}: {', '.join(aliases)}" for role, aliases in accepted.items())
        example = json.dumps({group[0]: "<name of your column>"})
        raise ValidationError(
            f"The file has no {what}. Accepted column names {accepted_text}. "
            f"Columns found: {', '.join(found)}. Rename the column, or map it with the upload's form field columns "
            f"(mmt upload --columns), e.g. columns={example}.",
            code="missing_column",
            details={
                "role": group[0] if len(group) == 1 else list(group),
                "missing": [list(item) for item in missing],
                "accepted": accepted,
                "columns_found": found,
            },
        )

    # -- streaming -----------------------------------------------------------------

    def _stream(self, source, names: list[str], match, temporary: Path) -> IngestResult:
        plan: _Plan | None = None
        sink: _BatchSink | None = None
        rows = 0
        last_row: list[pa.Array] = []
        unnamed_values: dict[int, int] = {}
        cross_counts: dict[str, int] = {}
        identifiers = _Identifiers()
        line_breaks: dict[str, list] = {}
        workers = ThreadPoolExecutor(max_workers=CONVERT_THREADS, thread_name_prefix="mmt-ingest")
        try:
            for columns, offset in source.batches():
                length = len(columns[0]) if columns else 0
                if plan is None:
                    plan = self._plan(workers, source, names, match, columns)
                    sink = _BatchSink(temporary, plan)
                if length == 0:
                    continue
                rows += length
                if self.max_rows is not None and rows > self.max_rows:
                    raise PayloadTooLargeError(
                        f"The file has more than {self.max_rows} data rows, the most accepted for one upload. "
                        "Split it or raise the limit.",
                        code="too_many_rows",
                        details={"max_rows": self.max_rows, "rows_read": rows},
                    )
                last_row = [values.slice(length - 1) for values in columns]
                _note_unnamed_values(plan.unnamed, columns, offset, unnamed_values)
                outputs, by_role = self._convert(workers, plan, columns, offset)
                _count_cross_checks(by_role, cross_counts)
                identifiers.add(by_role)
                if isinstance(source, CsvSource):
                    _note_line_breaks(plan.schema, outputs, offset, line_breaks)
                if self.problems or getattr(source, "invalid_rows", 0) or unnamed_values:
                    continue
                sink.submit(outputs, offset)
        finally:
            workers.shutdown(wait=True, cancel_futures=True)
            if sink is not None:
                sink.close()
        if isinstance(source, CsvSource):
            source.check_closed_quotes(last_row, names)
        self._raise_structure_errors(source, names, rows, unnamed_values)
        self._raise_formula_errors(source, plan)
        self._raise_value_errors(source)
        self._check_required_values(plan)
        duplicates = None if identifiers.all_distinct() else _duplicates(temporary, plan)
        quality = self._quality(source, plan, rows, cross_counts, duplicates)
        self._final_warnings(source, plan, duplicates)
        self.warnings.extend(_line_break_warning(name, found) for name, found in line_breaks.items())
        digest = sink.hexdigest() if sink is not None else _sha256(temporary)
        os.replace(temporary, self.parquet_path)
        return IngestResult(
            n_rows=rows,
            columns=list(plan.schema.names),
            roles={role: source.names[index] for role, index in plan.roles.items()},
            source_format=self._source_format(source, plan),
            warnings=to_jsonable(self.warnings),
            quality=to_jsonable(quality),
            parquet_sha256=digest,
        )

    def _convert(self, workers: ThreadPoolExecutor, plan: _Plan, columns: list[pa.Array], offset: int):
        """Convert one batch with one task per column, which run in parallel because Arrow kernels release the GIL."""
        logs = [ProblemLog() for _ in plan.converters]
        futures = [
            workers.submit(converter.convert, columns[converter.source_index], offset, log)
            for converter, log in zip(plan.converters, logs)
        ]
        outputs: list[pa.Array] = []
        by_role: dict[str, pa.Array] = {}
        for converter, future in zip(plan.converters, futures):
            converted = future.result()
            outputs.extend(converted)
            if converter.role:
                by_role[converter.role] = converted[0]
        for log in logs:
            self.problems.merge(log)
        return outputs, by_role

    def _plan(self, workers: ThreadPoolExecutor, source, names: list[str], match, first: list[pa.Array]) -> _Plan:
        roles = dict(match.roles)
        unnamed = [index for index, name in enumerate(names) if not name]
        number_formats = self._number_formats(source, names, roles, unnamed, first)
        role_of = {index: role for role, index in roles.items()}
        named = [(index, name) for index, name in enumerate(names) if index not in unnamed]
        prepared = [
            self._converter(role_of.get(index), index, source.names[index], name, number_formats.get(index, DOT_DECIMAL))
            for index, name in named
        ]
        # The pattern checks of the sample are Arrow kernels, which release the GIL, so the columns are
        # prepared in parallel while the parser thread reads on.
        for future in [workers.submit(converter.prepare, first[index]) for converter, (index, _) in zip(prepared, named)]:
            future.result()
        converters: list[Converter] = []
        for converter, (index, name) in zip(prepared, named):
            role = role_of.get(index)
            if isinstance(converter, DateRole) and converter.not_dates and not converter.text_mode:
                spec = self.by_role[role]
                if role not in match.explicit and not spec.required:
                    self._note_unmapped_date(role, name)
                    del roles[role]
                    converter = Feature(
                        name,
                        source.names[index],
                        index,
                        number_formats.get(index, DOT_DECIMAL),
                        self.forced_types.get(index),
                    )
                    converter.prepare(first[index])
            converters.append(converter)
        self._rename_clashing_features(converters)
        fields = [item for converter in converters for item in converter.fields()]
        schema = pa.schema(fields)
        qualities = []
        for converter in converters:
            for position, item in enumerate(converter.fields()):
                qualities.append(
                    ColumnQuality(
                        item.name,
                        item.type,
                        converter.role if position == 0 else None,
                        converter.source_name.strip() if position == 0 else None,
                    )
                )
        return _Plan(converters, schema, roles, unnamed, number_formats, qualities)

    def _converter(
        self, role: str | None, index: int, source_name: str, name: str, number_format: NumberFormat
    ) -> Converter:
        forced = self.forced_types.get(index)
        if role is None:
            return Feature(name, source_name, index, number_format, forced)
        spec = self.by_role[role]
        if spec.kind in ("numeric", "probability"):
            return NumberRole(spec, source_name, index, number_format)
        if spec.kind == "binary":
            return BinaryRole(spec, source_name, index)
        if spec.kind in ("date", "period"):
            return DateRole(spec, source_name, index, self.options.get("date_format"))
        if spec.kind == "grade":
            return GradeRole(spec, source_name, index, forced)
        return TextRole(spec, source_name, index)

    def _number_formats(self, source, names, roles, unnamed, first) -> dict[int, NumberFormat]:
        if "decimal" in self.options or "thousands" in self.options:
            chosen = NumberFormat(self.options.get("decimal", "."), self.options.get("thousands"))
            return {index: chosen for index in range(len(names))}
        if not source.detect_number_format:
            return self._comma_grouped_features(source, names, roles, unnamed, first)
        numeric_roles = {
            index for role, index in roles.items() if self.by_role[role].kind in ("numeric", "probability")
        }
        probability_roles = {
            index for role, index in roles.items() if self.by_role[role].kind == "probability" or self.by_role[role].ratio
        }
        other_roles = set(roles.values()) - numeric_roles
        evidence = {}
        for index in range(len(names)):
            if index in unnamed or index in other_roles:
                continue
            values = trimmed(head(first[index]))
            if not pa.types.is_string(values.type):
                continue
            if index not in numeric_roles:
                values, _count = without_tokens(values)
            elif index in probability_roles:
                values, _count, _example = percents_as_exponents(values)
            item = gather_evidence(values)
            if item.numeric:
                evidence[index] = item
        marks = file_decimal_marks(evidence)
        formats: dict[int, NumberFormat] = {}
        for index, item in evidence.items():
            resolved = resolve_format(item, marks)
            if resolved is None:
                raise _ambiguous_number(names[index], first[index])
            if item.dot_thousands and not (item.comma_decimal or item.dot_decimal or item.multi_dot):
                self.warnings.append(_number_format_from_file(names[index], first[index], resolved))
            formats[index] = resolved
        return formats

    def _comma_grouped_features(self, source, names, roles, unnamed, first) -> dict[int, NumberFormat]:
        """Find feature columns of a comma-separated file written with "," thousands separators.

        English spreadsheet exports quote amounts such as "1,169.00". Left as
        text, such a column would be binned level by level and give a false
        CSI, so every sampled value must match the grouped pattern and at least
        one must contain a separator.
        """
        if not isinstance(source, CsvSource):
            return {}
        formats: dict[int, NumberFormat] = {}
        role_columns = set(roles.values())
        for index in range(len(names)):
            if index in unnamed or index in role_columns:
                continue
            values = trimmed(head(first[index]))
            if not pa.types.is_string(values.type):
                continue
            values, _count = without_tokens(values)
            present = values.drop_null()
            if len(present) == 0:
                continue
            # The plain substring test is far cheaper than the pattern and rules out most columns.
            if not pc.any(pc.match_substring(present, ",")).as_py():
                continue
            if not pc.all(pc.match_substring_regex(present, _COMMA_GROUPED)).as_py():
                continue
            formats[index] = COMMA_THOUSANDS
            self.warnings.append({
                "code": "thousands_separator_detected",
                "message": f'Column "{names[index]}" writes numbers with "," as thousands separator (e.g. '
                           f'"{present[0].as_py()}") and was read as numbers. Pass the option thousands to override.',
                "details": {"column": names[index], "thousands": ",", "decimal": "."},
            })
        return formats

    def _note_unmapped_date(self, role: str, name: str) -> None:
        self.warnings.append(
            {
                "code": "role_not_mapped",
                "message": (
                    f'Column "{name}" was not used as {role} because none of its values is a date; '
                    "it is kept as a feature. Map a date column to this role if the analyses need it."
                ),
                "details": {"role": role, "column": name},
            }
        )

    def _rename_clashing_features(self, converters: list[Converter]) -> None:
        taken = {item.name.casefold() for converter in converters if converter.role for item in converter.fields()}
        for converter in converters:
            if converter.role is None and converter.name.casefold() in taken:
                new_name = f"{converter.name}_{converter.source_index + 1}"
                self.warnings.append(
                    {
                        "code": "column_renamed",
                        "message": (
                            f'Column "{converter.name}" clashes with a role column of the same name and is stored as '
                            f'"{new_name}": its name and its column number in the file.'
                        ),
                        "details": {"column": converter.name, "stored_as": new_name},
                    }
                )
                converter.name = new_name

    # -- errors --------------------------------------------------------------------

    def _raise_structure_errors(self, source, names, rows, unnamed_values) -> None:
        invalid_rows = getattr(source, "invalid_rows", 0)
        if invalid_rows:
            found = source.malformed_lines()
            listed = ", ".join(f"line {item['line']} has {item['fields']}" for item in found)
            raise ValidationError(
                f"The CSV file is malformed: {_rows(invalid_rows)} {'does' if invalid_rows == 1 else 'do'} not have "
                f"the {len(names)} fields of the header "
                f'({listed}). Quote values that contain the delimiter "{source.delimiter}" and check for missing or extra delimiters.',
                code="malformed_csv",
                details={
                    "count": invalid_rows,
                    "expected_fields": len(names),
                    "lines": [item["line"] for item in found],
                    "rows": [item["row"] for item in found],
                    "fields": [item["fields"] for item in found],
                    "delimiter": source.delimiter,
                },
            )
        if rows == 0:
            raise ValidationError(
                "The file has a header but no data rows. Upload a file with at least one data row.",
                code="no_data_rows",
                details={"columns_found": [name for name in names if name]},
            )
        if unnamed_values:
            index, row = next(iter(sorted(unnamed_values.items())))
            lines = source.line_numbers([row])
            where = f"row {row + 1}" + (f" (line {lines[row]})" if row in lines else "")
            raise ValidationError(
                f"Column {index + 1} has no name in the header row but holds values, first at {where}. "
                "Add a column name to the header.",
                code="unnamed_column",
                details={"column_number": index + 1, "rows": [row + 1], "lines": [lines.get(row)]},
            )

    def _raise_formula_errors(self, source, plan: _Plan) -> None:
        role_columns = {index: role for role, index in plan.roles.items()}
        cells = [item for item in getattr(source, "missing_formulas", []) if item["column"] in role_columns]
        if not cells:
            return
        first = cells[0]
        role = role_columns[first["column"]]
        listed = ", ".join(item["cell"] for item in cells[:10])
        raise ValidationError(
            f"{len(cells)} formula cells of role columns have no stored value ({listed}), so their values are unknown. "
            "Open and save the workbook in Excel so that it stores the computed values, then upload it again.",
            code="formula_without_value",
            details={
                "role": role,
                "column": source.names[first["column"]],
                "cells": [item["cell"] for item in cells[:10]],
                "rows": [item["row"] + 1 for item in cells[:10]],
                "count": len(cells),
            },
        )

    def _raise_value_errors(self, source) -> None:
        problem = self.problems.first()
        if problem is None:
            return
        all_rows = sorted({row for item in self.problems for row in item.rows})
        lines = source.line_numbers(all_rows)
        details = _problem_details(problem, lines)
        others = [_problem_details(item, lines) for item in self.problems if item is not problem]
        if others:
            details["other_problems"] = others
        raise ValidationError(
            _problem_message(problem, lines, source.format), code=problem.code, details=to_jsonable(details)
        )

    def _check_required_values(self, plan: _Plan) -> None:
        empty = {}
        for converter, quality in self._role_qualities(plan):
            if quality.count and quality.missing == quality.count:
                empty[converter.role] = converter
        for role, converter in empty.items():
            spec = self.by_role[role]
            # A role of a one-of group (pd or score) is needed only when no other role of the group has values.
            group_empty = bool(spec.one_of) and all(
                other not in plan.roles or other in empty for other in spec.one_of
            )
            if not (spec.required or group_empty):
                continue
            column = converter.source_name.strip()
            alternatives = (
                f" Fill it, or give a column for one of the roles {' or '.join(spec.one_of)} with values."
                if spec.one_of
                else ""
            )
            raise ValidationError(
                f'Column "{column}" (role {role}) is empty in every row. '
                f"The {role} column needs values ({spec.description}).{alternatives}",
                code="empty_column",
                details={"column": column, "role": role, "rows": plan.qualities[0].count},
            )

    def _role_qualities(self, plan: _Plan):
        position = 0
        for converter in plan.converters:
            quality = plan.qualities[position]
            position += len(converter.fields())
            if converter.role:
                yield converter, quality

    # -- summary -------------------------------------------------------------------

    def _quality(self, source, plan: _Plan, rows: int, cross_counts: dict, duplicates: dict | None) -> dict:
        role_notes: dict[str, dict] = {}
        for converter, quality in self._role_qualities(plan):
            notes = converter.notes()
            notes["missing"] = quality.missing
            notes["source_column"] = converter.source_name
            role_notes[converter.role] = notes
        columns = {quality.name: quality.summary() for quality in plan.qualities}
        for converter in plan.converters:
            if converter.role is None and converter.counters.get("na_texts"):
                columns[converter.name]["missing_texts"] = converter.counters["na_texts"]
        summary = {
            "n_rows": rows,
            "columns": columns,
            "roles": role_notes,
            "dropped_rows": list(source.dropped),
            "dropped_columns": [
                {"column_number": index + 1, "reason": "no name and no values"} for index in plan.unnamed
            ],
        }
        if cross_counts:
            summary["checks"] = dict(cross_counts)
        filled = getattr(source, "filled", None)
        if filled:
            summary["filled_cells"] = filled
        if duplicates:
            summary["duplicates"] = duplicates
        return summary

    def _final_warnings(self, source, plan: _Plan, duplicates: dict | None) -> None:
        self.warnings[:0] = list(source.warnings)
        for index in plan.unnamed:
            self.warnings.append(
                {
                    "code": "empty_column_dropped",
                    "message": f"Column {index + 1} has no name and no values (a trailing delimiter on each line) and was dropped.",
                    "details": {"column_number": index + 1},
                }
            )
        for converter, quality in self._role_qualities(plan):
            self._role_warnings(converter, quality)
        for converter in plan.converters:
            note = getattr(converter, "text_note", None)
            if note:
                listed = ", ".join(f'row {row}: "{value}"' for row, value in zip(note["rows"], note["values"]))
                self.warnings.append(
                    {
                        "code": "numbers_kept_as_text",
                        "message": (
                            f'Column "{converter.name}" is mostly numbers but also contains text ({listed}), so it is stored as text. '
                            "Correct those values, or set the decimal and thousands options, to have it stored as numbers."
                        ),
                        "details": {"column": converter.name, **note},
                    }
                )
        for converter in plan.converters:
            note = getattr(converter, "rounded_note", None)
            if note:
                self.warnings.append(_rounded_integers_warning(converter.name, note))
        for quality in plan.qualities:
            if quality.infinite:
                self.warnings.append(_infinite_values_warning(quality))
        role_columns = set(plan.roles.values())
        missing_formulas = [
            item for item in getattr(source, "missing_formulas", []) if item["column"] not in role_columns
        ]
        if missing_formulas:
            cells = [item["cell"] for item in missing_formulas]
            self.warnings.append(
                {
                    "code": "formula_without_value",
                    "message": (
                        f"{len(cells)} formula cells have no stored value ({', '.join(cells[:10])}) and were read as empty. "
                        "Open and save the workbook in Excel so that it stores the computed values."
                    ),
                    "details": {"cells": cells[:10], "count": len(cells)},
                }
            )
        if duplicates:
            self.warnings.append(_duplicate_warning(duplicates))

    def _role_warnings(self, converter: Converter, quality: ColumnQuality) -> None:
        role = converter.role
        column = converter.source_name.strip()
        if quality.missing and quality.missing < quality.count:
            extra = " (open workouts without a realised LGD)" if role == "lgd_realised" else ""
            self.warnings.append(
                {
                    "code": "missing_values",
                    "message": f'{_rows(quality.missing)} {"has" if quality.missing == 1 else "have"} no {role} '
                               f'(column "{column}"){extra}; analyses that need it leave these rows out.',
                    "details": {"role": role, "column": column, "count": quality.missing},
                }
            )
        notes = converter.notes()
        if isinstance(converter, BinaryRole):
            if notes.get("mapped_text"):
                self.warnings.append(
                    {
                        "code": "default_flag_text_mapped",
                        "message": f'Text default flags in column "{column}" were mapped: '
                        + ", ".join(f"{text} -> {value}" for text, value in notes["mapped_text"].items())
                        + ".",
                        "details": {
                            "column": column,
                            "mapping": notes["mapped_text"],
                            "rows": notes["mapped_text_rows"],
                        },
                    }
                )
            observed = notes["defaults"] + notes["non_defaults"]
            if observed and notes["defaults"] in (0, observed):
                label = "no defaults" if notes["defaults"] == 0 else "only defaults"
                self.warnings.append(
                    {
                        "code": "single_class",
                        "message": f"The default flag holds {label}, so discrimination measures (AUC, Gini, KS) cannot be computed; calibration can.",
                        "details": {"column": column, "defaults": notes["defaults"], "observations": observed},
                    }
                )
        if isinstance(converter, DateRole) and len(notes.get("formats", {})) > 1:
            self.warnings.append(
                {
                    "code": "mixed_date_formats",
                    "message": f'Column "{column}" mixes {len(notes["formats"])} date formats ('
                    + ", ".join(f"{name}: {count}" for name, count in notes["formats"].items())
                    + ("); every value was read as a date." if notes.get("day_month_order")
                       else "); every value was unambiguous and was read as a date."),
                    "details": {"column": column, "formats": notes["formats"]},
                }
            )
        if isinstance(converter, DateRole) and notes.get("day_month_order"):
            self.warnings.append(_date_order_warning(column, role, notes["day_month_order"]))
        if isinstance(converter, DateRole) and converter.unusual_note:
            self.warnings.append(_unusual_dates_warning(column, role, converter.unusual_note))
        if notes.get("percent_values"):
            count = notes["percent_values"]
            example = getattr(converter, "percent_example", None)
            example_text = f' (for example "{example}")' if example else ""
            self.warnings.append(
                {
                    "code": "percent_values_converted",
                    "message": f'Column "{column}" has {_count_of(count, "value")} written as percentages'
                    f'{example_text}; {"it was" if count == 1 else "they were"} read as fractions, 2.2% as 0.022.',
                    "details": {"column": column, "role": role, "count": count, "example": example},
                }
            )
        below = {key: value for key, value in notes.items() if key.startswith(("below_", "above_"))}
        if any(below.values()):
            self.warnings.append(
                {
                    "code": "values_outside_unit_interval",
                    "message": f'Column "{column}" has '
                    + " and ".join(f"{value} values {key.replace('_', ' ')}" for key, value in below.items() if value)
                    + "; they are kept as they are, not clipped.",
                    "details": {"column": column, "role": role, **below},
                }
            )

    def _source_format(self, source, plan: _Plan) -> dict:
        described = source.describe()
        described["filename"] = self.filename
        numeric = {
            converter.source_index
            for converter in plan.converters
            if any(pa.types.is_integer(item.type) or pa.types.is_floating(item.type) for item in converter.fields())
        }
        formats = {
            index: value for index, value in plan.number_formats.items() if value != DOT_DECIMAL and index in numeric
        }
        decimals = {value.decimal for value in formats.values()}
        thousands = {value.thousands for value in formats.values() if value.thousands}
        described["decimal"] = "," if "," in decimals else "."
        described["thousands"] = (
            next(iter(thousands)) if len(thousands) == 1 else (sorted(thousands) if thousands else None)
        )
        if formats:
            described["number_formats"] = {
                clean_header(source.names[index]): value.describe() for index, value in formats.items()
            }
        if "date_format" in self.options:
            described["date_format"] = self.options["date_format"]
        return described


# Bytes read to look for UTF-8 sequences in a file decoded as cp1252 or Latin-1.
UTF8_SCAN_BYTES = 16 << 20
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _contains_utf8_sequences(path: Path) -> bool:
    """Return True when the start of the file contains byte sequences that encode letters in UTF-8.

    A file that is not valid UTF-8 is read as cp1252 or Latin-1. In such a
    file, pairs like C3 AB (ë in UTF-8, "Ã«" in cp1252) are rare in real
    text and common in UTF-8 files with one damaged byte.
    """
    with open(path, "rb") as handle:
        return _UTF8_SEQUENCE.search(handle.read(UTF8_SCAN_BYTES)) is not None


def _encoding_fallback_warning(used: str) -> dict:
    return {
        "code": "encoding_fallback",
        "message": f"The file is not valid UTF-8 throughout, so it was read as {used}, but it contains UTF-8 "
                   "sequences: if it is UTF-8 with a damaged byte, accented letters now read wrongly (for example "
                   "'Ã«' for 'ë'). Repair the file, or give its encoding in the options if it is right.",
        "details": {"encoding": used},
    }


def _check_duplicate_names(names: list[str]) -> None:
    seen: dict[str, int] = {}
    duplicates: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        if not name:
            continue
        key = name.casefold()
        if key in seen:
            duplicates.setdefault(key, [seen[key] + 1]).append(index + 1)
        else:
            seen[key] = index
    if duplicates:
        listed = "; ".join(
            f'"{names[positions[0] - 1]}" at columns {", ".join(map(str, positions))}'
            for positions in duplicates.values()
        )
        raise ValidationError(
            f"The header has duplicate column names: {listed}. Give every column its own name.",
            code="duplicate_columns",
            details={"duplicates": {names[positions[0] - 1]: positions for positions in duplicates.values()}},
        )


def _number_format_from_file(name: str, values: pa.Array, chosen: NumberFormat) -> dict:
    """Build the warning for a column whose values like ``1.234`` were read with the marks of other columns."""
    present = trimmed(values).drop_null()
    examples = pc.filter(present, pc.match_substring(present, ".")).slice(0, 5).to_pylist()
    reading = "a decimal point" if chosen.decimal == "." else 'a thousands separator (decimal mark ",")'
    return {
        "code": "number_format_from_file",
        "message": (
            f'Column "{name}" has values such as {", ".join(repr(value) for value in examples)} that can be read '
            f'with "." as decimal mark or as thousands separator. The other columns of the file use '
            f'"{chosen.decimal}" as decimal mark, so "." was read as {reading}. Give the options decimal and '
            "thousands if that is wrong."
        ),
        "details": {"column": name, "values": examples, **chosen.describe()},
    }


def _ambiguous_number(name: str, values: pa.Array) -> ValidationError:
    present = trimmed(values).drop_null()
    examples = pc.filter(present, pc.match_substring(present, ".")).slice(0, 5).to_pylist()
    return ValidationError(
        f'Column "{name}" has values such as {", ".join(repr(value) for value in examples)} that can be read with "." as decimal '
        "mark or as thousands separator, and the rest of the file does not settle it. Give the options decimal and thousands "
        '(for example decimal "," and thousands ".").',
        code="ambiguous_number",
        details={"column": name, "values": examples},
    )


def _note_unnamed_values(unnamed: list[int], columns: list[pa.Array], offset: int, found: dict[int, int]) -> None:
    for index in unnamed:
        if index not in found:
            present = pc.is_valid(trimmed(columns[index]))
            if pc.any(present).as_py():
                found[index] = offset + pc.index(present, True).as_py()


def _note_line_breaks(schema: pa.Schema, outputs: list[pa.Array], offset: int, found: dict[str, list]) -> None:
    """Count the text values of a CSV batch that span lines, with the first rows, per column.

    A quote left open and closed by a stray quote further down merges the
    lines between them into one such value. The warning shows the user where.
    """
    for item, values in zip(schema, outputs):
        if not pa.types.is_string(item.type) or not _may_hold_line_break(values):
            continue
        spanning = pc.fill_null(pc.match_substring(values, "\n"), False)
        count = pc.sum(spanning).as_py() or 0
        if not count:
            continue
        entry = found.setdefault(item.name, [0, []])
        entry[0] += count
        if len(entry[1]) < 5:
            rows = pc.indices_nonzero(spanning).slice(0, 5 - len(entry[1])).to_pylist()
            entry[1].extend(offset + row + 1 for row in rows)


def _may_hold_line_break(values: pa.Array) -> bool:
    """Return False when no byte of the array's text buffer is a line feed, so no value contains one.

    One pass of NumPy over the bytes takes a fraction of ``match_substring``
    over the values, and most uploads have no line break in any value.
    The buffer may hold bytes beyond a sliced array, which can only give a
    needless exact check, never a missed value.
    """
    data = values.buffers()[2]
    return data is not None and bool(np.any(np.frombuffer(data, dtype=np.uint8) == 10))


def _line_break_warning(name: str, found: list) -> dict:
    count, rows = found
    return {
        "code": "values_span_lines",
        "message": f'Column "{name}" has {_count_of(count, "value")} that '
                   f'{"spans" if count == 1 else "span"} several lines (rows {", ".join(map(str, rows))}). That is right for text written over several lines; otherwise a '
                   "double quote was left open there and the lines after it were read as part of the value, so "
                   "check the quotes and upload the file again.",
        "details": {"column": name, "count": count, "rows": rows},
    }


def _rounded_integers_warning(name: str, note: dict) -> dict:
    """Build the warning for whole numbers of a float column that doubles may store rounded."""
    count = note["count"]
    # The stored doubles are written out as whole numbers, so a rounded digit shows beside the written one.
    stored = [str(int(value)) for value in note["stored"]]
    listed = ", ".join(
        f'row {row}: "{value}" stored as {exact}' for row, value, exact in zip(note["rows"], note["values"], stored)
    )
    more = f" and {count - len(stored)} more" if count > len(stored) else ""
    return {
        "code": "large_integers_rounded",
        "message": (
            f'Column "{name}" has {_count_of(count, "whole number")} of 2**53 (9007199254740992) or more '
            f"in absolute value ({listed}{more}). The column has decimals or numbers beyond the 64-bit integer range, "
            "so it is stored as double-precision floats, which hold about 15 to 17 significant digits: such numbers "
            "are stored as the nearest double, and digits beyond those may be lost. If every digit matters (an "
            "account number or another code), write the column as text, for example with a letter prefix, or upload "
            "it as Parquet with a string column."
        ),
        "details": {
            "column": name,
            "stored_as": "float64",
            "count": count,
            "rows": list(note["rows"]),
            "values": list(note["values"]),
            "stored_values": stored,
        },
    }


def _unusual_dates_warning(column: str, role: str, note: dict) -> dict:
    """Build the warning for dates outside the usual years, often placeholders for "no date"."""
    count = note["count"]
    first, last = USUAL_YEARS
    listed = ", ".join(
        f'row {row}: "{value}" read as {date}' for row, value, date in zip(note["rows"], note["values"], note["dates"])
    )
    more = f" and {count - len(note['rows'])} more" if count > len(note["rows"]) else ""
    role_text = f" (role {role})" if role != column else ""
    return {
        "code": "dates_outside_usual_years",
        "message": (
            f'Column "{column}"{role_text} has {_count_of(count, "date")} before {first} or after '
            f"{last} ({listed}{more}). Such dates are most often placeholders for \"no date\" such as 9999-12-31, "
            "or numbers read as YYYYMM months that were meant otherwise. The analyses use them as real dates, each "
            "as a snapshot or period of its own. Leave the cells empty if they mean no date, or correct them."
        ),
        "details": {"column": column, "role": role, "first_year": first, "last_year": last, **note},
    }


def _count_of(count: int, noun: str) -> str:
    """Return ``count`` with ``noun``, plural unless the count is one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _date_order_warning(column: str, role: str, order: dict) -> dict:
    """Return the warning that ambiguous day/month dates were read in the order the other values show."""
    first, second = ("day", "month") if order["order"] == "day_first" else ("month", "day")
    deciding = ", ".join(order["deciding_values"])
    resolved = ", ".join(order["resolved_values"])
    return {
        "code": "date_order_inferred",
        "message": f'Column "{column}" has {_count_of(order["resolved_count"], "distinct date")} such as {resolved} '
        f"that could be read either way. They were read {first} first, then {second}, because values such as "
        f"{deciding} can only be read that way. Pass date_format if that is wrong.",
        "details": {"column": column, "role": role, **order},
    }


def _infinite_values_warning(quality: ColumnQuality) -> dict:
    """Build the warning for a float column with infinite values, which are kept as -inf and +inf."""
    name = quality.source or quality.name
    listed = ", ".join(f"row {row}: {value}" for row, value in zip(quality.infinite_rows, quality.infinite_values))
    unlisted = quality.infinite - len(quality.infinite_rows)
    more = f" and {unlisted} more" if unlisted else ""
    return {
        "code": "infinite_values",
        "message": (
            f'Column "{name}" has {_count_of(quality.infinite, "infinite value")} ({listed}{more}), stored '
            "as -inf and +inf. Stability and WOE analyses put -inf in the lowest bin and +inf in the highest, and the "
            "quality summary leaves them out of the minimum, maximum and mean. Leave the cells empty instead if they "
            "mean a missing value."
        ),
        "details": {
            "column": name,
            "count": quality.infinite,
            "rows": list(quality.infinite_rows),
            "values": [str(value) for value in quality.infinite_values],
        },
    }


def _dictionary_columns(plan: _Plan) -> list[str]:
    """Return the columns worth dictionary encoding: text and dates, except identifiers."""
    names = []
    for item in plan.schema:
        if item.name in _ID_ROLES:
            continue
        if pa.types.is_string(item.type) or pa.types.is_large_string(item.type) or pa.types.is_date(item.type):
            names.append(item.name)
    return names


def _compression(plan: _Plan) -> dict[str, str]:
    """Return the Parquet compression of each column: none for floats, Snappy for the rest.

    On the doubles of the benchmark portfolio (benchmarks/generate.py) Snappy
    saved 0 to 40 % of the bytes, because their low bytes look random, and it
    took a fifth of the writer thread's time. Integers, dates and text shrink
    several times, so they stay compressed.
    """
    return {item.name: "none" if pa.types.is_floating(item.type) else "snappy" for item in plan.schema}


def _statistics_columns(plan: _Plan) -> list[str]:
    """Return the columns whose Parquet statistics are written: all but text.

    Minimum and maximum of text take the writer a sixth of its time, and
    nothing reads them. The null counts of numbers and dates let the engine
    skip a null check.
    """
    return [
        item.name
        for item in plan.schema
        if not (pa.types.is_string(item.type) or pa.types.is_large_string(item.type))
    ]


def _count_cross_checks(by_role: dict[str, pa.Array], counts: dict[str, int]) -> None:
    if "limit" in by_role and "drawn" in by_role:
        limit, drawn = by_role["limit"], by_role["drawn"]
        both = pc.and_(pc.is_valid(limit), pc.is_valid(drawn))
        undrawn_zero = pc.sum(pc.and_(both, pc.fill_null(pc.equal(limit, drawn), False))).as_py() or 0
        over = pc.sum(pc.and_(both, pc.fill_null(pc.greater(drawn, limit), False))).as_py() or 0
        counts["undrawn_zero"] = counts.get("undrawn_zero", 0) + undrawn_zero
        counts["drawn_above_limit"] = counts.get("drawn_above_limit", 0) + over


class _Identifiers:
    """The identifiers kept batch by batch as integers, to show cheaply that none repeats.

    Identifiers are most often whole numbers, and most uploads repeat none.
    Kept as int64, they are checked in milliseconds when already ascending
    and with one NumPy sort otherwise, a fraction of the DuckDB pass over the
    written file. That pass still runs when some integer repeats (texts such
    as 007 and 7 map to one integer, so it decides, and finds the examples),
    when an identifier is not a whole number, or when there are more than
    :data:`MAX_KEPT_IDENTIFIERS`. Distinct integers imply distinct texts, so
    the check never hides a repeat.
    """

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.rows = 0
        self.usable = True

    def add(self, by_role: dict[str, pa.Array]) -> None:
        """Keep this batch's identifiers while they are whole numbers within the limit."""
        if not self.usable:
            return
        values = next((by_role[role] for role in _ID_ROLES if role in by_role), None)
        if values is None:
            return
        self.rows += len(values)
        if self.rows > MAX_KEPT_IDENTIFIERS:
            self.usable, self.chunks = False, []
            return
        try:
            numbers = pc.cast(values.drop_null(), pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            self.usable, self.chunks = False, []
            return
        self.chunks.append(numbers.to_numpy())

    def all_distinct(self) -> bool:
        """True when the kept identifiers show that none repeats (missing ones aside)."""
        if not self.usable or not self.chunks:
            return False
        numbers = np.concatenate(self.chunks)
        self.chunks = []
        if numbers.size < 2 or bool(np.all(numbers[1:] > numbers[:-1])):
            return True
        numbers.sort()
        return not bool(np.any(numbers[1:] == numbers[:-1]))


def _duplicates(temporary: Path, plan: _Plan) -> dict | None:
    """Find identifiers repeated within one snapshot or period, with DuckDB over the written Parquet file.

    DuckDB's parallel hash aggregation is several times faster than Arrow's
    ``group_by`` here, and it spills to disk beyond its memory limit.
    """
    id_role = next((role for role in _ID_ROLES if role in plan.roles), None)
    if id_role is None:
        return None
    time_role = next((role for role in _TIME_ROLES if role in plan.roles), None)
    keys = [id_role] + ([time_role] if time_role else [])
    key_list = ", ".join(f'"{key}"' for key in keys)
    query = (
        f"SELECT {key_list}, rows_per_key, count(*) OVER () AS repeated_keys FROM ("
        f"SELECT {key_list}, count(*) AS rows_per_key FROM read_parquet($path) "
        f'WHERE "{id_role}" IS NOT NULL GROUP BY {key_list} HAVING count(*) > 1) '
        f"ORDER BY {key_list} LIMIT 10"
    )
    # Spill files, if any, go beside the upload rather than into the working directory.
    config = {"memory_limit": DUCKDB_MEMORY_LIMIT, "threads": CONVERT_THREADS, "temp_directory": str(temporary.parent)}
    connection = duckdb.connect(config=config)
    try:
        found = connection.execute(query, {"path": str(temporary)}).fetchall()
    finally:
        connection.close()
    if not found:
        return None
    examples = []
    for record in found:
        examples.append({"id": record[0], "period": record[1] if time_role else None, "rows": record[len(keys)]})
    return {"id_role": id_role, "time_role": time_role, "count": found[0][-1], "examples": examples}


def _duplicate_warning(duplicates: dict) -> dict:
    time_role = duplicates.get("time_role")
    listed = []
    for example in duplicates["examples"]:
        where = f" in {time_role} {to_jsonable(example['period'])}" if time_role else ""
        listed.append(f"{example['id']} ({example['rows']} rows{where})")
    scope = f"within one {time_role}" if time_role else "in the file"
    if duplicates["count"] == 1:
        message = f"Identifier {listed[0]} appears more than once {scope}. All rows are kept."
    else:
        message = (
            f"{duplicates['count']} identifiers appear more than once {scope}, for example "
            f"{', '.join(listed[:5])}. All rows are kept."
        )
    return {"code": "duplicate_ids", "message": message, "details": duplicates}


# A number with "," grouping thousands and "." as decimal mark, e.g. -1,169.00.
_COMMA_GROUPED = r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$"
COMMA_THOUSANDS = NumberFormat(".", ",")


def _rows(count: int) -> str:
    return _count_of(count, "row")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _problem_details(problem: Problem, lines: dict[int, int]) -> dict:
    return {
        "code": problem.code,
        "column": problem.column.strip(),
        "role": problem.role,
        "count": problem.count,
        "rows": [row + 1 for row in problem.rows],
        "lines": [lines.get(row) for row in problem.rows],
        "values": list(problem.values),
    }


def _problem_message(problem: Problem, lines: dict[int, int], source_format: str) -> str:
    place = "sheet row" if source_format == "xlsx" else "line"
    listed = []
    for row, value in zip(problem.rows, problem.values):
        where = f"row {row + 1}"
        if row in lines:
            where += f" ({place} {lines[row]})"
        listed.append(f"{where}: {_quoted(value)}")
    more = f" and {problem.count - len(listed)} more" if problem.count > len(listed) else ""
    column = f'Column "{problem.column.strip()}"' + (
        f" (role {problem.role})" if problem.role and problem.role != problem.column.strip() else ""
    )
    noun = "invalid value" if problem.count == 1 else "invalid values"
    return f"{column} has {problem.count} {noun} ({problem.summary}): {'; '.join(listed)}{more}. {problem.hint}."


def _quoted(value) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, str):
        return f'"{value}"'
    return str(to_jsonable(value))


__all__ = ["IngestResult", "ingest_file", "MMTError"]
