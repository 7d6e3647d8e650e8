"""Reader of Parquet uploads, batch by batch with pyarrow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mmt.ingest.sniff import unreadable

BATCH_ROWS = 256_000


class ParquetSource:
    """A Parquet upload, with nested columns rejected, dictionary columns decoded and NaN read as missing."""

    format = "parquet"
    detect_number_format = False

    def __init__(self, path: Path, options: dict) -> None:
        self.path = path
        self.warnings: list[dict] = []
        self.dropped: list[dict] = []
        try:
            self.file = pq.ParquetFile(path)
            schema = self.file.schema_arrow
        except (pa.ArrowException, OSError, UnicodeDecodeError) as error:
            # A damaged footer can also hold column names that are not UTF-8.
            raise unreadable(
                f"The Parquet file cannot be read ({error}). Write it again or upload the data as CSV.",
                detected="parquet",
            ) from None
        nested = [field.name for field in schema if pa.types.is_nested(field.type)]
        if nested:
            raise unreadable(
                f"The Parquet file has nested columns ({', '.join(nested)}), which cannot be used as table columns. "
                "Flatten them before uploading.",
                detected="parquet",
                columns=nested,
            )
        self.names = list(schema.names)

    def describe(self) -> dict:
        """Return what was detected, for ``IngestResult.source_format``."""
        return {"format": "parquet", "row_groups": self.file.num_row_groups}

    def batches(self) -> Iterator[tuple[list[pa.Array], int]]:
        """Yield ``(columns, first_row_index)`` with dictionary columns decoded and NaN as null.

        pandas writes a missing float as NaN, and a CSV upload reads the text
        NaN as a missing value. So NaN is missing in a Parquet upload too, and
        a PD or default flag of NaN counts as an empty cell, not as an invalid
        value.
        """
        offset = 0
        try:
            for batch in self.file.iter_batches(batch_size=BATCH_ROWS):
                columns = []
                for column in batch.columns:
                    if pa.types.is_dictionary(column.type):
                        column = column.dictionary_decode()
                    columns.append(_nan_as_null(column))
                yield columns, offset
                offset += batch.num_rows
        except (pa.ArrowException, OSError, UnicodeDecodeError) as error:
            raise unreadable(
                f"The Parquet file is damaged after row {offset} ({error}). Write it again or upload the data as CSV.",
                detected="parquet",
            ) from None

    def line_numbers(self, rows: list[int]) -> dict[int, int]:
        """Parquet has no lines, so no row gets one."""
        return {}


def _nan_as_null(column: pa.Array) -> pa.Array:
    """Return a float ``column`` with NaN replaced by null; other columns, and floats without NaN, unchanged."""
    if not pa.types.is_floating(column.type):
        return column
    nan = pc.is_nan(column)
    if not pc.any(nan).as_py():
        return column
    return pc.if_else(nan, pa.scalar(None, column.type), column)
