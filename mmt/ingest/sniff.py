"""Detection of the file format, the text encoding and the CSV delimiter.

The format comes from the content, never from the file name: Parquet starts
with ``PAR1``, an XLSX workbook is a ZIP archive with an ``xl/`` folder, an
old binary ``.xls`` (OLE2 container) is rejected, and anything else must be
text. Encodings are tried in the order byte-order mark, strict UTF-8,
cp1252 and then Latin-1 (which maps every byte, so it is used only for the
five bytes cp1252 leaves undefined). Nothing is ever decoded with
replacement characters.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mmt.errors import UnreadableFileError, ValidationError

SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_RECORDS = 200

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
)

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def unreadable(message: str, **details) -> UnreadableFileError:
    """Build the error for content that is not text, a workbook or Parquet."""
    return UnreadableFileError(message, code="unreadable_file", details=details)


def empty_file() -> ValidationError:
    """Build the error for a file without any content."""
    return ValidationError(
        "The file is empty. Upload a CSV, XLSX or Parquet file with a header row and at least one data row.",
        code="empty_file",
    )


def detect_format(path: Path) -> str:
    """Return ``"parquet"``, ``"xlsx"`` or ``"text"`` from the file's first bytes.

    Raises
    ------
    ValidationError
        ``empty_file`` for a file of 0 bytes.
    UnreadableFileError
        For an old ``.xls`` workbook, a ZIP archive that is not a workbook or a
        known binary format.
    """
    with open(path, "rb") as handle:
        head = handle.read(16)
    if not head:
        raise empty_file()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(_OLE2):
        raise unreadable(
            "The file is an old binary Excel workbook (.xls) or a password-protected workbook, which cannot be read. "
            "Save it as .xlsx (without password) or as CSV and upload it again.",
            detected="ole2",
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path)
    for signature, label in _SIGNATURES:
        if head.startswith(signature):
            raise unreadable(
                f"The file is {label}, not a CSV, XLSX or Parquet file. Upload the data as CSV, XLSX or Parquet.",
                detected=label,
            )
    return "text"


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as error:
        raise unreadable(
            "The file starts like a ZIP archive (as XLSX workbooks do) but is damaged. "
            "Save the workbook again or export the data as CSV.",
            detected="zip",
            reason=str(error),
        ) from None
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    raise unreadable(
        "The file is a ZIP archive but not an Excel workbook. Upload the data as CSV, XLSX or Parquet.",
        detected="zip",
    )


@dataclass(frozen=True, slots=True)
class TextSample:
    """Start of a text file, decoded, with its detected encoding."""

    encoding: str  # Python codec name used for the whole file
    bom: bool
    text: str  # decoded sample, cut at the last complete line unless complete
    complete: bool  # the sample is the whole file


def read_text_sample(path: Path, encoding: str | None = None) -> TextSample:
    """Read and decode the first :data:`SAMPLE_BYTES` bytes of a text file.

    Raises
    ------
    UnreadableFileError
        For binary content (NUL bytes without a UTF-16/32 byte-order mark, or
        many control characters) or bytes that the given encoding cannot decode.
    ValidationError
        ``empty_file`` when the file contains only a byte-order mark or whitespace.
    """
    with open(path, "rb") as handle:
        raw = handle.read(SAMPLE_BYTES + 1)
    complete = len(raw) <= SAMPLE_BYTES
    raw = raw[:SAMPLE_BYTES]
    bom_encoding = next((name for bom, name in _BOMS if raw.startswith(bom)), None)
    if bom_encoding:
        bom_length = next(len(bom) for bom, name in _BOMS if name == bom_encoding)
        raw_body = raw[bom_length:]
    else:
        raw_body = raw
    wide = ("utf-16", "utf-32")
    if encoding:
        encoding = _checked_codec(encoding)
    if (bom_encoding is None or not bom_encoding.startswith(wide)) and b"\x00" in raw_body:
        pattern = _utf16_pattern(raw_body) if bom_encoding is None else None
        if encoding and encoding.startswith(wide):
            pass
        elif pattern and not encoding:
            encoding = pattern
        elif pattern:
            raise unreadable(
                f"The file looks like UTF-16 text without a byte-order mark (every other byte is NUL), not {encoding}. "
                f'Give the option {{"encoding": "{pattern}"}} or leave the encoding out.',
                detected=pattern,
            )
        else:
            raise unreadable(
                "The file contains binary data (NUL bytes), so it is not a text CSV file. "
                "Upload the data as CSV, XLSX or Parquet.",
                detected="binary",
            )
    if encoding:
        chosen = encoding
        text = _decode(raw_body, chosen, complete)
        if text is None:
            raise unreadable(
                f"The file cannot be decoded as {encoding}. Check the encoding option or leave it out to detect it.",
                encoding=encoding,
            )
    elif bom_encoding:
        chosen = bom_encoding
        text = _decode(raw_body, chosen, complete)
        if text is None:
            raise unreadable(
                f"The file starts with a {bom_encoding.upper()} byte-order mark but is not valid {bom_encoding.upper()} text.",
                encoding=bom_encoding,
            )
    else:
        chosen, text = _guess_encoding(raw_body, complete)
    _reject_control_characters(text)
    if not text.strip():
        if complete:
            raise empty_file()
        raise unreadable("The file starts with 1 MiB of blank text and cannot be read as CSV.", detected="blank")
    return TextSample(encoding=chosen, bom=bom_encoding is not None, text=text, complete=complete)


def _checked_codec(encoding: object) -> str:
    """Return the Python codec name for the encoding option, accepting only text encodings."""
    codec = None
    if isinstance(encoding, str):
        try:
            codec = codecs.lookup(encoding)
        except LookupError:
            codec = None
    # Codecs such as rot13, base64, hex and zlib map bytes to bytes or str to str and are no text encodings.
    if codec is None or not getattr(codec, "_is_text_encoding", True):
        raise ValidationError(
            f'The encoding option "{encoding}" is not a text encoding. '
            "Use a name such as utf-8, cp1252, latin-1 or utf-16, or leave it out to detect the encoding.",
            code="invalid_option",
            details={"option": "encoding", "value": str(encoding), "examples": ["utf-8", "cp1252", "latin-1", "utf-16"]},
        )
    return "latin-1" if codec.name == "iso8859-1" else codec.name


def _utf16_pattern(raw: bytes) -> str | None:
    """Return utf-16-le or utf-16-be when NUL bytes fill every other position, as in BOM-less UTF-16 text."""
    if len(raw) < 4:
        return None
    even, odd = raw[0::2], raw[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.9 and even_nul < 0.01:
        return "utf-16-le"
    if even_nul > 0.9 and odd_nul < 0.01:
        return "utf-16-be"
    return None


def _decode(raw: bytes, encoding: str, complete: bool) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        text = decoder.decode(raw, final=complete)
    except UnicodeDecodeError:
        return None
    if not complete:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: cut + 1] if cut >= 0 else text
    return text


def _guess_encoding(raw: bytes, complete: bool) -> tuple[str, str]:
    for encoding in ("utf-8", "cp1252", "latin-1"):
        text = _decode(raw, encoding, complete)
        if text is not None:
            return encoding, text
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


#: Control characters that do not occur in text files, mapped to None for ``str.translate``.
_CONTROL_CHARACTERS = {code: None for code in [*range(32), 127] if chr(code) not in "\t\r\n\f"}


def _reject_control_characters(text: str) -> None:
    sample = text[:65536]
    if not sample:
        return
    control = len(sample) - len(sample.translate(_CONTROL_CHARACTERS))
    if control > max(2, len(sample) // 100):
        raise unreadable(
            "The file contains binary data (control characters), so it is not a text CSV file. "
            "Upload the data as CSV, XLSX or Parquet.",
            detected="binary",
        )


def detect_delimiter(text: str) -> str:
    """Choose the delimiter among ``,`` ``;`` tab ``|`` from a decoded sample.

    Each candidate splits the first records (quotes respected), and the winner is
    the one whose records most often have the header's field count, with more
    fields and then the order of :data:`DELIMITERS` breaking ties. A file
    with a single column gets ``,``.
    """
    best: tuple[float, int, int] | None = None
    chosen = ","
    for order, delimiter in enumerate(DELIMITERS):
        counts = _field_counts(text, delimiter)
        if not counts or counts[0] < 2:
            continue
        header = counts[0]
        rest = counts[1:] or [header]
        share = sum(1 for count in rest if count == header) / len(rest)
        score = (share, header, -order)
        if best is None or score > best:
            best = score
            chosen = delimiter
    return chosen


def _field_counts(text: str, delimiter: str) -> list[int]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    counts: list[int] = []
    try:
        for record in reader:
            if not record:
                continue
            counts.append(len(record))
            if len(counts) >= _SAMPLE_RECORDS:
                break
    except csv.Error:
        pass
    return counts
