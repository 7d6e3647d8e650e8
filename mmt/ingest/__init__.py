"""Reading and checking of uploaded files (CSV, XLSX, Parquet) into a Parquet copy.

:func:`ingest_file` detects the format, encoding, delimiter and number
format, matches the columns to the roles of the model type
(:func:`role_specs`), checks the values, and writes a normalised Parquet
file with a data-quality summary. Problems raise :class:`mmt.errors.MMTError`
subclasses with a stable ``code`` and ``details`` naming the column, rows,
file lines and values at fault.
"""

from mmt.ingest.pipeline import IngestResult, ingest_file
from mmt.ingest.specs import MODEL_TYPES, RoleSpec, role_specs

__all__ = ["MODEL_TYPES", "IngestResult", "RoleSpec", "ingest_file", "role_specs"]
